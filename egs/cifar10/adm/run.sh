#!/usr/bin/env bash
# ADM-style class-conditional model with classifier guidance on CIFAR-10 (Dhariwal & Nichol 2021;
# a GPU recipe): stage 4 trains the noise-aware classifier, stage 6 samples 250 respaced steps
# guided with scale s = 1. Stage 0 takes the tarball: --local-data-opts '--cifar-tarball PATH';
# stage 7 needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth.
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/adm_cifar10.yaml --noisy-classifier-config conf/adm_classifier_cifar10.yaml \
  --classifier-scale 1.0 --sampler ddpm --steps 250 --num-samples 50000 "$@"
