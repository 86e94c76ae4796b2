#!/bin/sh
# The image's entrypoint: runs one Stockroom service or worker by name.
#   <service> [args]          a folder under services/ (warehouse, catalog, ...): node src/main.ts there.
#                             The warehouse's WAREHOUSE_COMPONENTS (api, relay, sweeper) picks what it runs.
#   migrate [name[=schema]]   apply migrations/<name> to schema <schema> (default: <name>) for each name
#                             given, or for every folder under migrations/; reads DATABASE_URL.
set -eu
cd /app

usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  printf 'services:' >&2
  for dir in services/*/src/main.ts; do
    dir="${dir%/src/main.ts}"
    printf ' %s' "${dir#services/}" >&2
  done
  printf '\n' >&2
}

migrate() {
  if [ $# -eq 0 ]; then
    for dir in migrations/*/; do
      dir="${dir%/}"
      set -- "$@" "${dir#migrations/}"
    done
  fi
  for spec in "$@"; do
    name="${spec%%=*}"
    schema="${spec#*=}"
    [ -d "migrations/$name" ] || {
      echo "entrypoint: no migrations/$name" >&2
      exit 2
    }
    node packages/db/src/migrate-cli.ts --schema "$schema" --dir "migrations/$name"
  done
}

name="${1:-}"
[ $# -gt 0 ] && shift
case "$name" in
  "" | -h | --help)
    usage
    exit 2
    ;;
  migrate)
    migrate "$@"
    ;;
  *)
    if [ ! -f "services/$name/src/main.ts" ]; then
      echo "entrypoint: unknown service '$name'" >&2
      usage
      exit 2
    fi
    cd "services/$name"
    # exec: the service is PID 1's process and receives SIGTERM itself (it drains, then exits).
    exec node src/main.ts "$@"
    ;;
esac
