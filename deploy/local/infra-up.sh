#!/usr/bin/env bash
# Starts what Stockroom needs on a machine without Docker: PostgreSQL and Redis (machine services,
# started or installed from Debian's packages if absent) and a real single-node Apache Kafka broker in
# KRaft mode, run on the local JVM from Kafka's jars on Maven Central. Idempotent: when everything
# already runs it only checks and returns. Defaults come from deploy/local/env.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/env.sh
. "$here/env.sh"
# shellcheck source=SCRIPTDIR/kafka/broker-lib.sh
. "$here/kafka/broker-lib.sh"

KAFKA_READY_TIMEOUT_S="${KAFKA_READY_TIMEOUT_S:-90}"
APT_UPDATED=0

log() { echo "infra-up: $*" >&2; }
die() {
  echo "infra-up: ERROR: $*" >&2
  exit 1
}

now() { echo "${EPOCHREALTIME/,/.}"; }
seconds_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null || die "cannot install $* here (no apt-get); install it yourself"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    as_root apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2 9>&- # daemons it starts must not hold the lock
}

# One run at a time: a second caller waits, then finds everything up and returns quickly.
# Daemons started while the lock is held get it closed (9>&-), or they would hold it forever.
take_lock() {
  mkdir -p "$STOCKROOM_STATE"
  exec 9>"$STOCKROOM_STATE/infra.lock"
  if ! flock -n 9; then
    log "another infra-up/infra-down holds $STOCKROOM_STATE/infra.lock; waiting"
    flock -w 300 9 || die "gave up waiting for $STOCKROOM_STATE/infra.lock"
  fi
}

# ---------------------------------------------------------------- PostgreSQL

pg_ready() { pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 2; }

pg_cluster_version() {
  [[ -d /etc/postgresql ]] || return 0
  find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n1
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null || [[ -z "$(pg_cluster_version)" ]]; then
    apt_install postgresql
  fi
  local version
  version="$(pg_cluster_version)"
  [[ -n "$version" ]] || die "PostgreSQL installed but no cluster in /etc/postgresql"
  log "starting PostgreSQL $version/main"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 9>&- || true
  local i
  for ((i = 0; i < 60; i++)); do
    pg_ready && return 0
    sleep 0.5
  done
  die "PostgreSQL did not accept connections on $PGHOST:$PGPORT within 30 s"
}

pg_trust_works() { psql -w -X -q -d postgres -Atc 'select 1' >/dev/null 2>&1; }

# A fresh Debian cluster only allows peer auth on the socket and scram on TCP. Local development and
# tests connect as postgres over loopback without a password, so add loopback trust lines for that
# user ahead of the others (pg_hba is first match wins).
ensure_loopback_trust() {
  pg_trust_works && return 0
  if [[ $EUID -ne 0 ]] || ! command -v runuser >/dev/null; then
    die "cannot connect as $PGUSER@$PGHOST:$PGPORT without a password; add 'host all $PGUSER 127.0.0.1/32 trust' to pg_hba.conf"
  fi
  local hba
  hba="$(runuser -u postgres -- psql -X -Atc 'show hba_file')" || die "cannot ask PostgreSQL for its hba_file"
  log "adding loopback trust for user $PGUSER to $hba"
  local tmp
  tmp="$(mktemp)"
  {
    echo "# Added by Stockroom deploy/local/infra-up.sh: passwordless loopback access for local development."
    echo "host all $PGUSER 127.0.0.1/32 trust"
    echo "host all $PGUSER ::1/128 trust"
    cat "$hba"
  } >"$tmp"
  cat "$tmp" >"$hba" # keep the file's owner and mode
  rm -f "$tmp"
  runuser -u postgres -- psql -X -q -Atc 'select pg_reload_conf()' >/dev/null
  sleep 0.2
  pg_trust_works || die "still cannot connect as $PGUSER@$PGHOST:$PGPORT after editing $hba"
}

db_name_of() {
  local url="${1%%\?*}"
  echo "${url##*/}"
}

