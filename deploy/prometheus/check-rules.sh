#!/usr/bin/env bash
# Checks the alert rules with Prometheus' own tool: `promtool check rules` (syntax, PromQL, templates)
# and `promtool test rules` (every alert fires on a bad series and stays silent on a healthy one).
# Installs Debian's prometheus package, which carries promtool, when it is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v promtool >/dev/null; then
  echo "check-rules: installing promtool (apt-get install prometheus)" >&2
  as_root=()
  [[ $EUID -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >&2
fi
cd "$here"
promtool check rules alerts.rules.yml
promtool check config prometheus.yml
promtool test rules alerts.test.yml
