#!/usr/bin/env bash
# Classifier-free guidance on CIFAR-10 (Ho & Salimans 2022; a GPU recipe): the DDPM network
# with class labels dropped to ∅ at p = 0.1, sampled with guidance scale s = 1 + w (w = 0.3).
# Stage 0 takes the tarball: --local-data-opts '--cifar-tarball PATH'; stage 7 needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth.
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/cfg_cifar10.yaml --sampler ddim --steps 50 --guidance-scale 1.3 \
  --num-samples 50000 "$@"