ensure_database() {
  local db="$1"
  local exists
  exists="$(psql -w -X -d postgres -Atc "select 1 from pg_database where datname = '$db'")"
  if [[ "$exists" != 1 ]]; then
    # Another tool may create it at the same moment; only a database still missing afterwards is an error.
    createdb -w "$db" 2>/dev/null || [[ "$(psql -w -X -d postgres -Atc "select 1 from pg_database where datname = '$db'")" == 1 ]] ||
      die "could not create database $db"
    log "created database $db"
  fi
}

ensure_postgres() {
  local start status
  start="$(now)"
  command -v pg_isready >/dev/null || apt_install postgresql
  if pg_ready; then
    status="already running"
  else
    start_postgres
    touch "$STOCKROOM_STATE/started-postgres"
    status="started in $(seconds_since "$start") s"
  fi
  ensure_loopback_trust
  ensure_database "$(db_name_of "$DATABASE_URL")"
  ensure_database "$(db_name_of "$TEST_DATABASE_URL")"
  log "postgres: $status on $PGHOST:$PGPORT (databases $(db_name_of "$DATABASE_URL"), $(db_name_of "$TEST_DATABASE_URL"))"
}

# ---------------------------------------------------------------- Redis

redis_ready() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  local start
  start="$(now)"
  command -v redis-cli >/dev/null || apt_install redis-server
  if redis_ready; then
    log "redis: already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$STOCKROOM_STATE/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$STOCKROOM_STATE/redis" --logfile "$STOCKROOM_STATE/redis/redis.log" >&2 9>&- # not the lock
  local i
  for ((i = 0; i < 40; i++)); do
    if redis_ready; then
      touch "$STOCKROOM_STATE/started-redis"
      log "redis: started in $(seconds_since "$start") s on 127.0.0.1:$REDIS_PORT"
      return 0
    fi
    sleep 0.25
  done
  tail -n 20 "$STOCKROOM_STATE/redis/redis.log" >&2 || true
  die "Redis did not answer PING on 127.0.0.1:$REDIS_PORT within 10 s"
}

# ---------------------------------------------------------------- Kafka

pom_checksum() { sha256sum "$KAFKA_DEPLOY_DIR/pom.xml" | cut -d' ' -f1; }

# Downloads the broker's classpath once per pom; the marker is written last, so an interrupted
# download is redone rather than trusted.
ensure_kafka_jars() {
  local sum
  sum="$(pom_checksum)"
  if [[ -f "$KAFKA_LIBS_MARKER" && "$(<"$KAFKA_LIBS_MARKER")" == "$sum" ]]; then
    return 0
  fi
  command -v java >/dev/null || apt_install default-jre-headless
  command -v mvn >/dev/null || apt_install maven
  local start
  start="$(now)"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS_DIR"
  mkdir -p "$KAFKA_HOME_DIR"
  rm -rf "$KAFKA_LIBS_DIR.tmp"
  mvn -q -B -Dstyle.color=never -f "$KAFKA_DEPLOY_DIR/pom.xml" dependency:copy-dependencies \
    -Dkafka.libs.dir="$KAFKA_LIBS_DIR.tmp" >&2 || die "mvn could not fetch the Kafka jars"
  rm -rf "$KAFKA_LIBS_DIR"
  mv "$KAFKA_LIBS_DIR.tmp" "$KAFKA_LIBS_DIR"
  echo "$sum" >"$KAFKA_LIBS_MARKER"
  log "kafka: jars fetched in $(seconds_since "$start") s ($(du -sh "$KAFKA_LIBS_DIR" | cut -f1))"
}

write_kafka_properties() {
  mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA_DIR|g" \
    "$KAFKA_DEPLOY_DIR/server.properties.template" >"$KAFKA_PROPERTIES"
}

