#!/usr/bin/env bash
# CIFAR-10 stages 0-1: the python-version tarball (cifar-10-python.tar.gz, which cannot be
# downloaded here) at the path given with --cifar-tarball, read without unpacking.
set -euo pipefail

stage=0
stop_stage=1
cifar_tarball=   # path of cifar-10-python.tar.gz (or its extracted cifar-10-batches-py folder)

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  if [ -z "$cifar_tarball" ] || [ ! -e "$cifar_tarball" ]; then
    echo "$0: give --local-data-opts '--cifar-tarball /path/to/cifar-10-python.tar.gz'" 1>&2
    exit 1
  fi
  log "Stage 0: CIFAR-10 at ${cifar_tarball}"
  mkdir -p downloads
  echo "$cifar_tarball" > downloads/SOURCE
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: CIFAR-10 as image arrays (data/train.npz, data/test.npz)"
  python "$MAIN_ROOT/data_prep/images.py" --source "$(cat downloads/SOURCE)" --out-dir data
fi
