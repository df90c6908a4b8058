#!/usr/bin/env bash
# One DNS server, measured with dnsperf over UDP on loopback; prints one JSON line per run.
#
#   bash bench/dns/dnsperf.sh LABEL PORT [SECONDS]
#
# Two runs against 127.0.0.1:PORT with the queries of bench/dns/queries.txt (the zone is
# deploy/example.com.zone, the NSD anchor's zone):
#   open:    dnsperf -c 16 -T 1 -l SECONDS, as fast as the server answers (the NSD anchor's command);
#   at RATE: dnsperf -Q RATE (default 67800, half of NSD's 135,600 anchor) with every query's latency
#            (-v), for the latency percentiles at that rate.
# Needs dnsperf (Debian package dnsperf).
set -euo pipefail
label="${1:?usage: dnsperf.sh LABEL PORT [SECONDS]}"
port="${2:?usage: dnsperf.sh LABEL PORT [SECONDS]}"
seconds="${3:-10}"
rate="${RATE:-67800}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
queries="$here/queries.txt"
command -v dnsperf >/dev/null || { echo "dnsperf is missing (apt-get install dnsperf)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

summary() { # file -> qps avg_ms lost completed
    awk '/Queries completed:/ { c = $3 } /Queries lost:/ { l = $3 } /Queries per second:/ { q = $4 } /Average Latency/ { a = $4 * 1000 }
         END { printf "%s %s %s %s\n", q, a, l, c }' "$1"
}

dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$seconds" -c 16 -T 1 >"$out/open.txt" 2>&1
read -r qps avg lost completed < <(summary "$out/open.txt")
printf '{"server":"%s","mode":"open","clients":16,"seconds":%s,"qps":%.0f,"avg_ms":%.3f,"lost":%s,"completed":%s}\n' \
    "$label" "$seconds" "$qps" "$avg" "$lost" "$completed"

dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l "$seconds" -c 16 -T 1 -Q "$rate" -v >"$out/rate.txt" 2>&1
read -r qps avg lost completed < <(summary "$out/rate.txt")
awk '/^> / { print $NF * 1000 }' "$out/rate.txt" | sort -n >"$out/latencies.txt"
n=$(wc -l <"$out/latencies.txt")
pct() { sed -n "$(((n * $1 + 99) / 100))p" "$out/latencies.txt"; }
printf '{"server":"%s","mode":"rate","target_qps":%s,"clients":16,"seconds":%s,"qps":%.0f,"avg_ms":%.3f,"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"lost":%s,"completed":%s}\n' \
    "$label" "$rate" "$seconds" "$qps" "$avg" "$(pct 50)" "$(pct 99)" "$(awk -v n="$n" 'NR == int(n * 0.999 + 0.999) { print }' "$out/latencies.txt")" "$(tail -1 "$out/latencies.txt")" "$lost" "$completed"
