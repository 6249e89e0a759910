#!/usr/bin/env bash
# Grad-TTS on LJSpeech (Popov et al. 2021): Kaldi/ESPnet stages from a downloaded corpus to
# synthesised held-out LJ002 sentences, their scores and an exported bundle.
# Give the corpus as --local-data-opts '--ljspeech-root PATH'; --train-config conf/flow.yaml
# trains the flow-matching decoder (Matcha-TTS); --vocoder BUNDLE vocodes stage 6 (default:
# Griffin-Lim). The stages live in tts.sh (egs/TEMPLATE/tts); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./tts.sh --train-config conf/gradtts.yaml --eval-set test "$@"
