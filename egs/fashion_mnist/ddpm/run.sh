#!/usr/bin/env bash
# DDPM on Fashion-MNIST (28×28 padded to 32×32), offline on 2 CPU cores: a mini UNet, the
# project's classifier as FID feature network, 500 DDIM-25 samples scored against the test
# set, and a one-step model of the same config scored alongside (the FID drop training buys).
# The stages live in image.sh (egs/TEMPLATE/image) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./image.sh --train-config conf/fashion_mnist_mini.yaml \
  --classifier-config conf/classifier_fashion_mnist.yaml --num-samples 500 --steps 25 \
  --score-untrained true "$@"
