# shellcheck shell=bash disable=SC2034  # the path variables are used by the scripts that source this
# Paths and process checks for the local OpenSearch node, shared by opensearch-up.sh and
# opensearch-down.sh. Source after deploy/local/env.sh; defines functions and OPENSEARCH_* variables only.
#
# OpenSearch refuses to run as root. Run as root (CI, this machine), the node runs as the system user
# $OPENSEARCH_RUN_USER (created on first start) from $OPENSEARCH_RUN_DIR, a folder outside /root that
# the user can read; run as anyone else, it runs as that user from $STOCKROOM_STATE/opensearch.

OPENSEARCH_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The pom is the single place that names the OpenSearch version; the cache folder is named after it.
OPENSEARCH_VERSION="$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$OPENSEARCH_DEPLOY_DIR/pom.xml")"
OPENSEARCH_CACHE_DIR="$STOCKROOM_CACHE/opensearch-$OPENSEARCH_VERSION"
OPENSEARCH_DIST_DIR="$OPENSEARCH_CACHE_DIR/home"
OPENSEARCH_DIST_MARKER="$OPENSEARCH_CACHE_DIR/home.complete"
OPENSEARCH_STATE_DIR="$STOCKROOM_STATE/opensearch"
OPENSEARCH_PID_FILE="$OPENSEARCH_STATE_DIR/opensearch.pid"
OPENSEARCH_CONSOLE_LOG="$OPENSEARCH_STATE_DIR/opensearch.out"

if [[ $EUID -eq 0 ]]; then
  : "${OPENSEARCH_RUN_USER:=stockroom-opensearch}"
  : "${OPENSEARCH_RUN_DIR:=/var/lib/stockroom-opensearch}"
  OPENSEARCH_HOME_DIR="$OPENSEARCH_RUN_DIR/opensearch-$OPENSEARCH_VERSION"
else
  OPENSEARCH_RUN_USER="$(id -un)"
  : "${OPENSEARCH_RUN_DIR:=$OPENSEARCH_STATE_DIR}"
  OPENSEARCH_HOME_DIR="$OPENSEARCH_DIST_DIR"
fi
OPENSEARCH_CONF_DIR="$OPENSEARCH_RUN_DIR/config"
OPENSEARCH_DATA_DIR="$OPENSEARCH_RUN_DIR/data"
OPENSEARCH_LOG_DIR="$OPENSEARCH_RUN_DIR/logs"
OPENSEARCH_LOCAL_URL="http://127.0.0.1:$OPENSEARCH_PORT"

# True when the process is alive and is our node (guards against a recycled pid).
opensearch_is_our_node() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dopensearch.path.conf=$OPENSEARCH_CONF_DIR "
}

# Prints the node's pid from the pid file, or finds an orphan started with our config folder.
opensearch_running_pid() {
  local pid=""
  [[ -f "$OPENSEARCH_PID_FILE" ]] && pid="$(<"$OPENSEARCH_PID_FILE")"
  if opensearch_is_our_node "$pid"; then
    echo "$pid"
    return 0
  fi
  pid="$(pgrep -f -- "-Dopensearch.path.conf=$OPENSEARCH_CONF_DIR " | head -n1 || true)"
  if opensearch_is_our_node "$pid"; then
    echo "$pid"
    return 0
  fi
  return 1
}

opensearch_port_is_open() { (exec 3<>"/dev/tcp/127.0.0.1/$OPENSEARCH_PORT") 2>/dev/null; }

# A real round trip: the root endpoint answers with OpenSearch's own banner.
opensearch_answers() {
  curl -fsS --max-time 3 "$OPENSEARCH_LOCAL_URL/" 2>/dev/null | grep -q '"distribution" *: *"opensearch"'
}

# The cluster is ready for indexes: yellow or green (one node, so replicas never allocate).
opensearch_healthy() {
  curl -fsS --max-time 3 "$OPENSEARCH_LOCAL_URL/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
    grep -q '"status" *: *"\(green\|yellow\)"'
}

# analysis-common is loaded: the english analyzer stems "running" to "run".
opensearch_has_analysis_common() {
  curl -fsS --max-time 5 -H 'Content-Type: application/json' -d '{"analyzer":"english","text":"running"}' \
    "$OPENSEARCH_LOCAL_URL/_analyze" 2>/dev/null | grep -q '"token" *: *"run"'
}
