#!/usr/bin/env bash
# DiffWave vocoder on LJSpeech (Kong et al. 2021): Kaldi/ESPnet stages from a downloaded corpus
# to scored copy-synthesis of the held-out LJ002 utterances and an exported bundle.
# Give the corpus as --local-data-opts '--ljspeech-root PATH'; conf/large.yaml is DiffWave LARGE.
# The stages live in vocoder.sh (egs/TEMPLATE/vocoder) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./vocoder.sh --train-config conf/base.yaml --sets "train valid test" --eval-set test "$@"
