#!/usr/bin/env bash
# Runs the warehouse from the image built by build-image.sh against this machine's PostgreSQL and Kafka
# (host networking), waits until its gRPC health check says SERVING, then runs its relay alone
# (WAREHOUSE_COMPONENTS=relay, as the compose and Kubernetes workers do) until /readyz answers, then stops
# both with SIGTERM and expects clean exits. Ports and schema are its own, so it runs beside the tests:
#   deploy/container/smoke-test.sh   (STOCKROOM_IMAGE, SMOKE_GRPC_PORT, SMOKE_METRICS_PORT, SMOKE_RELAY_METRICS_PORT, SMOKE_SCHEMA)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=deploy/local/toolchain.sh
. "$root/deploy/local/toolchain.sh"
# shellcheck source=deploy/local/env.sh
. "$root/deploy/local/env.sh"
# shellcheck source=deploy/container/build-image.sh
STOCKROOM_PODMAN_ONLY=1 . "$here/build-image.sh"

grpc_port="${SMOKE_GRPC_PORT:-50151}"
metrics_port="${SMOKE_METRICS_PORT:-9551}"
relay_metrics_port="${SMOKE_RELAY_METRICS_PORT:-9552}"
schema="${SMOKE_SCHEMA:-image_smoke_test}"
name="stockroom-smoke-$$"

log() { echo "smoke-test: $*" >&2; }

cleanup() {
  podman_cmd rm --force --time 0 "$name" "$name-relay" >/dev/null 2>&1 || true
  psql -w -X -q -d "$DATABASE_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "starting $STOCKROOM_IMAGE warehouse (gRPC :$grpc_port, metrics :$metrics_port, schema $schema)"
podman_cmd run --detach --name "$name" --network host --read-only --tmpfs /tmp \
  -e DATABASE_URL="$DATABASE_URL" -e KAFKA_BROKERS="$KAFKA_BROKERS" -e JWT_SECRET="$JWT_SECRET" \
  -e WAREHOUSE_GRPC_PORT="$grpc_port" -e WAREHOUSE_METRICS_PORT="$metrics_port" \
  -e WAREHOUSE_DB_SCHEMA="$schema" -e WAREHOUSE_OUTBOX_TOPIC_PREFIX="$schema." \
  "$STOCKROOM_IMAGE" warehouse >/dev/null

deadline=$((SECONDS + 60))
until node "$here/health-check.ts" grpc "127.0.0.1:$grpc_port" 2>/dev/null; do
  if ((SECONDS >= deadline)) || [[ "$(podman_cmd inspect --format '{{.State.Running}}' "$name")" != true ]]; then
    podman_cmd logs "$name" >&2 || true
    log "FAILED: the warehouse did not become healthy"
    exit 1
  fi
  sleep 0.5
done
log "gRPC health: SERVING on 127.0.0.1:$grpc_port"
curl -fsS "http://127.0.0.1:$metrics_port/metrics" | grep -q '^grpc_server_handled_total\|^# HELP grpc_server_handled_total' ||
  { log "FAILED: no RPC metrics on :$metrics_port"; exit 1; }
podman_cmd exec "$name" node /app/deploy/container/health-check.ts grpc "127.0.0.1:$grpc_port" ||
  { log "FAILED: the image's own health check"; exit 1; }
log "the image's health check agrees; user $(podman_cmd exec "$name" id -u)"

log "starting the relay alone (WAREHOUSE_COMPONENTS=relay, metrics :$relay_metrics_port)"
podman_cmd run --detach --name "$name-relay" --network host --read-only --tmpfs /tmp \
  -e DATABASE_URL="$DATABASE_URL" -e KAFKA_BROKERS="$KAFKA_BROKERS" -e JWT_SECRET="$JWT_SECRET" \
  -e WAREHOUSE_COMPONENTS=relay -e WAREHOUSE_METRICS_PORT="$relay_metrics_port" \
  -e WAREHOUSE_DB_SCHEMA="$schema" -e WAREHOUSE_OUTBOX_TOPIC_PREFIX="$schema." \
  "$STOCKROOM_IMAGE" warehouse >/dev/null
deadline=$((SECONDS + 60))
until node "$here/health-check.ts" http "127.0.0.1:$relay_metrics_port" 2>/dev/null; do
  if ((SECONDS >= deadline)) || [[ "$(podman_cmd inspect --format '{{.State.Running}}' "$name-relay")" != true ]]; then
    podman_cmd logs "$name-relay" >&2 || true
    log "FAILED: the relay did not become ready"
    exit 1
  fi
  sleep 0.5
done
log "relay: /readyz 200 on :$relay_metrics_port (read-only root filesystem)"

for container in "$name-relay" "$name"; do
  podman_cmd stop --time 30 "$container" >/dev/null
  code="$(podman_cmd inspect --format '{{.State.ExitCode}}' "$container")"
  [[ "$code" == 0 ]] || { podman_cmd logs "$container" >&2; log "FAILED: $container exit code $code after SIGTERM"; exit 1; }
done
log "both stopped cleanly after SIGTERM (exit 0)"
