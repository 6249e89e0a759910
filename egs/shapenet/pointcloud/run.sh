#!/usr/bin/env bash
# Point-cloud diffusion (Luo & Hu 2021) on ShapeNet at the paper's size (GPU-sized: 300k-400k
# steps of batch 128). ShapeNet cannot be downloaded here: stage 0 takes the path of a copy,
# Luo & Hu's shapenet.hdf5 ([synset][split] → (M, 2048, 3)) or PointFlow's
# ShapeNetCore.v2.PC15k root. Stages 1-8 are egs/TEMPLATE/pointcloud/pointcloud.sh.
#   ./run.sh --data /path/to/shapenet.hdf5 [--category chair] [--stage N] [...]
set -euo pipefail
cd "$(dirname "$0")"
. ./path.sh
. utils/log.sh

data=
category=airplane   # airplane: AE and generation configs; chair: generation
passed=()
while [ $# -gt 0 ]; do  # take --data and --category, pass the rest on
  case "$1" in
    --data) data=$2; shift 2 ;;
    --category) category=$2; shift 2 ;;
    *) passed+=("$1"); shift ;;
  esac
done

log "Stage 0: locating ShapeNet at '${data}'"
if [ -z "$data" ] || [ ! -e "$data" ]; then
  log "give the downloaded data: --data shapenet.hdf5 (Luo & Hu) or --data ShapeNetCore.v2.PC15k"
  exit 2
fi
ae_config=
[ "$category" != airplane ] || ae_config=conf/airplane_ae.yaml
./pointcloud.sh --source "$data" --categories "$category" --num-points 2048 \
  ${ae_config:+--ae-config "$ae_config"} --gen-config "conf/${category}_gen.yaml" \
  --sampler ddpm --normalization shape_bbox "${passed[@]}"
