#!/usr/bin/env bash
# Entry point behind the README's commands. Each subcommand installs what it needs (Node LTS, pnpm,
# dependencies), starts the local infrastructure (PostgreSQL, Redis, Kafka) and then does its job.
#   start   infrastructure up, migrations applied, every service started in the background and healthy
#           (OpenSearch too when SEARCH_ENGINE=opensearch; the search service uses PostgreSQL otherwise)
#   stop    stop the services started by `start`, the Kafka broker and the OpenSearch node
#   test    run every test (extra arguments go to vitest); starts OpenSearch, whose engine is tested too
#   check   typecheck, lint, buf lint, generated code up to date
#   generate regenerate protobuf code from proto/
#   bench   run a service's or package's benchmark scripts (bench/*.ts), e.g. `bench services/warehouse`
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=deploy/local/toolchain.sh
. deploy/local/toolchain.sh
# shellcheck source=deploy/local/env.sh
. deploy/local/env.sh

install_dependencies() {
  if [ -n "${CI:-}" ]; then
    pnpm install --frozen-lockfile --reporter=append-only
  else
    pnpm install --prefer-offline --reporter=silent
  fi
}

migrate_all() {
  local dir
  for dir in migrations/*/; do
    [ -d "$dir" ] || continue
    # The schema is the folder's name with '-' as '_' (migrations/payment-sandbox -> payment_sandbox).
    node packages/db/src/migrate-cli.ts --schema "$(basename "$dir" | tr '-' '_')" --dir "$dir"
  done
}

# Services are the folders under services/ whose package.json has a start script; each is given its
# port from services.env so the suite runs side by side.
service_dirs() {
  local dir
  for dir in services/*/; do
    [ -f "$dir/package.json" ] && grep -q '"start"' "$dir/package.json" && basename "$dir"
  done
  return 0
}

# gRPC services answer the standard health check; HTTP ones (the payment sandbox) GET /healthz.
probe_health() {
  local kind="$1" address="$2"
  if [ "$kind" = http ]; then
    curl -fsS --max-time 2 "http://$address/healthz" >/dev/null 2>&1
  else
    pnpm exec buf curl --protocol grpc --http2-prior-knowledge \
      "http://$address/grpc.health.v1.Health/Check" >/dev/null 2>&1
  fi
}

wait_healthy() {
  local name="$1" address="$2" kind="${3:-grpc}" deadline=$((SECONDS + 60))
  until probe_health "$kind" "$address"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "stockroom: $name did not become healthy on $address; last log lines:" >&2
      tail -n 40 "$STOCKROOM_STATE/services/$name.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

start_services() {
  mkdir -p "$STOCKROOM_STATE/services"
  local name pidfile prefix port_var http_var kind address
  for name in $(service_dirs); do
    pidfile="$STOCKROOM_STATE/services/$name.pid"
    # A service has a <NAME>_GRPC_PORT in env.sh, or (HTTP only, like the payment sandbox) <NAME>_HTTP_PORT.
    prefix="$(echo "$name" | tr '[:lower:]-' '[:upper:]_')"
    port_var="${prefix}_GRPC_PORT"
    http_var="${prefix}_HTTP_PORT"
    kind=grpc
    if [ -z "${!port_var:-}" ] && [ -n "${!http_var:-}" ]; then
      port_var="$http_var"
      kind=http
    fi
    address="127.0.0.1:${!port_var:?$port_var is not set in deploy/local/env.sh}"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "stockroom: $name already running (pid $(cat "$pidfile"))"
    else
      # exec: the background job is the service itself, holding none of this script's pipes.
      (cd "services/$name" && exec node src/main.ts) >"$STOCKROOM_STATE/services/$name.log" 2>&1 </dev/null &
      echo $! >"$pidfile"
    fi
    wait_healthy "$name" "$address" "$kind"
    echo "stockroom: $name healthy on $address (log: $STOCKROOM_STATE/services/$name.log)"
  done
}

stop_services() {
  local pidfile pid
  for pidfile in "$STOCKROOM_STATE"/services/*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

check_generated_code() {
  pnpm --filter @stockroom/proto generate
  if ! git diff --quiet -- packages/proto/src/gen || [ -n "$(git ls-files --others --exclude-standard packages/proto/src/gen)" ]; then
    echo "stockroom: generated protobuf code is out of date; run 'pnpm generate' and commit" >&2
    git status --short -- packages/proto/src/gen >&2
    return 1
  fi
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  start)
    install_dependencies
    bash deploy/local/infra-up.sh
    if [ "${SEARCH_ENGINE:-postgres}" = opensearch ]; then bash deploy/local/opensearch-up.sh; fi
    migrate_all
    start_services
    ;;
  stop)
    stop_services
    bash deploy/local/infra-down.sh
    bash deploy/local/opensearch-down.sh
    ;;
  test)
    install_dependencies
    bash deploy/local/infra-up.sh
    bash deploy/local/opensearch-up.sh
    exec pnpm exec vitest run "$@"
    ;;
  generate)
    install_dependencies
    pnpm --filter @stockroom/proto generate
    ;;
  check)
    install_dependencies
    pnpm exec buf lint proto
    check_generated_code
    pnpm exec turbo run typecheck --output-logs=errors-only
    pnpm exec biome ci --colors=off .
    # The layer rules (.dependency-cruiser.cjs): a forbidden import fails the check, naming the rule.
    pnpm exec depcruise --config .dependency-cruiser.cjs --output-type err services packages
    node deploy/compose/check-compose.ts
    bash deploy/kubernetes/check-manifests.sh
    bash deploy/prometheus/check-rules.sh
    ;;
  bench)
    install_dependencies
    bash deploy/local/infra-up.sh
    target="${1:?usage: deploy/local/stockroom.sh bench <services/x|packages/x>}"
    # The search benchmark compares its two engines side by side.
    if [ "$target" = services/search ]; then bash deploy/local/opensearch-up.sh; fi
    for script in "$target"/bench/*.ts; do
      echo "== $script" >&2
      node "$script"
    done
    ;;
  *)
    echo "usage: deploy/local/stockroom.sh start|stop|test|check|bench" >&2
    exit 2
    ;;
esac
