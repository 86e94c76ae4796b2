# shellcheck shell=bash disable=SC2034  # the path variables are used by the scripts that source this
# Paths and process checks for the local Kafka broker, shared by infra-up.sh, infra-down.sh and
# kafka-run-class.sh. Source after deploy/local/env.sh; defines functions and KAFKA_* path variables only.

KAFKA_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The pom is the single place that names the Kafka version; the cache folder is named after it.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_DEPLOY_DIR/pom.xml")"
KAFKA_HOME_DIR="$STOCKROOM_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS_DIR="$KAFKA_HOME_DIR/libs"
KAFKA_LIBS_MARKER="$KAFKA_HOME_DIR/libs.complete"
KAFKA_STATE_DIR="$STOCKROOM_STATE/kafka"
KAFKA_DATA_DIR="$KAFKA_STATE_DIR/data"
KAFKA_LOG_DIR="$KAFKA_STATE_DIR/logs"
KAFKA_PROPERTIES="$KAFKA_STATE_DIR/server.properties"
KAFKA_PID_FILE="$KAFKA_STATE_DIR/kafka.pid"
KAFKA_CONSOLE_LOG="$KAFKA_LOG_DIR/kafka.out"

# True when the process is alive and is our broker (guards against a recycled pid).
kafka_is_our_broker() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_PROPERTIES"
}

# Prints the broker's pid from the pid file, or finds an orphan started with our properties file.
kafka_running_pid() {
  local pid=""
  [[ -f "$KAFKA_PID_FILE" ]] && pid="$(<"$KAFKA_PID_FILE")"
  if kafka_is_our_broker "$pid"; then
    echo "$pid"
    return 0
  fi
  pid="$(pgrep -f -- "kafka.Kafka $KAFKA_PROPERTIES" | head -n1 || true)"
  if kafka_is_our_broker "$pid"; then
    echo "$pid"
    return 0
  fi
  return 1
}

port_is_open() {
  local port="$1"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Runs a Kafka main class (tool) on the cached classpath with a quick-starting JVM and quiet logging.
kafka_run_class() {
  local main_class="$1"
  shift
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DEPLOY_DIR/log4j.properties" \
    -Dkafka.root.logger="WARN, stderr" -Dkafka.logs.dir="$KAFKA_LOG_DIR" \
    -cp "$KAFKA_LIBS_DIR/*" "$main_class" "$@"
}
