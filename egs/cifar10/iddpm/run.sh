#!/usr/bin/env bash
# Improved DDPM on CIFAR-10 (Nichol & Dhariwal 2021: cosine schedule, learned-range variance,
# L_hybrid; a GPU recipe), sampled with 100 respaced steps of its learned variances. Stage 0
# takes the tarball: --local-data-opts '--cifar-tarball PATH'; stage 7 needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth.
# The likelihood model (L_vlb, importance-sampled t): add --train-config conf/iddpm_nll_cifar10.yaml.
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/iddpm_cifar10.yaml --sampler ddpm --steps 100 --num-samples 50000 "$@"
