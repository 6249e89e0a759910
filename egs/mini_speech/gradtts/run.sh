#!/usr/bin/env bash
# Grad-TTS on the mini speech corpus, offline on 2 CPU cores in minutes: the slt voice (300
# synthetic flite-slt sentences and a real ARCTIC slt clip), a mini Grad-TTS, synthesis of 10
# held-out sentences with Griffin-Lim (or --vocoder BUNDLE) and their scores. Quality is poor by
# design: it shows every stage working. conf/mini_flow.yaml trains the flow-matching decoder;
# conf/mini_priorgrad_am.yaml PriorGrad-AM (give --aligner exp/mini/bundle after a mini run).
# The stages live in tts.sh (egs/TEMPLATE/tts) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./tts.sh --train-config conf/mini.yaml --sample-rate 16000 --nj 2 --threads 1 \
  --train-set tts_train --valid-set tts_test --eval-set tts_test "$@"
