#!/usr/bin/env bash
# One PaxosGo node's DNS front end, alone on the machine, measured by bench/dns/dnsperf.sh.
#
#   bash deploy/local-cluster.sh --once      # once: the cluster puts deploy/example.com.zone, then stops
#   bash bench/dns/paxosgo-node.sh [SECONDS]
#
# Starts Azurite on deploy/.local/azurite and node-a alone, as local-cluster.sh starts it (same
# runtime settings). The node serves the zones of its own replica (its saved snapshot) from blob
# storage: DNS needs no quorum. Waits until it answers www.example.com, measures its DNS port (5301),
# then stops the node and Azurite. With BESIDE_CLUSTER=1 it measures node-a of a running local
# cluster instead (start it first with deploy/local-cluster.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
local_dir="$repo/deploy/.local"
seconds="${1:-10}"
port=5301
if [[ "${BESIDE_CLUSTER:-0}" == 1 ]]; then
    exec bash "$repo/bench/dns/dnsperf.sh" paxosgo-node-a-beside-cluster "$port" "$seconds"
fi
[[ -f "$local_dir/mesh.json" ]] || { echo "no deploy/.local: run 'bash deploy/local-cluster.sh --once' first" >&2; exit 2; }
bash "$repo/azurite/azurite.sh" start "$local_dir/azurite" >/dev/null
admin_public_key="$(dotnet "$repo/src/PaxosGo.Cli/bin/Release/net10.0/paxosgo.dll" key show --key "$local_dir/keys/admin.key" | awk '$1 " " $2 == "public key:" { print $3 }')"
(cd "$local_dir" && export DOTNET_gcServer=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_GCgen0size=0x4000000 && exec setsid dotnet "$repo/src/PaxosGo.Silo/bin/Release/net10.0/paxosgo-silo.dll" run \
    --PaxosGo:Node=node-a --PaxosGo:KeyFile="$local_dir/keys/node-a.key" --PaxosGo:MeshFile="$local_dir/mesh.json" \
    --PaxosGo:AdminPublicKey="$admin_public_key" --PaxosGo:ClusterId=local --PaxosGo:ServiceId=local) </dev/null >"$local_dir/logs/bench-node-a.log" 2>&1 &
node=$!
stop() {
    # A node alone may take long to stop (Orleans tries to reach its dead peers): 20 s, then SIGKILL.
    kill -INT "$node" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$node" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$node" 2>/dev/null || true
    wait "$node" 2>/dev/null || true
    bash "$repo/azurite/azurite.sh" stop "$local_dir/azurite" >/dev/null 2>&1 || true
}
trap stop EXIT
for _ in $(seq 1 120); do
    dig @127.0.0.1 -p "$port" www.example.com A +short +norec +time=1 +tries=1 2>/dev/null | grep -q . && break
    sleep 0.5
done
dig @127.0.0.1 -p "$port" www.example.com A +short +norec +time=1 +tries=1 | grep -q . || { echo "node-a does not answer DNS; log: $local_dir/logs/bench-node-a.log" >&2; exit 1; }
sleep 2
bash "$repo/bench/dns/dnsperf.sh" paxosgo-node-a-alone "$port" "$seconds"
