#!/usr/bin/env bash
# The TTS stages shared by every egs/<corpus>/{gradtts,priorgrad_am}/run.sh (ESPnet's TEMPLATE
# pattern): stages 0-1 are the corpus's own local/data.sh, stages 2-8 are the same everywhere.
set -euo pipefail

stage=0          # first stage to run
stop_stage=8     # last stage to run
local_data_opts= # options for local/data.sh (stages 0-1), e.g. "--ljspeech-root /data/LJSpeech-1.1"
train_set=train  # data/<set> the model trains on
valid_set=valid  # held-out set scored during training
eval_set=valid   # held-out set synthesised in stage 6 and scored in stage 7
sample_rate=     # mel preset sample rate (empty: the preset's own, 22050 for hifigan)
train_config=
tag=             # experiment name (default: the config's name)
train_args=      # extra key=value overrides for recipes/gradtts.py, e.g. "trainer.max_steps=1000"
aligner=         # stage 3 (PriorGrad-AM): a trained gradtts bundle whose encoder aligns the training set
vocoder=         # stage 6: a DiffWave/PriorGrad bundle (empty: Griffin-Lim)
nj=4             # parallel jobs for feature extraction
sampler=         # any engine sampler (empty: the bundle's default)
steps=           # decoder steps (empty: the bundle's default)
seed=0
threads=         # OMP_NUM_THREADS for small models on busy CPUs (empty: PyTorch's default)

help_message="Usage: $0 [--stage N] [--stop-stage M] [--local-data-opts '...'] [--train-config YAML]
                [--tag TAG] [--train-args 'k=v ...'] [--aligner BUNDLE] [--vocoder BUNDLE]
                [--sampler NAME] [--steps N] [--eval-set SET]
Stages: 0-1 local/data.sh (locate or build the corpus; Kaldi data dirs), 2 features,
        3 phoneme statistics (PriorGrad-AM, needs --aligner), 4 tokens, 5 train (re-running
        resumes), 6 synthesise the held-out texts, 7 scoring, 8 export."

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
. utils/log.sh
[ -z "$threads" ] || export OMP_NUM_THREADS=$threads
[ -n "$train_config" ] || { echo "$0: the recipe's run.sh must give --train-config" 1>&2; exit 1; }

[ -n "$tag" ] || tag=$(basename "$train_config" .yaml)
expdir=exp/${tag}
decode_dir=${expdir}/decode_${eval_set}${sampler:+_${sampler}}${steps:+_${steps}steps}
sets=$(echo "$train_set $valid_set $eval_set" | tr ' ' '\n' | sort -u | tr '\n' ' ')

. utils/speech_data_stages.sh

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ]; then
  log "Stage 4: phoneme tokens of data/*/text into dump/*/tokens (and the symbol table)"
  for set in $sets; do
    python -m diffmm.models.gradtts.data --data-dir "data/${set}" --out-dir "dump/${set}"
  done
fi

# stage 3 runs after the tokens it needs; its number keeps the egs layout (3 = statistics)
if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  if [ -n "$aligner" ]; then
    [ -f "dump/${train_set}/tokens" ] || python -m diffmm.models.gradtts.data \
      --data-dir "data/${train_set}" --out-dir "dump/${train_set}"
    log "Stage 3: phoneme statistics of dump/${train_set} aligned by ${aligner}"
    python -m diffmm.models.gradtts.phoneme_stats --aligner "$aligner" \
      --tokens "dump/${train_set}/tokens" --feats-scp "dump/${train_set}/feats.scp" \
      --out "dump/${train_set}/phoneme_stats.safetensors"
  else
    log "Stage 3: no --aligner given: no phoneme statistics (only PriorGrad-AM needs them)"
  fi
fi

if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ]; then
  log "Stage 5: training in ${expdir} (log: ${expdir}/train.log)"
  # shellcheck disable=SC2086
  ${train_cmd} "${expdir}/train.log" python "$MAIN_ROOT/recipes/gradtts.py" --config "$train_config" \
    exp_dir="$expdir" ${sample_rate:+mel.sample_rate="$sample_rate"} \
    data.train_tokens="dump/${train_set}/tokens" data.train_feats="dump/${train_set}/feats.scp" \
    data.valid_tokens="dump/${valid_set}/tokens" data.valid_feats="dump/${valid_set}/feats.scp" \
    data.phoneme_stats="dump/${train_set}/phoneme_stats.safetensors" $train_args
  grep "exported bundle" "${expdir}/train.log"
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  log "Stage 6: synthesising data/${eval_set}/text into ${decode_dir}/wav"
  ${decode_cmd} "${decode_dir}/tts.log" diffmm tts "${expdir}/bundle" \
    --text-file "data/${eval_set}/text" --ids -o "${decode_dir}/wav" --plot --seed "$seed" \
    ${vocoder:+--vocoder "$vocoder"} ${sampler:+--sampler "$sampler"} ${steps:+--steps "$steps"}
  grep "real-time factor" "${decode_dir}/tts.log"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ]; then
  log "Stage 7: scoring against data/${eval_set} (${decode_dir}/scores.md, acoustic.json)"
  # DNSMOS and the recogniser's WER where their packages are installed (diffmm[speech-eval])
  diffmm evaluate speech --ref-scp "data/${eval_set}/wav.scp" --gen-dir "${decode_dir}/wav" \
    -o "${decode_dir}" --dnsmos --wer --text "data/${eval_set}/text" --extras-if-installed \
    --overwrite
  python -m diffmm.models.gradtts.evaluation --acoustic "${expdir}/bundle" \
    --tokens "dump/${eval_set}/tokens" --feats-scp "dump/${eval_set}/feats.scp" \
    ${sampler:+--sampler "$sampler"} ${steps:+--steps "$steps"} --out "${decode_dir}/acoustic.json"
  cat "${decode_dir}/scores.md" "${decode_dir}/acoustic.json"
fi

if [ "${stage}" -le 8 ] && [ "${stop_stage}" -ge 8 ]; then
  log "Stage 8: exporting the bundle to exp/export/${tag}"
  utils/export_bundle.sh "${expdir}" "${tag}"
fi

log "Done: stages ${stage}-${stop_stage} (${expdir})"
