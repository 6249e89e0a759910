#!/usr/bin/env bash
# DDPM on CIFAR-10 at paper size (Ho et al. 2020: FID 3.17 after 800k steps at batch 128; a
# GPU recipe). Stage 0 takes the tarball: --local-data-opts '--cifar-tarball PATH'; stage 7
# needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth for the standard FID (50k samples).
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/ddpm_cifar10.yaml --sampler ddpm --steps "" --num-samples 50000 "$@"
