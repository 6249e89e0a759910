#!/usr/bin/env bash
# DiffWave vocoder on LJSpeech (Kong et al. 2021): Kaldi/ESPnet stages from a downloaded corpus
# to scored copy-synthesis of the held-out LJ002 utterances and an exported bundle.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
ljspeech_root=   # the downloaded LJSpeech-1.1 directory (metadata.csv, wavs/)
train_config=conf/base.yaml   # conf/base.yaml | conf/large.yaml
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/diffwave.py, e.g. "trainer.max_steps=1000"
nj=4             # parallel jobs for feature extraction
eval_set=test    # held-out set vocoded in stage 6 (test = LJ002-*, valid = LJ001-*)
sampler=ddpm     # any engine sampler: ddpm ddim dpmpp_2m ...
steps=           # empty: DiffWave's 6-step fast schedule; N: the training schedule in N steps
batch_size=8
seed=0

help_message="Usage: $0 --ljspeech-root PATH [--stage N] [--stop-stage M] [--train-config YAML]
                [--tag TAG] [--train-args 'k=v ...'] [--sampler NAME] [--steps N] [--eval-set test|valid]
Stages: 0 locate LJSpeech, 1 data prep, 2 features, 3 statistics, 5 train (re-running resumes),
        6 vocode the held-out mels, 7 scoring, 8 export."

cd "$(dirname "$0")"
. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
decode_dir=${expdir}/decode_${eval_set}_${sampler}${steps:+_${steps}steps}

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  log "Stage 0: locating LJSpeech"
  if [ -z "$ljspeech_root" ] || [ ! -f "$ljspeech_root/metadata.csv" ] || [ ! -d "$ljspeech_root/wavs" ]; then
    log "Give --ljspeech-root PATH: the LJSpeech-1.1 directory holding metadata.csv and wavs/"
    log "(download https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2 and untar it)"
    exit 1
  fi
  log "LJSpeech found at ${ljspeech_root}"
fi

if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "Stage 1: data preparation (data/train, data/valid = LJ001, data/test = LJ002)"
  [ -n "$ljspeech_root" ] || { log "stage 1 needs --ljspeech-root"; exit 1; }
  python "$MAIN_ROOT/data_prep/ljspeech.py" --root "$ljspeech_root" --out-dir data
fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
  log "Stage 2: log-mel features (hifigan preset) into dump/"
  for set in train valid test; do
    python -m diffmm.audio.features dump --data-dir "data/${set}" --out-dir "dump/${set}" \
      --preset hifigan --nj "$nj"
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
    exp_dir="$expdir" data.train_dir=data/train data.valid_dir=data/valid \
    data.train_feats=dump/train/feats.scp data.valid_feats=dump/valid/feats.scp \
    data.stats=dump/train/stats $train_args
  tail -n 3 "${expdir}/train.log" | head -n 1
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: vocoding dump/${eval_set} into ${decode_dir}/wav"
  ${decode_cmd} "${decode_dir}/vocode.log" diffmm vocode "${expdir}/bundle" \
    --feats-scp "dump/${eval_set}/feats.scp" -o "${decode_dir}/wav" --sampler "$sampler" \
    ${steps:+--steps "$steps"} --batch-size "$batch_size" --seed "$seed"
  grep "real-time factor" "${decode_dir}/vocode.log"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against data/${eval_set} (${decode_dir}/scores.md)"
  python -m diffmm.metrics.score_speech --ref-scp "data/${eval_set}/wav.scp" --gen-dir "${decode_dir}/wav" \
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
