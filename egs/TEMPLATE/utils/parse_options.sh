#!/usr/bin/env bash
# Kaldi-style option parsing, sourced by a run.sh after its defaults:
#   . utils/parse_options.sh
# "--foo-bar VALUE" or "--foo-bar=VALUE" sets the shell variable foo_bar, which must already be
# defined (an unknown option is an error). A variable whose default is true/false only takes
# true/false; stage and stop_stage only take integers. "--config FILE" sources FILE first
# (lines like foo_bar=3). "--help" prints the script's $help_message (or its defaults) and
# exits 0. Positional arguments stay in "$@".

__po_usage() {
  if [ -n "${help_message:-}" ]; then
    printf '%s\n' "$help_message"
  else
    echo "Usage: $0 [options] <args>"
  fi
}

__po_positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      __po_usage
      exit 0 ;;
    --config|--config=*)
      if [ "$1" = "--config" ]; then
        [ $# -ge 2 ] || { echo "$0: option --config needs a file" 1>&2; exit 1; }
        __po_file=$2; shift 2
      else
        __po_file=${1#--config=}; shift
      fi
      [ -f "$__po_file" ] || { echo "$0: config file $__po_file not found" 1>&2; exit 1; }
      # shellcheck disable=SC1090
      . "$__po_file" ;;
    --)
      shift; __po_positional+=("$@"); break ;;
    --*=*|--*)
      if [[ "$1" == *=* ]]; then
        __po_opt=${1%%=*}; __po_value=${1#*=}; shift
      else
        [ $# -ge 2 ] || { echo "$0: option $1 needs a value" 1>&2; exit 1; }
        __po_opt=$1; __po_value=$2; shift 2
      fi
      __po_name=$(printf '%s' "${__po_opt#--}" | tr '-' '_')
      if ! [[ "$__po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!__po_name+set}" ]; then
        echo "$0: invalid option $__po_opt" 1>&2
        __po_usage 1>&2
        exit 1
      fi
      __po_old=${!__po_name}
      if { [ "$__po_old" = true ] || [ "$__po_old" = false ]; } \
        && [ "$__po_value" != true ] && [ "$__po_value" != false ]; then
        echo "$0: option $__po_opt takes true or false, got '$__po_value'" 1>&2
        exit 1
      fi
      printf -v "$__po_name" '%s' "$__po_value" ;;
    *)
      __po_positional+=("$1"); shift ;;
  esac
done
set -- "${__po_positional[@]+"${__po_positional[@]}"}"
# stage numbers are compared with [ -le ]: a word there would only print errors and run on
for __po_name in stage stop_stage; do
  if [ -n "${!__po_name+set}" ] && ! [[ "${!__po_name}" =~ ^-?[0-9]+$ ]]; then
    echo "$0: option --${__po_name//_/-} takes an integer, got '${!__po_name}'" 1>&2
    exit 1
  fi
done
unset __po_positional __po_file __po_opt __po_value __po_name __po_old
