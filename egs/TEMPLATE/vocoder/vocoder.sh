#!/usr/bin/env bash
# The vocoder stages shared by every egs/<corpus>/{diffwave,priorgrad}/run.sh (ESPnet's TEMPLATE
# pattern): stages 0-1 are the corpus's own local/data.sh, stages 2-8 are the same everywhere.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
local_data_opts= # options for local/data.sh (stages 0-1), e.g. "--ljspeech-root /data/LJSpeech-1.1"
sets="train valid"   # data sets to extract features for
eval_set=valid   # held-out set vocoded in stage 6 and scored in stage 7
sample_rate=     # mel preset sample rate (empty: the preset's own, 22050 for hifigan)
train_config=
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/diffwave.py, e.g. "trainer.max_steps=1000"
nj=4             # parallel jobs for feature extraction
sampler=ddpm     # any engine sampler: ddpm ddim dpmpp_2m ...
steps=           # empty: DiffWave's 6-step fast schedule; N: the training schedule in N steps
batch_size=8
seed=0
threads=         # OMP_NUM_THREADS for small models on busy CPUs (empty: PyTorch's default)

help_message="Usage: $0 [--stage N] [--stop-stage M] [--local-data-opts '...'] [--train-config YAML]
                [--tag TAG] [--train-args 'k=v ...'] [--sampler NAME] [--steps N] [--eval-set SET]
Stages: 0-1 local/data.sh (locate or build the corpus; Kaldi data dirs), 2 features, 3 statistics,
        5 train (re-running resumes), 6 vocode the held-out mels, 7 scoring, 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
[ -z "$threads" ] || export OMP_NUM_THREADS=$threads
[ -n "$train_config" ] || { echo "$0: the recipe's run.sh must give --train-config" 1>&2; exit 1; }

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
decode_dir=${expdir}/decode_${eval_set}_${sampler}${steps:+_${steps}steps}

. utils/speech_data_stages.sh

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  log "Stage 3: training-set statistics (mel mean/std, PriorGrad frame-energy range)"
  python -m diffmm.audio.features stats --feats-scp dump/train/feats.scp --out dump/train/stats
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/diffwave.py" --config "$train_config" \
    exp_dir="$expdir" ${sample_rate:+mel.sample_rate="$sample_rate"} data.train_dir=data/train \
    data.valid_dir=data/valid data.train_feats=dump/train/feats.scp \
    data.valid_feats=dump/valid/feats.scp data.stats=dump/train/stats $train_args
  tail -n 3 "${expdir}/train.log" | head -n 1
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: vocoding dump/${eval_set} into ${decode_dir}/wav"
  ${decode_cmd} "${decode_dir}/vocode.log" diffmm vocode "${expdir}/bundle" \
    --feats-scp "dump/${eval_set}/feats.scp" -o "${decode_dir}/wav" --sampler "$sampler" \
    ${steps:+--steps "$steps"} --batch-size "$batch_size" --seed "$seed" --overwrite
  grep "real-time factor" "${decode_dir}/vocode.log"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against data/${eval_set} (${decode_dir}/scores.md)"
  # DNSMOS, and the recogniser's WER where the set has a text, if their packages are installed
  text=data/${eval_set}/text
  [ -f "$text" ] || text=
  diffmm evaluate speech --ref-scp "data/${eval_set}/wav.scp" --gen-dir "${decode_dir}/wav" \
    -o "${decode_dir}" --dnsmos ${text:+--wer --text "$text"} --extras-if-installed --overwrite
  cat "${decode_dir}/scores.md"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
