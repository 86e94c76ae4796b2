# syntax=docker/dockerfile:1
# One image for every Stockroom service and worker; the entrypoint takes the service's name:
#   docker build -t stockroom .
#   docker run --rm -e DATABASE_URL=... -e KAFKA_BROKERS=... -e JWT_SECRET=... stockroom warehouse
#   docker run --rm -e WAREHOUSE_COMPONENTS=relay ... stockroom warehouse      (the relay alone)
#   docker run --rm -e DATABASE_URL=... stockroom migrate                       (every schema's migrations)
# Services run their TypeScript directly (Node strips the types), so there is no build step: the image
# holds the sources and the production dependencies only.
# Without a registry, deploy/container/build-image.sh builds an equivalent base from Debian's packages and
# passes it as BASE_IMAGE.
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS pnpm
ARG PNPM_VERSION=10.34.9
# extra-ca-certs (optional build secret): CA certificates to trust for the registry, for a network that
# intercepts TLS; the build script passes the machine's bundle. It stays out of every layer.
RUN --mount=type=secret,id=extra-ca-certs,required=false \
  if [ -f /run/secrets/extra-ca-certs ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra-ca-certs; fi \
  && npm install --global --no-audit --no-fund --loglevel=error "pnpm@${PNPM_VERSION}"

FROM pnpm AS dependencies
WORKDIR /app
# The lockfile alone decides what is downloaded, so this layer is reused until a dependency changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
# pnpm-workspace.yaml's patchedDependencies name these (kafkajs #1751's fix).
COPY patches ./patches
RUN --mount=type=secret,id=extra-ca-certs,required=false \
  if [ -f /run/secrets/extra-ca-certs ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra-ca-certs; fi \
  && pnpm fetch --prod --reporter=append-only
COPY . .
RUN pnpm install --offline --prod --frozen-lockfile --reporter=append-only

FROM ${BASE_IMAGE} AS runtime
# build_info{version, commit} on every service's /metrics: docker build --build-arg STOCKROOM_COMMIT=...
ARG STOCKROOM_VERSION=dev
ARG STOCKROOM_COMMIT=unknown
ENV NODE_ENV=production STOCKROOM_VERSION=${STOCKROOM_VERSION} STOCKROOM_COMMIT=${STOCKROOM_COMMIT}
# A numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --gid 10001 stockroom \
  && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
    --shell /usr/sbin/nologin stockroom
WORKDIR /app
# Owned by root and not writable by the service user: the root filesystem may be mounted read-only.
COPY --from=dependencies /app /app
USER 10001:10001
ENTRYPOINT ["/app/deploy/container/entrypoint.sh"]
CMD ["--help"]
