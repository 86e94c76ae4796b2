#!/usr/bin/env bash
# Starts a real single-node OpenSearch for the search service's OpenSearch engine, on the local JVM
# (Java 17), from the distribution and the analysis-common module on Maven Central, the way
# infra-up.sh runs Kafka: loopback only, small heap, single-node discovery, no security plugin.
# Idempotent: when the node already runs it only checks and returns. Defaults come from env.sh
# (OPENSEARCH_PORT, OPENSEARCH_TRANSPORT_PORT, OPENSEARCH_HEAP). Stop it with opensearch-down.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/env.sh
. "$here/env.sh"
# shellcheck source=SCRIPTDIR/opensearch/node-lib.sh
. "$here/opensearch/node-lib.sh"

OPENSEARCH_READY_TIMEOUT_S="${OPENSEARCH_READY_TIMEOUT_S:-180}"

log() { echo "opensearch-up: $*" >&2; }
die() {
  echo "opensearch-up: ERROR: $*" >&2
  exit 1
}

now() { echo "${EPOCHREALTIME/,/.}"; }
seconds_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

take_lock() {
  mkdir -p "$OPENSEARCH_STATE_DIR"
  exec 8>"$OPENSEARCH_STATE_DIR/opensearch.lock"
  if ! flock -n 8; then
    log "another opensearch-up/opensearch-down holds $OPENSEARCH_STATE_DIR/opensearch.lock; waiting"
    flock -w 300 8 || die "gave up waiting for $OPENSEARCH_STATE_DIR/opensearch.lock"
  fi
}

need() {
  command -v "$1" >/dev/null || die "$1 is needed (infra-up.sh installs Java and Maven; on Debian: apt-get install $2)"
}

# What the assembled distribution is made from; a change to either assembles it anew.
dist_checksum() {
  { cat "$OPENSEARCH_DEPLOY_DIR/pom.xml"; declare -f write_analysis_common_descriptor; } | sha256sum | cut -d' ' -f1
}

# The module's descriptor, in the shape of the distribution's own (modules/transport-netty4). It extends
# no plugin: the only part of analysis-common that needs lang-painless (script conditions in token
# filters) stays unused, and this distribution has no painless.
write_analysis_common_descriptor() {
  cat >"$1/plugin-descriptor.properties" <<DESCRIPTOR
description=Adds "built in" analyzers to OpenSearch.
version=$OPENSEARCH_VERSION
name=analysis-common
classname=org.opensearch.analysis.common.CommonAnalysisPlugin
java.version=11
opensearch.version=$OPENSEARCH_VERSION
custom.foldername=
extended.plugins=
has.native.controller=false
DESCRIPTOR
}

