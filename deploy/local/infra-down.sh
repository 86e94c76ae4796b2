#!/usr/bin/env bash
# Stops the local Kafka broker started by infra-up.sh. PostgreSQL and Redis are machine services and
# are left alone, unless --all is given and infra-up.sh was the one that started them.
#   deploy/local/infra-down.sh [--all] [--wipe-kafka]
#     --all          also stop Redis and PostgreSQL, each only if infra-up.sh started it
#     --wipe-kafka   also delete the broker's data (topics, offsets); the next infra-up formats anew
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/env.sh
. "$here/env.sh"
# shellcheck source=SCRIPTDIR/kafka/broker-lib.sh
. "$here/kafka/broker-lib.sh"

KAFKA_STOP_TIMEOUT_S=30

log() { echo "infra-down: $*" >&2; }
die() {
  echo "infra-down: ERROR: $*" >&2
  exit 1
}

usage() {
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

take_lock() {
  mkdir -p "$STOCKROOM_STATE"
  exec 9>"$STOCKROOM_STATE/infra.lock"
  flock -w 300 9 || die "gave up waiting for $STOCKROOM_STATE/infra.lock"
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

stop_kafka() {
  local pid
  if ! pid="$(kafka_running_pid)"; then
    rm -f "$KAFKA_PID_FILE"
    log "kafka: not running"
    return 0
  fi
  local start=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  if wait_for_exit "$pid" "$KAFKA_STOP_TIMEOUT_S"; then
    log "kafka: stopped (pid $pid) in $((SECONDS - start)) s"
  else
    log "kafka: pid $pid ignored SIGTERM for ${KAFKA_STOP_TIMEOUT_S} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 10 || die "kafka pid $pid survived SIGKILL"
  fi
  rm -f "$KAFKA_PID_FILE"
}

wipe_kafka() {
  rm -rf "$KAFKA_DATA_DIR"
  log "kafka: data deleted ($KAFKA_DATA_DIR)"
}

stop_redis_if_ours() {
  local marker="$STOCKROOM_STATE/started-redis"
  if [[ ! -f "$marker" ]]; then
    log "redis: left running (not started by infra-up)"
    return 0
  fi
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -f "$marker"
  log "redis: stopped"
}

stop_postgres_if_ours() {
  local marker="$STOCKROOM_STATE/started-postgres"
  if [[ ! -f "$marker" ]]; then
    log "postgres: left running (not started by infra-up)"
    return 0
  fi
  local version
  version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n1)"
  if [[ $EUID -eq 0 ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop >&2
  else
    sudo pg_ctlcluster --skip-systemctl-redirect "$version" main stop >&2
  fi
  rm -f "$marker"
  log "postgres: stopped"
}

main() {
  local all=0 wipe=0 arg
  for arg in "$@"; do
    case "$arg" in
      --all) all=1 ;;
      --wipe-kafka) wipe=1 ;;
      -h | --help) usage ;;
      *)
        echo "infra-down: unknown argument: $arg" >&2
        usage
        ;;
    esac
  done
  take_lock
  stop_kafka
  if ((wipe)); then wipe_kafka; fi
  if ((all)); then
    stop_redis_if_ours
    stop_postgres_if_ours
  fi
}

main "$@"
