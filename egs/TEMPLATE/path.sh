# Sourced by every run.sh (through a symlink): puts the project's virtual environment first on PATH.
MAIN_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
export MAIN_ROOT
export PATH="$MAIN_ROOT/.venv/bin:$MAIN_ROOT/egs/TEMPLATE/utils:$PATH"
export PYTHONUNBUFFERED=1
if [ ! -x "$MAIN_ROOT/.venv/bin/python" ]; then
  echo "diffmm is not set up: run $MAIN_ROOT/scripts/setup.sh first" 1>&2
  return 1 2>/dev/null || exit 1
fi
