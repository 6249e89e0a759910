# Stages 0-2 of the speech egs (vocoder.sh, tts.sh), sourced after their options are parsed:
# 0-1 the corpus's own local/data.sh, 2 log-mel features of every set into dump/.
# Reads: stage, stop_stage, sample_rate, local_data_opts, sets, nj.
for data_stage in 0 1; do
  if [ "${stage}" -le ${data_stage} ] && [ "${stop_stage}" -ge ${data_stage} ]; then
    # shellcheck disable=SC2086
    local/data.sh --stage ${data_stage} --stop-stage ${data_stage} ${sample_rate:+--sample-rate "$sample_rate"} $local_data_opts
  fi
done

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
  log "Stage 2: log-mel features (hifigan preset${sample_rate:+ at ${sample_rate} Hz}) into dump/"
  for set in $sets; do
    python -m diffmm.audio.features dump --data-dir "data/${set}" --out-dir "dump/${set}" \
      --preset hifigan ${sample_rate:+--mel sample_rate="$sample_rate"} --nj "$nj"
  done
fi
