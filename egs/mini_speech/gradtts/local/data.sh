#!/usr/bin/env bash
# Stages 0-1 of the mini speech corpus (../local/data.sh: real recordings plus synthetic
# flite-slt sentences), then the single-speaker split this TTS egs trains on: the slt voice
# (flite's ARCTIC-trained slt and the real ARCTIC slt clip) into data/tts_train, its last 10
# utterances held out in data/tts_test. Options are passed on to ../local/data.sh.
set -euo pipefail

stage=0
stop_stage=1
args=("$@")
while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --stop-stage) stop_stage=$2; shift 2 ;;
    *) shift ;;
  esac
done

../local/data.sh "${args[@]}"

. ./path.sh
. utils/log.sh
if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: single-speaker split of data/train (slt): data/tts_train, data/tts_test"
  python "$MAIN_ROOT/data_prep/speaker_split.py" --data-dir data/train --speakers flite_slt slt \
    --train-out data/tts_train --heldout-out data/tts_test --num-heldout 10
fi
