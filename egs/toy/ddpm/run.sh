#!/usr/bin/env bash
# DDPM on a 2-D toy distribution: the smallest end-to-end diffmm recipe (about a minute on
# two CPU cores). Stages follow the Kaldi/ESPnet numbering shared by every egs directory.
set -euo pipefail

stage=1          # first stage to run
stop_stage=8     # last stage to run
dataset=swiss_roll   # swiss_roll | eight_gaussians | two_moons
num_train=20000
num_valid=2000
train_config=conf/ddpm.yaml
tag=                 # experiment name (default: derived from config and dataset)
train_args=          # extra key=value overrides for recipes/toy.py, e.g. "trainer.max_steps=500"
sampler=ddpm         # any engine sampler: ddpm ddim dpmpp_2m euler heun ...
steps=               # sampling steps (empty: the full schedule)
num_samples=2000
seed=0

help_message="Usage: $0 [--stage N] [--stop-stage M] [--dataset NAME] [--train-config YAML] [--tag TAG]
                [--train-args 'k=v ...'] [--sampler NAME] [--steps N] [--num-samples N]
Stages: 1 data prep, 5 train (re-running resumes), 6 sample, 7 score, 8 export."

cd "$(dirname "$0")"
. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
# A 128-wide MLP gains nothing from intra-op threads, and they slow it badly on a busy machine.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)_${dataset}
expdir=exp/${tag}
decode_dir=${expdir}/decode_${sampler}${steps:+_${steps}steps}

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: nothing to download; the toy data is generated in stage 1"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: data preparation (${dataset})"
  python "$MAIN_ROOT/data_prep/toy.py" --dataset "$dataset" --num-train "$num_train" \
    --num-valid "$num_valid" --out-dir data
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/toy.py" --config "$train_config" \
    exp_dir="$expdir" data.train=data/train/points.npy data.valid=data/valid/points.npy $train_args
  tail -n 3 "${expdir}/train.log" | head -n 1
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: sampling ${num_samples} points with ${sampler} into ${decode_dir}"
  diffmm sample "${expdir}/bundle" -o "${decode_dir}/samples.npy" -n "$num_samples" \
    --sampler "$sampler" ${steps:+--steps "$steps"} --seed "$seed" --overwrite
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against held-out data"
  python -m diffmm.metrics.score_points --samples "${decode_dir}/samples.npy" \
    --reference data/valid/points.npy --out-dir "${decode_dir}"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
