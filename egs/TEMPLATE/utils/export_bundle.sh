#!/usr/bin/env bash
# Stage 8 of every egs: copy <expdir>/bundle to exp/export/<tag> (replacing an older export)
# and print its summary.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 <expdir> <tag>" >&2
  exit 2
fi
expdir=$1
tag=$2
mkdir -p exp/export
rm -rf "exp/export/${tag}"
cp -r "${expdir}/bundle" "exp/export/${tag}"
diffmm info "exp/export/${tag}"