# Downloads and assembles the distribution once per checksum; the marker is written last, so an
# interrupted download or unpack is redone rather than trusted.
ensure_distribution() {
  local sum
  sum="$(dist_checksum)"
  if [[ -f "$OPENSEARCH_DIST_MARKER" && "$(<"$OPENSEARCH_DIST_MARKER")" == "$sum" ]]; then
    return 0
  fi
  need java default-jre-headless
  need mvn maven
  local start download="$OPENSEARCH_CACHE_DIR/download" staging="$OPENSEARCH_CACHE_DIR/home.tmp"
  start="$(now)"
  log "fetching OpenSearch $OPENSEARCH_VERSION and analysis-common from Maven Central into $OPENSEARCH_CACHE_DIR"
  mkdir -p "$OPENSEARCH_CACHE_DIR"
  rm -rf "$download" "$staging"
  mvn -q -B -Dstyle.color=never -f "$OPENSEARCH_DEPLOY_DIR/pom.xml" \
    dependency:unpack@distribution dependency:copy@modules \
    -Dopensearch.download.dir="$download" >&2 || die "mvn could not fetch OpenSearch"
  [[ -f "$download/opensearch-$OPENSEARCH_VERSION/bin/opensearch" ]] || die "the distribution has no bin/opensearch"
  mv "$download/opensearch-$OPENSEARCH_VERSION" "$staging"
  chmod +x "$staging"/bin/*
  mkdir -p "$staging/modules/analysis-common"
  cp "$download/analysis-common-$OPENSEARCH_VERSION.jar" "$staging/modules/analysis-common/"
  write_analysis_common_descriptor "$staging/modules/analysis-common"
  rm -rf "$OPENSEARCH_DIST_DIR" "$download"
  mv "$staging" "$OPENSEARCH_DIST_DIR"
  echo "$sum" >"$OPENSEARCH_DIST_MARKER"
  log "opensearch: distribution assembled in $(seconds_since "$start") s ($(du -sh "$OPENSEARCH_DIST_DIR" | cut -f1))"
}

# As root: a system user to run the node as, and a copy of the distribution it can read (the cache
# is under root's home, which other users cannot enter).
ensure_run_user() {
  [[ $EUID -eq 0 ]] || return 0
  if ! id -u "$OPENSEARCH_RUN_USER" >/dev/null 2>&1; then
    need useradd passwd
    useradd --system --user-group --home-dir "$OPENSEARCH_RUN_DIR" --no-create-home \
      --shell /usr/sbin/nologin "$OPENSEARCH_RUN_USER" || die "could not create the system user $OPENSEARCH_RUN_USER"
    log "created system user $OPENSEARCH_RUN_USER to run OpenSearch (it refuses to run as root)"
  fi
  mkdir -p "$OPENSEARCH_RUN_DIR"
  chmod 755 "$OPENSEARCH_RUN_DIR"
  local marker="$OPENSEARCH_HOME_DIR.complete"
  if [[ ! -f "$marker" || "$(<"$marker")" != "$(<"$OPENSEARCH_DIST_MARKER")" ]]; then
    rm -rf "$OPENSEARCH_HOME_DIR" "$OPENSEARCH_HOME_DIR.tmp"
    cp -a "$OPENSEARCH_DIST_DIR" "$OPENSEARCH_HOME_DIR.tmp"
    chown -R root:root "$OPENSEARCH_HOME_DIR.tmp"
    chmod -R a+rX,go-w "$OPENSEARCH_HOME_DIR.tmp"
    mv "$OPENSEARCH_HOME_DIR.tmp" "$OPENSEARCH_HOME_DIR"
    cp "$OPENSEARCH_DIST_MARKER" "$marker"
  fi
}

# The node's own config folder: opensearch.yml from the template, the distribution's jvm.options with
# the heap set to $OPENSEARCH_HEAP and its relative paths (GC log, heap dumps, crash files) made absolute.
write_config() {
  mkdir -p "$OPENSEARCH_CONF_DIR/jvm.options.d" "$OPENSEARCH_DATA_DIR" "$OPENSEARCH_LOG_DIR"
  sed -e "s|@OPENSEARCH_PORT@|$OPENSEARCH_PORT|g" \
    -e "s|@OPENSEARCH_TRANSPORT_PORT@|$OPENSEARCH_TRANSPORT_PORT|g" \
    -e "s|@OPENSEARCH_DATA_DIR@|$OPENSEARCH_DATA_DIR|g" \
    -e "s|@OPENSEARCH_LOG_DIR@|$OPENSEARCH_LOG_DIR|g" \
    "$OPENSEARCH_DEPLOY_DIR/opensearch.yml.template" >"$OPENSEARCH_CONF_DIR/opensearch.yml"
  sed -e "s|^-Xms.*|-Xms$OPENSEARCH_HEAP|" -e "s|^-Xmx.*|-Xmx$OPENSEARCH_HEAP|" \
    -e "s|HeapDumpPath=data|HeapDumpPath=$OPENSEARCH_DATA_DIR|" \
    -e "s|ErrorFile=logs/|ErrorFile=$OPENSEARCH_LOG_DIR/|" \
    -e "s|file=logs/gc.log|file=$OPENSEARCH_LOG_DIR/gc.log|" \
    -e "s|filecount=32,filesize=64m|filecount=4,filesize=16m|" \
    "$OPENSEARCH_HOME_DIR/config/jvm.options" >"$OPENSEARCH_CONF_DIR/jvm.options"
  cp "$OPENSEARCH_HOME_DIR/config/log4j2.properties" "$OPENSEARCH_CONF_DIR/log4j2.properties"
  if [[ $EUID -eq 0 ]]; then
    chown -R "$OPENSEARCH_RUN_USER:" "$OPENSEARCH_CONF_DIR" "$OPENSEARCH_DATA_DIR" "$OPENSEARCH_LOG_DIR"
  fi
}

java_home() {
  if [[ -n "${OPENSEARCH_JAVA_HOME:-}" ]]; then
    echo "$OPENSEARCH_JAVA_HOME"
    return 0
  fi
  local java
  java="$(readlink -f "$(command -v java)")" || die "no java on PATH"
  dirname "$(dirname "$java")"
}

start_opensearch_process() {
  local as_user=()
  if [[ $EUID -eq 0 ]]; then
    as_user=(setpriv --reuid="$OPENSEARCH_RUN_USER" --regid="$OPENSEARCH_RUN_USER" --init-groups --)
  fi
  # setsid: the node must outlive the shell that started it, and not catch the caller's Ctrl-C.
  # 8>&- 9>&-: it must hold neither this script's lock nor infra-up's.
  # bin/opensearch ends in `exec java`, so $! is the node's pid.
  (
    cd "$OPENSEARCH_RUN_DIR"
    exec nohup setsid "${as_user[@]}" env HOME="$OPENSEARCH_RUN_DIR" OPENSEARCH_HOME="$OPENSEARCH_HOME_DIR" \
      OPENSEARCH_PATH_CONF="$OPENSEARCH_CONF_DIR" OPENSEARCH_JAVA_HOME="$(java_home)" \
      "$OPENSEARCH_HOME_DIR/bin/opensearch"
  ) >"$OPENSEARCH_CONSOLE_LOG" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$OPENSEARCH_PID_FILE"
}

print_opensearch_logs() {
  echo "---- tail of $OPENSEARCH_CONSOLE_LOG" >&2
  tail -n 40 "$OPENSEARCH_CONSOLE_LOG" >&2 2>/dev/null || true
}

wait_for_opensearch() {
  local pid="$1"
  local deadline=$((SECONDS + OPENSEARCH_READY_TIMEOUT_S))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      print_opensearch_logs
      rm -f "$OPENSEARCH_PID_FILE"
      die "OpenSearch exited during start-up (if its data is beyond repair: deploy/local/opensearch-down.sh --wipe)"
    fi
    if opensearch_port_is_open && opensearch_healthy; then
      return 0
    fi
    sleep 1
  done
  print_opensearch_logs
  die "OpenSearch (pid $pid) not healthy on $OPENSEARCH_LOCAL_URL after ${OPENSEARCH_READY_TIMEOUT_S} s"
}

check_analysis_common() {
  opensearch_has_analysis_common ||
    die "OpenSearch on $OPENSEARCH_LOCAL_URL has no english analyzer (analysis-common is missing)"
}

main() {
  take_lock
  local pid start
  start="$(now)"
  if pid="$(opensearch_running_pid)"; then
    echo "$pid" >"$OPENSEARCH_PID_FILE"
    wait_for_opensearch "$pid"
    check_analysis_common
    log "opensearch: already running (pid $pid) on $OPENSEARCH_LOCAL_URL"
    return 0
  fi
  if [[ -f "$OPENSEARCH_PID_FILE" ]]; then
    log "opensearch: removing stale pid file (pid $(<"$OPENSEARCH_PID_FILE") is not our node)"
    rm -f "$OPENSEARCH_PID_FILE"
  fi
  if opensearch_port_is_open; then
    # Someone else's node (e.g. docker compose): use it if it really is OpenSearch.
    opensearch_answers || die "127.0.0.1:$OPENSEARCH_PORT is taken by something that does not answer as OpenSearch"
    check_analysis_common
    log "opensearch: already running on $OPENSEARCH_LOCAL_URL (not started by this script)"
    return 0
  fi
  # Only now: a running node (as a non-root user) runs from the assembled distribution itself.
  ensure_distribution
  ensure_run_user
  write_config
  start_opensearch_process
  pid="$(<"$OPENSEARCH_PID_FILE")"
  wait_for_opensearch "$pid"
  check_analysis_common
  log "opensearch: started in $(seconds_since "$start") s (pid $pid, $OPENSEARCH_VERSION, heap $OPENSEARCH_HEAP, as $OPENSEARCH_RUN_USER) on $OPENSEARCH_LOCAL_URL; logs in $OPENSEARCH_LOG_DIR"
}

main "$@"
