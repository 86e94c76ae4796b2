#!/usr/bin/env bash
# Runs a class from the local Kafka distribution fetched by infra-up.sh, like Kafka's own kafka-run-class.sh.
# Examples:
#   deploy/local/kafka/kafka-run-class.sh org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#   deploy/local/kafka/kafka-run-class.sh kafka.tools.ConsoleProducer --bootstrap-server 127.0.0.1:9092 --topic t
#   deploy/local/kafka/kafka-run-class.sh org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server 127.0.0.1:9092 --topic t --from-beginning
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/../env.sh
. "$here/../env.sh"
# shellcheck source=SCRIPTDIR/broker-lib.sh
. "$here/broker-lib.sh"

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <main-class> [args...]" >&2
  exit 2
fi
if [[ ! -f "$KAFKA_LIBS_MARKER" ]]; then
  echo "kafka-run-class: no Kafka jars in $KAFKA_LIBS_DIR; run deploy/local/infra-up.sh first" >&2
  exit 1
fi
kafka_run_class "$@"
