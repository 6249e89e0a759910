#!/usr/bin/env bash
# One-shot, idempotent set-up of a fresh machine: a virtual environment in .venv with the
# pinned PyTorch installed *before* the project, so pip never swaps in a CUDA build on a CPU box.
# Override the torch requirement with TORCH_SPEC (e.g. a CUDA wheel index on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's chromium renders the demo's report in its test (which skips without it)
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium unavailable: the report-rendering test will skip"
fi
python=${PYTHON:-python3}
torch_spec=${TORCH_SPEC:-torch==2.13.0}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q "$torch_spec"
.venv/bin/python -m pip install -q -e ".[dev]"
