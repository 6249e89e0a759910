#!/usr/bin/env bash
# The point-cloud stages shared by every egs/<corpus>/pointcloud/run.sh: stage 0 is the corpus's
# own (it locates or unpacks the shapes and passes --source), stages 1-8 are the same everywhere.
# Two models per run: an auto-encoder (--ae-config) and a generator (--gen-config); either may be
# empty to skip it.
set -euo pipefail

stage=1          # first stage to run
stop_stage=8     # last stage to run
source=          # shapes: a folder of meshes/point files, Luo & Hu's shapenet.hdf5, a PC15k root
categories=airplane # h5 / PC15k sources
num_points=2048  # points per cloud in data/
test_every=5     # shape folders: every K-th shape is held out for testing
ae_config=
gen_config=
train_args=      # extra key=value overrides for both recipes/pointcloud.py runs
sampler=ddpm     # stage 6: any engine sampler
steps=           # sampling steps (empty: the full chain)
fast_sampler=dpmpp_2m # stage 6 also samples with this sampler at --fast-steps (empty: skip)
fast_steps=20
num_samples=     # generated clouds (empty: as many as the test set holds)
normalization=shape_bbox # stage 7: normalisation of both sets before scoring
emd_method=auto  # stage 7: exact | sinkhorn | auto
seed=0
threads=         # OMP_NUM_THREADS (empty: PyTorch's default)

help_message="Usage: $0 [--stage N] [--stop-stage M] --source PATH [--ae-config YAML] [--gen-config YAML]
                [--train-args 'k=v ...'] [--sampler NAME] [--steps N] [--num-samples N]
Stages: 1 data prep (data/{train,test}/clouds.npy), 5 train (re-running resumes), 6 sample
        (reconstructions of the test set; generated clouds), 7 score, 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
[ -z "$threads" ] || export OMP_NUM_THREADS=$threads

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: data preparation from ${source}"
  [ -n "$source" ] || { log "--source is required for stage 1"; exit 2; }
  # shellcheck disable=SC2086
  python "$MAIN_ROOT/data_prep/point_clouds.py" --source "$source" --num-points "$num_points" \
    --test-every "$test_every" --categories $categories --out-dir data
fi

tag_of() { basename "$1" .yaml; }

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  for config in $ae_config $gen_config; do
    expdir=exp/$(tag_of "$config")
    log "Stage 5: training ${config} in ${expdir} (log: ${expdir}/train.log)"
    # shellcheck disable=SC2086
    ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/pointcloud.py" --config "$config" \
      exp_dir="$expdir" data.train=data/train/clouds.npy data.num_points="$num_points" $train_args
    tail -n 3 "${expdir}/train.log" | head -n 1
  done
fi

test_count=$(python -c "import numpy; print(len(numpy.load('data/test/clouds.npy', mmap_mode='r')))" 2>/dev/null || echo 0)
[ -n "$num_samples" ] || num_samples=$test_count

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  for config in $ae_config $gen_config; do
    expdir=exp/$(tag_of "$config")
    what=$([ "$config" = "$ae_config" ] && echo "--reconstruct data/test/clouds.npy" || echo "-n $num_samples")
    for pair in "${sampler}:${steps}" ${fast_sampler:+"${fast_sampler}:${fast_steps}"}; do
      name=${pair%%:*}; n=${pair#*:}
      decode_dir=${expdir}/decode_${name}${n:+_${n}steps}
      log "Stage 6: ${config}: ${name} ${n:-full} steps into ${decode_dir}"
      # shellcheck disable=SC2086
      diffmm sample "${expdir}/bundle" -o "${decode_dir}/clouds.npy" $what --sampler "$name" \
        ${n:+--steps "$n"} --num-points "$num_points" --seed "$seed" | tee "${decode_dir}.log"
    done
  done
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  for config in $ae_config $gen_config; do
    expdir=exp/$(tag_of "$config")
    paired=$([ "$config" = "$ae_config" ] && echo "--paired" || true)
    for decode_dir in "${expdir}"/decode_*/; do
      log "Stage 7: scoring ${decode_dir} against data/test (${normalization}, EMD ${emd_method})"
      # shellcheck disable=SC2086
      diffmm evaluate pointclouds --samples "${decode_dir}clouds.npy" --reference data/test/clouds.npy \
        $paired --normalization "$normalization" --emd-method "$emd_method" \
        --num-points "$num_points" --out-dir "$decode_dir"
    done
  done
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  for config in $ae_config $gen_config; do
    log "Stage 8: exporting exp/$(tag_of "$config")/bundle"
    utils/export_bundle.sh "exp/$(tag_of "$config")" "$(tag_of "$config")"
  done
fi

log "Done: stages ${stage}-${stop_stage}"
