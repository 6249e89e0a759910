#!/usr/bin/env bash
# LJSpeech stages 0-1: check a downloaded LJSpeech-1.1, then Kaldi data dirs
# data/train, data/valid (LJ001-*) and data/test (LJ002-*).
set -euo pipefail

stage=0
stop_stage=1
ljspeech_root=   # the downloaded LJSpeech-1.1 directory (metadata.csv, wavs/)
sample_rate=     # unused: LJSpeech is already 22.05 kHz

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: locating LJSpeech"
  if [ -z "$ljspeech_root" ] || [ ! -f "$ljspeech_root/metadata.csv" ] || [ ! -d "$ljspeech_root/wavs" ]; then
    log "Give --local-data-opts '--ljspeech-root PATH': the LJSpeech-1.1 directory holding metadata.csv and wavs/"
    log "(download https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2 and untar it)"
    exit 1
  fi
  log "LJSpeech found at ${ljspeech_root}"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: data preparation (data/train, data/valid = LJ001, data/test = LJ002)"
  [ -n "$ljspeech_root" ] || { log "stage 1 needs --ljspeech-root"; exit 1; }
  python "$MAIN_ROOT/data_prep/ljspeech.py" --root "$ljspeech_root" --out-dir data
fi
