#!/usr/bin/env bash
# TimeGrad (Rasul et al. 2021) on GluonTS traffic_nips; the paper reports CRPS-sum 0.044.
# Stage 1 needs the dataset in GluonTS's cache, downloadable there, or --data-path DIR holding traffic_nips/.
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --gluonts-name traffic_nips --paper-crps-sum 0.044 --train-config conf/traffic.yaml "$@"
