#!/usr/bin/env bash
# PriorGrad vocoder on LJSpeech (Lee et al. 2022): DiffWave BASE with the frame-energy prior;
# stage 3 computes the energy range that the prior normalises with (kept in the bundle).
# Give the corpus as --local-data-opts '--ljspeech-root PATH'.
# The stages live in vocoder.sh (egs/TEMPLATE/vocoder) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./vocoder.sh --train-config conf/priorgrad.yaml --sets "train valid test" --eval-set test "$@"
