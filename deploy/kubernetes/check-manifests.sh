#!/usr/bin/env bash
# Renders and validates the Kubernetes manifests (check-manifests.ts). Installs kubectl, which carries
# kustomize, with apt-get when it is missing (Debian's kubectl, else its kubernetes-client).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

if ! command -v kubectl >/dev/null; then
  echo "check-manifests: installing kubectl (apt-get)" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >&2 ||
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >&2
fi
# base uses `labels` and `replicas`, which need kustomize 4 or later (kubectl 1.21+).
if ! kubectl version --client 2>/dev/null | grep -q 'Kustomize Version: v[4-9]'; then
  echo "check-manifests: kubectl $(kubectl version --client 2>&1 | head -n1) lacks kustomize 4+" >&2
  exit 1
fi
exec node "$here/check-manifests.ts" "$@"
