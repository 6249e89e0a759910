#!/usr/bin/env bash
# TimeGrad (Rasul et al. 2021) on GluonTS taxi_30min; the paper reports CRPS-sum 0.114.
# Stage 1 needs the dataset in GluonTS's cache, downloadable there, or --data-path DIR holding taxi_30min/.
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --gluonts-name taxi_30min --paper-crps-sum 0.114 --train-config conf/taxi.yaml "$@"
