#!/usr/bin/env bash
# log MESSAGE: timestamped message naming the calling script and line (ESPnet convention).
log() {
  local fname=${BASH_SOURCE[1]##*/}
  echo -e "$(date '+%Y-%m-%dT%H:%M:%S') (${fname}:${BASH_LINENO[0]}) $*"
}
