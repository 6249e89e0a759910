#!/usr/bin/env bash
# PriorGrad acoustic model on LJSpeech (Lee et al. 2022): phoneme-level prior statistics from
# the training set aligned by a trained Grad-TTS (stage 3, --aligner BUNDLE, e.g. the export of
# ../gradtts), then the 12 x 128 WaveNet decoder with T = 400.
# Give the corpus as --local-data-opts '--ljspeech-root PATH'. The stages live in tts.sh.
set -euo pipefail
cd "$(dirname "$0")"
./tts.sh --train-config conf/priorgrad_am.yaml --eval-set test \
  --aligner ../gradtts/exp/export/gradtts "$@"
