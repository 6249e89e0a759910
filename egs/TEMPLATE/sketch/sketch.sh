#!/usr/bin/env bash
# The sketch stages shared by every egs/<corpus>/sketch/run.sh (ESPnet's TEMPLATE pattern):
# stages 0-1 are the corpus's own local/data.sh (locate the drawings; data/sketches_{train,test}.npz
# and their bitmaps data/{train,test}.npz), stages 3-8 are the same everywhere.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
local_data_opts= # options for local/data.sh (stages 0-1), e.g. "--quickdraw-dir /data/quickdraw"
train_config=
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/sketch.py, e.g. "trainer.max_steps=500"
classifier_config= # stage 3 trains this project classifier on the bitmaps: the FID feature network
classifier_args=   # extra key=value overrides for recipes/image_classifier.py
extractor=       # or a given extractor: a classifier bundle, or pt_inception-2015-12-05-6726825d.pth
sampler=ddim     # any engine sampler: ddpm ddim dpmpp_2m heun ...
steps=50         # sampling steps (empty: the full schedule)
num_samples=1000
batch_size=250
guidance_scale=  # classifier-free guidance scale (bundles trained with a null class)
score_untrained=false # stage 7 also scores a one-step model of the same config: the FID drop
seed=0
threads=         # OMP_NUM_THREADS (1 on a shared CPU: thread contention costs more than it gives)

help_message="Usage: $0 [--stage N] [--stop-stage M] [--local-data-opts '...'] [--train-config YAML]
                [--tag TAG] [--train-args 'k=v ...'] [--classifier-config YAML | --extractor PATH]
                [--sampler NAME] [--steps N] [--num-samples N] [--guidance-scale S] [--score-untrained true]
Stages: 0-1 local/data.sh (drawings → data/sketches_{train,test}.npz and bitmaps data/{train,test}.npz),
        3 feature extractor, 5 train (re-running resumes), 6 sample (sequences + bitmaps + grid),
        7 score (FID, IS, precision/recall of the bitmaps against data/test.npz), 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
[ -z "$threads" ] || export OMP_NUM_THREADS=$threads
[ -n "$train_config" ] || { echo "$0: the recipe's run.sh must give --train-config" 1>&2; exit 1; }

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
suffix=${sampler}${steps:+_${steps}steps}${guidance_scale:+_cfg${guidance_scale}}
[ -n "$extractor" ] || extractor=${classifier_config:+exp/classifier/bundle}
models=${expdir}
[ "$score_untrained" = false ] || models="${expdir} ${expdir}_untrained"

for data_stage in 0 1; do
  if [ "${stage}" -le ${data_stage} ] && [ "${stop_stage}" -ge ${data_stage} ]; then
    # shellcheck disable=SC2086
    local/data.sh --stage ${data_stage} --stop-stage ${data_stage} $local_data_opts
  fi
done
num_classes() { python -c "import numpy; print(len(numpy.load('data/train.npz')['class_names']))"; }

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  if [ -n "$classifier_config" ]; then
    log "Stage 3: the project classifier on the bitmaps (exp/classifier, log: exp/classifier/train.log)"
    # shellcheck disable=SC2086
    ${train_cmd} exp/classifier/train.log python "$MAIN_ROOT/recipes/image_classifier.py" \
      --config "$classifier_config" exp_dir=exp/classifier data.train=data/train.npz \
      data.valid=data/test.npz model.num_classes="$(num_classes)" $classifier_args
    grep "held-out accuracy" exp/classifier/train.log
  else
    log "Stage 3: extractor given (${extractor:-none}); nothing to train"
  fi
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/sketch.py" --config "$train_config" \
    exp_dir="$expdir" data.train=data/sketches_train.npz model.num_classes="$(num_classes)" $train_args
  tail -n 2 "${expdir}/train.log" | head -n 1
  if [ "$score_untrained" = true ]; then
    log "Stage 5: the same config after one step (${expdir}_untrained), the baseline of stage 7"
    # shellcheck disable=SC2086
    ${train_cmd} "${expdir}_untrained/train.log" python "$MAIN_ROOT/recipes/sketch.py" \
      --config "$train_config" exp_dir="${expdir}_untrained" data.train=data/sketches_train.npz \
      model.num_classes="$(num_classes)" $train_args trainer.max_steps=1 trainer.sample_every=0
  fi
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  for model in $models; do
    out=${model}/decode_${suffix}
    log "Stage 6: sampling ${num_samples} drawings from ${model} with ${sampler} into ${out}"
    ${decode_cmd} "${out}/sample.log" diffmm sample "${model}/bundle" -o "${out}/samples.npz" \
      -n "$num_samples" --sampler "$sampler" ${steps:+--steps "$steps"} --batch-size "$batch_size" \
      --seed "$seed" ${guidance_scale:+--guidance-scale "$guidance_scale"}
    tail -n 1 "${out}/sample.log"
  done
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  if [ -z "$extractor" ]; then
    log "Stage 7: skipped: give --extractor (a classifier bundle or pt_inception-2015-12-05-6726825d.pth)"
  else
    for model in $models; do
      out=${model}/decode_${suffix}
      log "Stage 7: scoring the bitmaps of ${out}/samples.npz against data/test.npz (${out}/scores.json)"
      diffmm evaluate images --samples "${out}/samples.npz" --ref data/test.npz \
        --extractor "$extractor" --out-dir "${out}" | grep -E '"(extractor|fid|inception_score|precision|recall)"'
    done
  fi
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
