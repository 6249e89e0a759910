#!/usr/bin/env bash
# QuickDraw stages 0-1. Nothing is downloaded here (no internet on the build machines): stage 0
# takes the folder of QuickDraw class files you downloaded, either sketch-rnn's
# <class>.npz (gs://quickdraw_dataset/sketchrnn) or the simplified <class>.ndjson
# (gs://quickdraw_dataset/full/simplified), one file per class, and links it as downloads/quickdraw.
# Stage 1 writes 96-point sequences and their 28×28 bitmaps (data_prep/sketches.py).
set -euo pipefail

stage=0
stop_stage=1
quickdraw_dir=    # folder of QuickDraw class files (.npz or .ndjson)
max_per_class=5000 # training drawings per class (sketch-rnn files hold 70,000)
num_test=250      # test drawings per class
length=96         # points per sequence; longer drawings are dropped (see --on-overflow)
on_overflow=drop  # truncate, drop or error

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  if [ -z "$quickdraw_dir" ]; then
    [ -e downloads/quickdraw ] || { echo "$0: give --quickdraw-dir DIR (downloaded QuickDraw class files)" 1>&2; exit 1; }
    log "Stage 0: using the QuickDraw files linked earlier: $(readlink -f downloads/quickdraw)"
  else
    [ -d "$quickdraw_dir" ] || { echo "$0: $quickdraw_dir is not a folder" 1>&2; exit 1; }
    mkdir -p downloads
    ln -sfn "$(readlink -f "$quickdraw_dir")" downloads/quickdraw
    log "Stage 0: QuickDraw class files from $quickdraw_dir: $(ls downloads/quickdraw/ | grep -cE '\.(npz|ndjson)$') files"
  fi
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: ${length}-point sequences and bitmaps (data/sketches_{train,test}.npz, data/{train,test}.npz)"
  python "$MAIN_ROOT/data_prep/sketches.py" --quickdraw downloads/quickdraw --max-per-class "$max_per_class" \
    --num-test "$num_test" --length "$length" --on-overflow "$on_overflow" --out-dir data
fi
