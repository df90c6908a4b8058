#!/usr/bin/env bash
# NSD 4.6 (Debian package nsd) serving deploy/example.com.zone on 127.0.0.1:5399 with one server
# process and RRL off, measured by bench/dns/dnsperf.sh: the anchor for the name server's front end
# (the same setup as ../shared/peers/nsd/bench.sh). Usage: bash bench/dns/nsd.sh [SECONDS]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v nsd >/dev/null || { echo "nsd is missing (apt-get install nsd)" >&2; exit 2; }
d="$(mktemp -d)"
cat >"$d/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1
  port: 5399
  server-count: 1
  username: ""
  zonesdir: "$repo/deploy"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: example.com.zone
CONF
nsd -c "$d/nsd.conf" -P "$d/nsd.pid"
trap 'kill "$(cat "$d/nsd.pid")" 2>/dev/null || true; sleep 1; rm -rf "$d"' EXIT
sleep 1
bash "$repo/bench/dns/dnsperf.sh" nsd-4.6 5399 "${1:-10}"
