#!/usr/bin/env bash
# TimeGrad (Rasul et al. 2021) on GluonTS wiki-rolling_nips; the paper reports CRPS-sum 0.0485.
# Stage 1 needs the dataset in GluonTS's cache, downloadable there, or --data-path DIR holding wiki-rolling_nips/.
# The stages live in timegrad.sh (egs/TEMPLATE/timegrad); options given here are passed on.
set -euo pipefail
cd "$(dirname "$0")"
./timegrad.sh --gluonts-name wiki-rolling_nips --paper-crps-sum 0.0485 --train-config conf/wikipedia.yaml "$@"
