#!/usr/bin/env bash
# NCSNv2 on CIFAR-10 (Song & Ermon 2020; a GPU recipe): DSM over 232 noise levels, annealed
# Langevin with T = 5 steps per level at ε = 6.2e-6 (python data_prep/ncsn_rules.py --data
# data/train.npz prints these rules for other data). Stage 0 takes the tarball:
# --local-data-opts '--cifar-tarball PATH'; stage 7 needs --extractor PATH/pt_inception-2015-12-05-6726825d.pth.
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/ncsn_cifar10.yaml --sampler annealed_langevin --steps "" \
  --sampler-options "steps_per_level=5 step_lr=6.2e-6" --num-samples 50000 "$@"
