#!/usr/bin/env bash
# The image stages shared by every egs/<corpus>/<recipe>/run.sh (ESPnet's TEMPLATE pattern):
# stages 0-1 are the corpus's own local/data.sh (locate the data; data/{train,test}.npz),
# stages 3-8 are the same everywhere.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
local_data_opts= # options for local/data.sh (stages 0-1), e.g. "--cifar-tarball /data/cifar-10-python.tar.gz"
train_config=
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/image.py, e.g. "trainer.max_steps=500"
classifier_config= # stage 3 trains this project classifier as the feature extractor (recipes/image_classifier.py)
classifier_args=   # extra key=value overrides for recipes/image_classifier.py
noisy_classifier_config= # stage 4 trains this noise-aware classifier (recipes/noisy_classifier.py) for classifier guidance
noisy_classifier_args= # extra key=value overrides for recipes/noisy_classifier.py
classifier_scale=  # stage 6 guides with it at this scale s (needs --noisy-classifier-config)
extractor=       # or a given extractor: a classifier bundle, or pt_inception-2015-12-05-6726825d.pth
sampler=ddim     # any engine sampler: ddpm ddim dpmpp_2m heun ...
steps=50         # sampling steps (empty: the full schedule)
sampler_options= # sampler settings KEY=VALUE ..., e.g. "steps_per_level=5 step_lr=6.2e-6" (annealed_langevin)
num_samples=1000
batch_size=250
guidance_scale=  # classifier-free guidance scale (bundles trained with a null class)
score_untrained=false # stage 7 also scores a one-step model of the same config: the FID drop
seed=0
threads=         # OMP_NUM_THREADS (empty: PyTorch's default)

help_message="Usage: $0 [--stage N] [--stop-stage M] [--local-data-opts '...'] [--train-config YAML]
                [--tag TAG] [--train-args 'k=v ...'] [--classifier-config YAML | --extractor PATH]
                [--sampler NAME] [--steps N] [--num-samples N] [--score-untrained true]
Stages: 0-1 local/data.sh (locate the data; data/train.npz, data/test.npz), 3 feature extractor,
        4 noise-aware classifier (classifier guidance), 5 train (re-running resumes), 6 sample, 7 score (FID, IS,
        precision/recall against data/test.npz), 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
[ -z "$threads" ] || export OMP_NUM_THREADS=$threads
[ -n "$train_config" ] || { echo "$0: the recipe's run.sh must give --train-config" 1>&2; exit 1; }

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
suffix=${sampler}${steps:+_${steps}steps}${guidance_scale:+_cfg${guidance_scale}}${classifier_scale:+_cg${classifier_scale}}
[ -n "$extractor" ] || extractor=${classifier_config:+exp/classifier/bundle}

for data_stage in 0 1; do
  if [ "${stage}" -le ${data_stage} ] && [ "${stop_stage}" -ge ${data_stage} ]; then
    # shellcheck disable=SC2086
    local/data.sh --stage ${data_stage} --stop-stage ${data_stage} $local_data_opts
  fi
done

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  if [ -n "$classifier_config" ]; then
    log "Stage 3: the project classifier as feature extractor (exp/classifier, log: exp/classifier/train.log)"
    # shellcheck disable=SC2086
    ${train_cmd} exp/classifier/train.log python "$MAIN_ROOT/recipes/image_classifier.py" \
      --config "$classifier_config" exp_dir=exp/classifier data.train=data/train.npz \
      data.valid=data/test.npz $classifier_args
    grep "held-out accuracy" exp/classifier/train.log
  else
    log "Stage 3: extractor given (${extractor:-none}); nothing to train"
  fi
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ] && [ -n "$noisy_classifier_config" ]; then
  log "Stage 4: the noise-aware classifier for guidance (exp/noisy_classifier, log: exp/noisy_classifier/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} exp/noisy_classifier/train.log python "$MAIN_ROOT/recipes/noisy_classifier.py" \
    --config "$noisy_classifier_config" exp_dir=exp/noisy_classifier data.train=data/train.npz $noisy_classifier_args
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/image.py" --config "$train_config" \
    exp_dir="$expdir" data.train=data/train.npz $train_args
  tail -n 2 "${expdir}/train.log" | head -n 1
  if [ "$score_untrained" = true ]; then
    log "Stage 5: the same config after one step (${expdir}_untrained), the baseline of stage 7"
    # shellcheck disable=SC2086
    ${train_cmd} "${expdir}_untrained/train.log" python "$MAIN_ROOT/recipes/image.py" \
      --config "$train_config" exp_dir="${expdir}_untrained" data.train=data/train.npz $train_args \
      trainer.max_steps=1 trainer.sample_every=0
  fi
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  models=${expdir}
  [ "$score_untrained" = false ] || models="${expdir} ${expdir}_untrained"
  for model in $models; do
    out=${model}/decode_${suffix}
    log "Stage 6: sampling ${num_samples} images from ${model} with ${sampler} into ${out}"
    ${decode_cmd} "${out}/sample.log" diffmm sample "${model}/bundle" -o "${out}/samples.npz" \
      --overwrite -n "$num_samples" --sampler "$sampler" ${steps:+--steps "$steps"} --batch-size "$batch_size" \
      --seed "$seed" ${guidance_scale:+--guidance-scale "$guidance_scale"} \
      ${classifier_scale:+--classifier exp/noisy_classifier/bundle --classifier-scale "$classifier_scale"} \
      $(for option in $sampler_options; do printf -- '--sampler-option %s ' "$option"; done)
    tail -n 1 "${out}/sample.log"
  done
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  if [ -z "$extractor" ]; then
    log "Stage 7: skipped: give --extractor (pt_inception-2015-12-05-6726825d.pth or a classifier bundle)"
  else
    models=${expdir}
    [ "$score_untrained" = false ] || models="${expdir} ${expdir}_untrained"
    for model in $models; do
      out=${model}/decode_${suffix}
      log "Stage 7: scoring ${out}/samples.npz against data/test.npz (${out}/scores.json)"
      python -m diffmm.metrics.score_images --samples "${out}/samples.npz" --ref data/test.npz \
        --extractor "$extractor" --out-dir "${out}" --save-ref-stats exp/reference_stats.npz \
        | grep -E '"(extractor|fid|inception_score|precision|recall)"'
    done
  fi
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
