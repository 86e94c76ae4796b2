# shellcheck shell=bash
# Local defaults for Stockroom's infrastructure and tests. Source it: `. deploy/local/env.sh`.
# Sets only what is unset, so a developer's or CI's own values always win.

: "${STOCKROOM_CACHE:=$HOME/.cache/stockroom}"      # downloaded jars (Kafka), toolchain
: "${STOCKROOM_STATE:=$HOME/.local/state/stockroom}" # Kafka data, logs, pid files, lock
export STOCKROOM_CACHE STOCKROOM_STATE

: "${PGHOST:=127.0.0.1}"
: "${PGPORT:=5432}"
: "${PGUSER:=postgres}"
export PGHOST PGPORT PGUSER

: "${REDIS_PORT:=6379}"
: "${KAFKA_PORT:=9092}"
: "${KAFKA_CONTROLLER_PORT:=9093}"
export REDIS_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT

: "${DATABASE_URL:=postgres://$PGUSER@$PGHOST:$PGPORT/stockroom}"
: "${TEST_DATABASE_URL:=postgres://$PGUSER@$PGHOST:$PGPORT/stockroom_test}"
: "${REDIS_URL:=redis://127.0.0.1:$REDIS_PORT}"
: "${TEST_REDIS_URL:=redis://127.0.0.1:$REDIS_PORT}"
: "${KAFKA_BROKERS:=127.0.0.1:$KAFKA_PORT}"
: "${TEST_KAFKA_BROKERS:=127.0.0.1:$KAFKA_PORT}"
export DATABASE_URL TEST_DATABASE_URL REDIS_URL TEST_REDIS_URL KAFKA_BROKERS TEST_KAFKA_BROKERS
export WAREHOUSE_GRPC_PORT="${WAREHOUSE_GRPC_PORT:-50051}"
export WAREHOUSE_HTTP_PORT="${WAREHOUSE_HTTP_PORT:-8451}"  # the same API over Connect/JSON (curl, browsers)
export JWT_SECRET="${JWT_SECRET:-dev-only-secret-change-me-0123456789abcdef}"  # local development only
export CATALOG_GRPC_PORT="${CATALOG_GRPC_PORT:-50052}"
export CATALOG_HTTP_PORT="${CATALOG_HTTP_PORT:-8452}"
export SEARCH_GRPC_PORT="${SEARCH_GRPC_PORT:-50056}"
export SEARCH_HTTP_PORT="${SEARCH_HTTP_PORT:-8456}"
export FULFILLMENT_GRPC_PORT="${FULFILLMENT_GRPC_PORT:-50054}"
export FULFILLMENT_HTTP_PORT="${FULFILLMENT_HTTP_PORT:-8454}"
export FULFILLMENT_METRICS_PORT="${FULFILLMENT_METRICS_PORT:-9454}"
# The sandbox payment gateway (services/payment-sandbox): HTTP, Stripe-shaped, state in schema payment_sandbox.
export PAYMENT_SANDBOX_HTTP_PORT="${PAYMENT_SANDBOX_HTTP_PORT:-50060}"
export PAYMENT_SANDBOX_WEBHOOK_SECRET="${PAYMENT_SANDBOX_WEBHOOK_SECRET:-whsec_dev_only_0123456789abcdef}"  # local development only
# The order service: gRPC, and its payment webhook listener (the sandbox posts its webhooks there).
export ORDER_GRPC_PORT="${ORDER_GRPC_PORT:-50053}"
export ORDER_HTTP_PORT="${ORDER_HTTP_PORT:-8453}"  # the same API over Connect/JSON
export ORDER_WEBHOOK_PORT="${ORDER_WEBHOOK_PORT:-50063}"
# The review service: gRPC and Connect; VerifyPurchase asked of the local order service (fail closed).
export REVIEW_GRPC_PORT="${REVIEW_GRPC_PORT:-50055}"
export REVIEW_HTTP_PORT="${REVIEW_HTTP_PORT:-8455}"
export REVIEW_ORDER_GRPC_ADDRESS="${REVIEW_ORDER_GRPC_ADDRESS:-127.0.0.1:$ORDER_GRPC_PORT}"
export PAYMENT_SANDBOX_WEBHOOK_URL="${PAYMENT_SANDBOX_WEBHOOK_URL:-http://127.0.0.1:$ORDER_WEBHOOK_PORT/webhooks/sandbox}"
