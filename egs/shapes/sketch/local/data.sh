#!/usr/bin/env bash
# Script-drawn shapes, stages 0-1: an offline stand-in for QuickDraw, NOT QuickDraw. Six
# classes (circle, square, triangle, star, zigzag, cross) drawn by diffmm.sketch.shapes with a
# random rotation, aspect, size, start point and pen wobble per drawing, in QuickDraw's 0-255
# box; written as 32-point sequences and their 28×28 bitmaps by data_prep/sketches.py.
set -euo pipefail

stage=0
stop_stage=1
num_per_class=1000 # training drawings per class
num_test=200       # test drawings per class
length=32          # points per sequence: the longest shape (a 28-point circle) fits

. ./path.sh
. utils/parse_options.sh
. utils/log.sh

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: nothing to download: the shapes are drawn by a script (diffmm.sketch.shapes)"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: ${num_per_class}+${num_test} shapes per class as sequences and bitmaps (data/)"
  python "$MAIN_ROOT/data_prep/sketches.py" --shapes "$num_per_class" --num-test "$num_test" \
    --length "$length" --out-dir data
fi
