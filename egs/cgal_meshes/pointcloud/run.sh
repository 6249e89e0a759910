#!/usr/bin/env bash
# Point-cloud diffusion (Luo & Hu 2021) on the 139 OFF meshes (plus 2 PLY, 2 STL) that Debian's
# libcgal-demo ships: offline, minutes on 2 CPU cores. NOT ShapeNet: a small, mixed bag of
# shapes (animals, mechanical parts, test polyhedra), so the numbers test the pipeline, not the
# paper's. Stage 0 unpacks the package without installing it; stages 1-8 are
# egs/TEMPLATE/pointcloud/pointcloud.sh (options given here are passed on).
set -euo pipefail
cd "$(dirname "$0")"
. ./path.sh
. utils/log.sh

stage=0
for ((i = 1; i <= $#; i++)); do  # peek at --stage; everything is passed on
  [ "${!i}" != "--stage" ] || { j=$((i + 1)); stage=${!j}; }
done
meshes=downloads/usr/share/doc/libcgal-dev/data/meshes
if [ "$stage" -le 0 ]; then
  log "Stage 0: unpacking libcgal-demo's meshes into downloads/ (apt-get download + dpkg -x)"
  mkdir -p downloads
  if [ ! -d "$meshes" ]; then
    (cd downloads && apt-get download libcgal-demo && dpkg -x libcgal-demo_*.deb .)
    tar -xzf downloads/usr/share/doc/libcgal-dev/data.tar.gz -C downloads/usr/share/doc/libcgal-dev
  fi
  log "$(find "$meshes" -maxdepth 1 -type f | wc -l) shape files in $meshes"
fi
./pointcloud.sh --stage 1 --source "$meshes" --num-points 256 --ae-config conf/cpu_ae.yaml \
  --gen-config conf/cpu_gen.yaml "$@"
