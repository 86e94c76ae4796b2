#!/bin/sh
# The image's entrypoint: runs one Stockroom service or worker by name.
#   <service> [args]          a folder under services/ (warehouse, catalog, ...): node src/main.ts there.
#                             The warehouse's WAREHOUSE_COMPONENTS (api, relay, sweeper) picks what it runs.
#   migrate [name[=schema]]   apply migrations/<name> to schema <schema> (default: <name>, '-' as '_') for
#                             each name given, or for every folder under migrations/; reads DATABASE_URL.
#   migrate --except a,b      every folder under migrations/ but a and b (production leaves out dev tools)
set -eu
cd /app

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  printf 'services:' >&2
  for dir in services/*/src/main.ts; do
    dir="${dir%/src/main.ts}"
    printf ' %s' "${dir#services/}" >&2
  done
  printf '\n' >&2
}

migrate() {
  except=""
  if [ "${1:-}" = "--except" ]; then
    except=",${2:?migrate --except needs a comma-separated list},"
    shift 2
  fi
  if [ $# -eq 0 ]; then
    for dir in migrations/*/; do
      dir="${dir%/}"
      dir="${dir#migrations/}"
      case "$except" in *",$dir,"*) continue ;; esac
      set -- "$@" "$dir"
    done
  fi
  for spec in "$@"; do
    name="${spec%%=*}"
    schema="${spec#*=}"
    # The schema is the folder's name with '-' as '_' (migrations/payment-sandbox -> payment_sandbox), as
    # deploy/local/stockroom.sh applies it.
    [ "$schema" = "$spec" ] && schema="$(printf '%s' "$name" | tr '-' '_')"
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
