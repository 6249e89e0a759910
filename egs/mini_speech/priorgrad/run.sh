#!/usr/bin/env bash
# PriorGrad (frame-energy prior) on the mini speech corpus, offline on 2 CPU cores: real recordings
# that packages ship (CMU ARCTIC, a LibriVox sonnet, alsa phrases) plus synthetic flite-slt sentences
# where flite is installed; stage 3 gives the energy range the prior normalises with.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
source=vendored  # mini corpus sources: vendored (tests/data/speech) | download | auto
num_synthetic=300  # flite-slt sentences added to the training set (0: real recordings only)
sample_rate=16000  # every source is 16 kHz or 48 kHz; 16 kHz keeps training small
train_config=conf/mini_priorgrad.yaml
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/diffwave.py, e.g. "trainer.max_steps=100"
nj=2             # parallel jobs for feature extraction
sampler=ddpm     # any engine sampler: ddpm ddim dpmpp_2m ...
steps=           # empty: DiffWave's 6-step fast schedule; N: the training schedule in N steps
batch_size=4
seed=0

help_message="Usage: $0 [--stage N] [--stop-stage M] [--source vendored|download|auto]
                [--num-synthetic N] [--train-config YAML] [--tag TAG] [--train-args 'k=v ...']
                [--sampler NAME] [--steps N]
Stages: 0 (offline: nothing to fetch), 1 data prep, 2 features, 3 statistics,
        5 train (re-running resumes), 6 vocode the held-out mels, 7 scoring, 8 export."

cd "$(dirname "$0")"
. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
# The mini model gains nothing from intra-op threads on a busy 2-core machine.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
decode_dir=${expdir}/decode_valid_${sampler}${steps:+_${steps}steps}

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: nothing to download; stage 1 takes the recordings from packages (--source ${source})"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: mini speech corpus at ${sample_rate} Hz (data/train, data/valid)"
  python "$MAIN_ROOT/data_prep/mini_speech.py" --out-dir data --download-dir downloads \
    --source "$source" --sample-rate "$sample_rate" --num-synthetic "$num_synthetic"
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
  log "Stage 2: log-mel features (hifigan preset at ${sample_rate} Hz) into dump/"
  for set in train valid; do
    python -m diffmm.audio.features dump --data-dir "data/${set}" --out-dir "dump/${set}" \
      --preset hifigan --mel sample_rate="$sample_rate" --nj "$nj"
  done
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  log "Stage 3: training-set statistics (mel mean/std, PriorGrad frame-energy range)"
  python -m diffmm.audio.features stats --feats-scp dump/train/feats.scp --out dump/train/stats
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/diffwave.py" --config "$train_config" \
    exp_dir="$expdir" mel.sample_rate="$sample_rate" data.train_dir=data/train \
    data.valid_dir=data/valid data.train_feats=dump/train/feats.scp \
    data.valid_feats=dump/valid/feats.scp data.stats=dump/train/stats $train_args
  tail -n 3 "${expdir}/train.log" | head -n 1
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: vocoding dump/valid into ${decode_dir}/wav"
  ${decode_cmd} "${decode_dir}/vocode.log" diffmm vocode "${expdir}/bundle" \
    --feats-scp dump/valid/feats.scp -o "${decode_dir}/wav" --sampler "$sampler" \
    ${steps:+--steps "$steps"} --batch-size "$batch_size" --seed "$seed"
  grep "real-time factor" "${decode_dir}/vocode.log"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against data/valid (${decode_dir}/scores.md)"
  python -m diffmm.metrics.score_speech --ref-scp data/valid/wav.scp --gen-dir "${decode_dir}/wav" \
    --out-dir "${decode_dir}"
  cat "${decode_dir}/scores.md"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  mkdir -p exp/export
  rm -rf "exp/export/${tag}"
  cp -r "${expdir}/bundle" "exp/export/${tag}"
  diffmm info "exp/export/${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
