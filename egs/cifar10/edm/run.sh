#!/usr/bin/env bash
# EDM on CIFAR-10 (Karras et al. 2022; a GPU recipe): preconditioned x₀ network, log-normal σ
# training, Heun on the Karras grid with ρ = 7 at 18 steps (35 evaluations). Departures from the
# paper are listed in conf/edm_cifar10.yaml. Stage 0 takes the tarball:
# --local-data-opts '--cifar-tarball PATH'; stage 7 needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth.
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/edm_cifar10.yaml --sampler heun --steps 18 --num-samples 50000 "$@"
