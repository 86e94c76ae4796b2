#!/usr/bin/env bash
# Stops the local OpenSearch node started by opensearch-up.sh (a node it did not start is left alone).
#   deploy/local/opensearch-down.sh [--wipe]
#     --wipe   also delete the node's data (indexes); the next opensearch-up starts empty
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/env.sh
. "$here/env.sh"
# shellcheck source=SCRIPTDIR/opensearch/node-lib.sh
. "$here/opensearch/node-lib.sh"

OPENSEARCH_STOP_TIMEOUT_S=30

log() { echo "opensearch-down: $*" >&2; }
die() {
  echo "opensearch-down: ERROR: $*" >&2
  exit 1
}

usage() {
  sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

take_lock() {
  mkdir -p "$OPENSEARCH_STATE_DIR"
  exec 8>"$OPENSEARCH_STATE_DIR/opensearch.lock"
  flock -w 300 8 || die "gave up waiting for $OPENSEARCH_STATE_DIR/opensearch.lock"
}

wait_for_exit() {
  local pid="$1" seconds="$2"
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  ! kill -0 "$pid" 2>/dev/null
}

stop_opensearch() {
  local pid
  if ! pid="$(opensearch_running_pid)"; then
    rm -f "$OPENSEARCH_PID_FILE"
    log "opensearch: not running"
    return 0
  fi
  local start=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  if wait_for_exit "$pid" "$OPENSEARCH_STOP_TIMEOUT_S"; then
    log "opensearch: stopped (pid $pid) in $((SECONDS - start)) s"
  else
    log "opensearch: pid $pid ignored SIGTERM for ${OPENSEARCH_STOP_TIMEOUT_S} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 10 || die "opensearch pid $pid survived SIGKILL"
  fi
  rm -f "$OPENSEARCH_PID_FILE"
}

main() {
  local wipe=0 arg
  for arg in "$@"; do
    case "$arg" in
      --wipe) wipe=1 ;;
      -h | --help) usage ;;
      *)
        echo "opensearch-down: unknown argument: $arg" >&2
        usage
        ;;
    esac
  done
  take_lock
  stop_opensearch
  if ((wipe)); then
    rm -rf "$OPENSEARCH_DATA_DIR"
    log "opensearch: data deleted ($OPENSEARCH_DATA_DIR)"
  fi
}

main "$@"
