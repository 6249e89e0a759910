#!/usr/bin/env bash
# Class-conditional sketch diffusion on QuickDraw (a 1-D UNet over 96-point [x, y, pen]
# sequences). Stage 0 takes the folder of downloaded class files:
#   ./run.sh --local-data-opts "--quickdraw-dir /data/quickdraw/sketchrnn"
# The project classifier trained on the bitmaps is the FID feature network (stage 3); give
# --extractor pt_inception-2015-12-05-6726825d.pth for Inception features instead.
# The stages live in sketch.sh (egs/TEMPLATE/sketch) and local/data.sh; options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./sketch.sh --train-config conf/quickdraw.yaml --classifier-config conf/classifier_sketches.yaml \
  --guidance-scale 2.0 --num-samples 5000 "$@"
