#!/usr/bin/env bash
# The offline mini sketch egs: class-conditional diffusion with a 1-D UNet on script-drawn shapes
# (diffmm.sketch.shapes: an offline stand-in, not QuickDraw), on 2 CPU cores. The project
# classifier trained on the shapes' bitmaps is the FID feature network; 600 DDIM-50 samples
# are scored against the test bitmaps, and a one-step model of the same config alongside.
# The stages live in sketch.sh (egs/TEMPLATE/sketch) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./sketch.sh --train-config conf/shapes_mini.yaml --classifier-config conf/classifier_sketches.yaml \
  --num-samples 600 --steps 50 --score-untrained true --threads 1 "$@"