# Formats the log dir once. A data dir without meta.properties was never fully formatted (or was
# half-written by a killed format), so it is cleared and formatted again.
format_kafka_storage() {
  [[ -f "$KAFKA_DATA_DIR/meta.properties" ]] && return 0
  local cluster_id
  cluster_id="$(kafka_run_class kafka.tools.StorageTool random-uuid)" || die "could not generate a cluster id"
  log "formatting Kafka storage in $KAFKA_DATA_DIR (cluster id $cluster_id)"
  find "$KAFKA_DATA_DIR" -mindepth 1 -delete
  kafka_run_class kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_PROPERTIES" >&2 ||
    die "kafka storage format failed"
}

start_kafka_process() {
  # setsid: the broker must outlive the shell that started it, and not catch the caller's Ctrl-C.
  # 9>&-: it must not inherit the lock, or every later infra-up would wait for the broker to exit.
  nohup setsid java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DEPLOY_DIR/log4j.properties" \
    -Dkafka.root.logger="INFO, serverLog" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
    -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$KAFKA_PROPERTIES" \
    >"$KAFKA_CONSOLE_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_PID_FILE"
}

print_kafka_logs() {
  echo "---- tail of $KAFKA_CONSOLE_LOG" >&2
  tail -n 30 "$KAFKA_CONSOLE_LOG" >&2 2>/dev/null || true
  echo "---- tail of $KAFKA_LOG_DIR/server.log" >&2
  tail -n 40 "$KAFKA_LOG_DIR/server.log" >&2 2>/dev/null || true
}

# A real round trip: metadata plus ApiVersions from the broker, through Kafka's own admin tool.
kafka_answers() {
  timeout 20 bash -c "$(declare -f kafka_run_class); $(declare -p KAFKA_DEPLOY_DIR KAFKA_LOG_DIR KAFKA_LIBS_DIR);
    kafka_run_class kafka.admin.BrokerApiVersionsCommand --bootstrap-server 127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1
}

wait_for_kafka() {
  local pid="$1" start="$2"
  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    # kill -0, not kafka_is_our_broker: right after the fork the child has not exec'd java yet.
    if ! kill -0 "$pid" 2>/dev/null; then
      print_kafka_logs
      rm -f "$KAFKA_PID_FILE"
      die "Kafka broker exited during start-up (if its data is beyond repair: deploy/local/infra-down.sh --wipe-kafka)"
    fi
    if port_is_open "$KAFKA_PORT" && kafka_answers; then
      return 0
    fi
    sleep 0.5
  done
  print_kafka_logs
  die "Kafka broker (pid $pid) not ready on 127.0.0.1:$KAFKA_PORT after ${KAFKA_READY_TIMEOUT_S} s"
}

ensure_kafka() {
  ensure_kafka_jars
  local pid start
  start="$(now)"
  if pid="$(kafka_running_pid)"; then
    echo "$pid" >"$KAFKA_PID_FILE"
    if port_is_open "$KAFKA_PORT"; then
      log "kafka: already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    log "kafka: broker pid $pid is up but not listening yet; waiting"
    wait_for_kafka "$pid" "$start"
    log "kafka: ready in $(seconds_since "$start") s (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  if [[ -f "$KAFKA_PID_FILE" ]]; then
    log "kafka: removing stale pid file (pid $(<"$KAFKA_PID_FILE") is not our broker)"
    rm -f "$KAFKA_PID_FILE"
  fi
  if port_is_open "$KAFKA_PORT"; then
    # Someone else's broker (e.g. docker compose): use it if it really is Kafka.
    kafka_answers || die "127.0.0.1:$KAFKA_PORT is taken by something that does not answer as Kafka"
    log "kafka: already running on 127.0.0.1:$KAFKA_PORT (not started by this script)"
    return 0
  fi
  write_kafka_properties
  format_kafka_storage
  start_kafka_process
  pid="$(<"$KAFKA_PID_FILE")"
  wait_for_kafka "$pid" "$start"
  log "kafka: started in $(seconds_since "$start") s (pid $pid, $KAFKA_VERSION, KRaft) on 127.0.0.1:$KAFKA_PORT; logs in $KAFKA_LOG_DIR"
}

main() {
  take_lock
  ensure_postgres
  ensure_redis
  ensure_kafka
}

main "$@"
