#!/usr/bin/env bash
# A local 3-node PaxosGo cluster in one command (see deploy/README.md).
#
#   bash deploy/local-cluster.sh          # start, demo, then stay up until Ctrl-C
#   bash deploy/local-cluster.sh --once   # start, demo, stop everything, exit 0
#
# Starts Azurite (azurite/azurite.sh, data in deploy/.local/azurite), builds paxosgo-silo and the
# paxosgo CLI (Release), creates the node keys, the mesh, an administrator key and a demo client key
# on first use, starts node-a, node-b and node-c (with the administrator's public key), waits until
# every node answers, registers the demo client for 'counter' (signed with the administrator key),
# submits 5 counter commands signed with the demo client key and prints every node's replica; then
# registers the demo client for the name server ('dns'), puts deploy/example.com.zone and asks every
# node's DNS port for www.example.com with dig (installing bind9-dnsutils when it is missing).
# Data, keys, logs and pid files live in deploy/.local/ (git-ignored) and persist across runs, so a
# second run continues the first one's state. Everything the script starts, it stops on exit.
set -euo pipefail

# Started with '&' by another script, this shell has SIGINT ignored, and bash cannot trap a signal that
# was ignored on entry: start again with SIGINT at its default, so that kill -INT stops the cluster.
if [[ -z "${PAXOSGO_LOCAL_CLUSTER_REEXEC:-}" && -r /proc/$$/status ]] \
    && (((0x$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status) >> 1) & 1)) \
    && env --default-signal=INT true 2>/dev/null; then
    export PAXOSGO_LOCAL_CLUSTER_REEXEC=1
    exec env --default-signal=INT bash "${BASH_SOURCE[0]}" "$@"
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$REPO/deploy/.local"
KEYS="$LOCAL/keys"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"
MESH="$LOCAL/mesh.json"
ADMIN_KEY="$KEYS/admin.key"
CLIENT_KEY="$KEYS/demo-client.key"
AZURITE_DATA="$LOCAL/azurite"
AZURITE="$REPO/azurite/azurite.sh"

SILO_PROJECT="$REPO/src/PaxosGo.Silo/PaxosGo.Silo.csproj"
CLI_PROJECT="$REPO/src/PaxosGo.Cli/PaxosGo.Cli.csproj"
SILO_DLL="$REPO/src/PaxosGo.Silo/bin/Release/net10.0/paxosgo-silo.dll"
CLI_DLL="$REPO/src/PaxosGo.Cli/bin/Release/net10.0/paxosgo.dll"

NODES=(node-a node-b node-c)
HOST=127.0.0.1
SILO_PORTS=(11111 11112 11113)
GATEWAY_PORTS=(30000 30001 30002)
HTTP_PORTS=(8081 8082 8083)
DNS_PORTS=(5301 5302 5303)

# A fixed cluster id and service id: grain state and membership stay in the same place across runs.
# A silo that starts on the endpoint of a previous run's silo declares that old entry dead, so stale
# membership rows (even from a killed run) do not block the next start.
CLUSTER_ID=local
SERVICE_ID=local
APP=counter
DNS_APP=dns
ZONE_FILE="$REPO/deploy/example.com.zone"
COMMANDS=5
READY_TIMEOUT=90
CATCHUP_TIMEOUT=10
STOP_TIMEOUT=30

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ONCE=0
AZURITE_PID="" # the Azurite this script started, if any
SLEEP_PID=""

say() { echo "local-cluster: $*"; }
die() {
    echo "local-cluster: error: $*" >&2
    exit 1
}

usage() {
    cat <<EOF
usage: bash deploy/local-cluster.sh [--once]

Starts Azurite and a 3-node PaxosGo cluster (node-a, node-b, node-c on $HOST), registers a demo
client for the '$APP' application with the administrator key, submits $COMMANDS commands signed
with the demo client's key and prints the state every node sees.

  --once     stop everything right after printing the states (exit 0)
  -h, --help this text

Without --once the cluster stays up until Ctrl-C. Data, keys (node keys, admin.key,
demo-client.key) and logs: deploy/.local/.
EOF
}

while (($# > 0)); do
    case "$1" in
        --once) ONCE=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
    shift
done

silo() { dotnet "$SILO_DLL" "$@"; }
paxosgo() { dotnet "$CLI_DLL" "$@"; }
cli() { paxosgo --cluster-id "$CLUSTER_ID" --service-id "$SERVICE_ID" "$@"; }

# 0 when process $1 exists and is not a zombie.
alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

# 0 when something accepts TCP connections on $HOST:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" >/dev/null 2>&1; }

# The pid recorded for node $1 when that process is alive and is a paxosgo-silo; empty otherwise.
silo_pid() {
    local file="$RUN/$1.pid" pid
    [[ -f "$file" ]] || return 0
    pid="$(tr -dc '0-9' <"$file")"
    [[ -n "$pid" ]] && alive "$pid" || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'paxosgo-silo' || return 0
    echo "$pid"
}

# The pid in azurite.sh's pid file (the Azurite that azurite.sh started and would stop).
azurite_pid() { tr -dc '0-9' <"$REPO/azurite/.azurite.pid" 2>/dev/null || true; }

# SIGTERM every recorded silo, wait for each to end (SIGKILL after $STOP_TIMEOUT s), drop the pid files.
stop_silos() {
    local node pid pids=() deadline
    for node in "${NODES[@]}"; do
        pid="$(silo_pid "$node")"
        if [[ -n "$pid" ]]; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$node:$pid")
        fi
    done
    ((${#pids[@]} > 0)) || return 0
    say "stopping ${#pids[@]} silo(s)"
    deadline=$((SECONDS + STOP_TIMEOUT))
    for entry in "${pids[@]}"; do
        node="${entry%%:*}"
        pid="${entry##*:}"
        while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if alive "$pid"; then
            say "$node (pid $pid) still running ${STOP_TIMEOUT} s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
        rm -f "$RUN/$node.pid"
    done
}

cleanup() {
    local status=$?
    # Finish stopping even if Ctrl-C is pressed again.
    trap '' INT TERM
    trap - EXIT
    if [[ -n "$SLEEP_PID" ]]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
    stop_silos
    # Stop Azurite only if it is still the one this script started (azurite.sh stops the pid in its pid file).
    if [[ -n "$AZURITE_PID" && "$(azurite_pid)" == "$AZURITE_PID" ]]; then
        bash "$AZURITE" stop || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
    local node
    for node in "${NODES[@]}"; do
        echo "--- $LOGS/$node.log (last 20 lines) ---" >&2
        tail -n 20 "$LOGS/$node.log" >&2 2>/dev/null || true
    done
}

# Dies with the node's log when one of the silos has exited.
check_silos() {
    local node pid
    for node in "${NODES[@]}"; do
        pid="$(tr -dc '0-9' <"$RUN/$node.pid" 2>/dev/null || true)"
        if [[ -z "$pid" ]] || ! alive "$pid"; then
            show_logs
            die "$node exited; see $LOGS/$node.log"
        fi
    done
}

# --- prerequisites ---------------------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || die "dotnet not found: install the .NET 10 SDK and put dotnet on PATH"
dotnet --list-sdks 2>/dev/null | grep -q '^10\.' || die "no .NET 10 SDK found (dotnet --list-sdks); install the .NET 10 SDK"
command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20+ with npm (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm not found: install npm (Debian: apt-get install npm)"

mkdir -p "$KEYS" "$LOGS" "$RUN" "$AZURITE_DATA"
chmod 700 "$KEYS"

# Silos left over from a run that was killed: stop them first.
for node in "${NODES[@]}"; do
    if [[ -n "$(silo_pid "$node")" ]]; then
        say "a silo from an earlier run is still running; stopping it"
        stop_silos
        break
    fi
done

# --- Azurite ---------------------------------------------------------------------------------------
# Azurite and the silos run in sessions of their own (setsid), so a Ctrl-C in the terminal reaches only
# this script, which then stops the silos first (they leave the membership table cleanly) and Azurite last.
if bash "$AZURITE" status >/dev/null 2>&1; then
    pid="$(azurite_pid)"
    if [[ -n "$pid" ]] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$AZURITE_DATA"; then
        say "reusing the Azurite (pid $pid) an earlier run left on deploy/.local/azurite"
        AZURITE_PID="$pid"
    else
        say "Azurite already answers on $HOST:10000-10002 (not started here): using it and leaving it running;"
        say "  state is then kept wherever that Azurite keeps it, not in deploy/.local/azurite"
    fi
else
    setsid -w bash "$AZURITE" start "$AZURITE_DATA" </dev/null
    AZURITE_PID="$(azurite_pid)"
fi

# --- build -----------------------------------------------------------------------------------------
say "building paxosgo-silo and paxosgo (Release)"
for project in "$SILO_PROJECT" "$CLI_PROJECT"; do
    if ! output="$(dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly </dev/null 2>&1)"; then
        echo "$output" >&2
        die "building $project failed"
    fi
done

# --- keys and mesh ---------------------------------------------------------------------------------
for i in "${!NODES[@]}"; do
    node="${NODES[$i]}"
    key="$KEYS/$node.key"
    if [[ ! -f "$key" ]]; then
        silo keygen --out "$key" >/dev/null
        say "generated the key of $node: $key"
    fi
    # Idempotent: keeps the mesh in step with the keys and the ports above.
    silo mesh add --mesh "$MESH" --name "$node" --key "$key" --host "$HOST" \
        --silo-port "${SILO_PORTS[$i]}" --gateway-port "${GATEWAY_PORTS[$i]}" \
        --http-port "${HTTP_PORTS[$i]}" --dns-port "${DNS_PORTS[$i]}" >/dev/null
done
say "mesh: $MESH"

# The administrator key signs client registrations; the silos get its public key. The demo client's
# key signs the demo commands. Client and admin keys are the same kind of key file as node keys.
for key in "$ADMIN_KEY" "$CLIENT_KEY"; do
    if [[ ! -f "$key" ]]; then
        paxosgo keygen --out "$key" >/dev/null
        say "generated $key"
    fi
done
# dig comes with bind9-dnsutils; install it when missing (as root, or with sudo when that works without
# a password), else show the zones through the HTTP API only.
DIG=""
ensure_dig() {
    if ! command -v dig >/dev/null 2>&1; then
        say "dig is missing: installing bind9-dnsutils"
        local sudo=""
        if ((EUID != 0)); then
            if sudo -n true 2>/dev/null; then sudo="sudo -n"; else say "cannot install bind9-dnsutils (not root, no sudo): skipping the dig demo"; return 0; fi
        fi
        $sudo apt-get install -y -qq bind9-dnsutils >/dev/null 2>&1 \
            || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq bind9-dnsutils >/dev/null 2>&1; } \
            || say "installing bind9-dnsutils failed: skipping the dig demo"
    fi
    DIG="$(command -v dig || true)"
}

# 'key show' prints "client id:  <hex>" and "public key: <hex>".
key_field() { paxosgo key show --key "$1" | awk -v field="$2" '$1 " " $2 == field ":" { print $3 }'; }
ADMIN_PUBLIC_KEY="$(key_field "$ADMIN_KEY" "public key")"
CLIENT_ID="$(key_field "$CLIENT_KEY" "client id")"
[[ "$ADMIN_PUBLIC_KEY" =~ ^[0-9a-f]{64}$ ]] || die "cannot read the public key of $ADMIN_KEY"
[[ "$CLIENT_ID" =~ ^[0-9a-f]{64}$ ]] || die "cannot read the client id of $CLIENT_KEY"
say "administrator key: $ADMIN_KEY (public key ${ADMIN_PUBLIC_KEY:0:16}…)"

# --- silos -----------------------------------------------------------------------------------------
for port in "${SILO_PORTS[@]}" "${GATEWAY_PORTS[@]}"; do
    port_open "$port" && die "port $port on $HOST is already in use; is another cluster running?"
done

for i in "${!NODES[@]}"; do
    node="${NODES[$i]}"
    # From deploy/.local, so a paxosgo.json in the caller's directory is not picked up. Workstation
    # GC: three silos share this machine's cores (a silo alone on its machine keeps server GC). No
    # thread-pool spinning and a 64 MiB young generation: with three silos and the storage on a few
    # cores, idle workers spinning and frequent gen0 collections took CPU from the work (measured,
    # docs/benchmarks.md).
    (cd "$LOCAL" && export DOTNET_gcServer=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_GCgen0size=0x4000000 && exec setsid dotnet "$SILO_DLL" run \
        --PaxosGo:Node="$node" \
        --PaxosGo:KeyFile="$KEYS/$node.key" \
        --PaxosGo:MeshFile="$MESH" \
        --PaxosGo:AdminPublicKey="$ADMIN_PUBLIC_KEY" \
        --PaxosGo:ClusterId="$CLUSTER_ID" \
        --PaxosGo:ServiceId="$SERVICE_ID") </dev/null >"$LOGS/$node.log" 2>&1 &
    echo "$!" >"$RUN/$node.pid"
    say "started $node (pid $!, silo $HOST:${SILO_PORTS[$i]}, gateway ${GATEWAY_PORTS[$i]}, log $LOGS/$node.log)"
done

# Storage an older PaxosGo wrote that this one does not continue: say what to do about it.
explain_old_state() {
    if grep -qs 'Unknown replica snapshot version' "$LOGS"/node-*.log; then
        say "the grain state in $AZURITE_DATA was written by an older PaxosGo (before signed commands, replica snapshot"
        say "  version 1) and cannot be continued: move that folder away (or delete it) to start from scratch"
    fi
    if grep -qs 'in an earlier layout that this version does not read' "$LOGS"/node-*.log; then
        say "the node journals in $AZURITE_DATA were written in the earlier table layout (before the ring of rows)"
        say "  and cannot be continued: move that folder away (or delete it) to start from scratch"
    fi
}

say "waiting for every node to answer (up to $READY_TIMEOUT s)"
deadline=$((SECONDS + READY_TIMEOUT))
until state="$(cli state --app "$APP" --mesh "$MESH" 2>&1)"; do
    check_silos
    if ((SECONDS >= deadline)); then
        echo "$state" >&2
        show_logs
        explain_old_state
        die "the cluster did not come up within $READY_TIMEOUT s"
    fi
    sleep 1
done
say "all ${#NODES[@]} nodes answer"

# --- demo ------------------------------------------------------------------------------------------
# Registering a key that is already registered is harmless (it is still a command: state counts it).
if ! reply="$(cli register --app "$APP" --mesh "$MESH" --admin-key "$ADMIN_KEY" --client-key "$CLIENT_KEY" 2>&1)"; then
    echo "$reply" >&2
    show_logs
    explain_old_state
    die "registering the demo client failed"
fi
say "$reply"

# A client's request ids must increase, across runs too: the Unix time in seconds, times 10, plus i.
first=$(($(date +%s) * 10))
say "submitting $COMMANDS commands to '$APP' as client ${CLIENT_ID:0:12}… (key $CLIENT_KEY)"
for ((i = 1; i <= COMMANDS; i++)); do
    request=$((first + i))
    if ! reply="$(cli submit --app "$APP" --mesh "$MESH" --key "$CLIENT_KEY" --request "$request" --add "$i" 2>&1)"; then
        echo "$reply" >&2
        show_logs
        die "request $request was not committed"
    fi
    echo "  request $request (add $i): $reply"
done

# Wait until every replica shows the same state, slot and digest (followers may lag a little).
deadline=$((SECONDS + CATCHUP_TIMEOUT))
while true; do
    if state="$(cli state --app "$APP" --mesh "$MESH" 2>&1)" \
        && (($(awk '{ $1 = ""; print }' <<<"$state" | sort -u | wc -l) == 1)); then
        break
    fi
    if ((SECONDS >= deadline)); then
        say "the replicas did not all agree within $CATCHUP_TIMEOUT s; as they are now:"
        break
    fi
    sleep 0.5
done
say "state as every node sees it:"
while IFS= read -r line; do echo "  $line"; done <<<"$state"

# --- name server demo -------------------------------------------------------------------------------
# The demo client puts deploy/example.com.zone (stored by content key, then the put goes through Paxos),
# and every node answers DNS for it on its own port.
if ! reply="$(cli register --app "$DNS_APP" --mesh "$MESH" --admin-key "$ADMIN_KEY" --client-key "$CLIENT_KEY" 2>&1)"; then
    echo "$reply" >&2
    show_logs
    die "registering the demo client for '$DNS_APP' failed"
fi
say "$reply"
if ! reply="$(cli zone put "$ZONE_FILE" --mesh "$MESH" --key "$CLIENT_KEY" 2>&1)"; then
    echo "$reply" >&2
    show_logs
    die "putting the demo zone failed"
fi
say "$reply"
ensure_dig
deadline=$((SECONDS + CATCHUP_TIMEOUT))
for i in "${!NODES[@]}"; do
    port="${DNS_PORTS[$i]}"
    if [[ -n "$DIG" ]]; then
        # Each node loads the zone once its replica applies the put: ask until it answers.
        until answer="$("$DIG" @"$HOST" -p "$port" www.example.com A +norec +time=1 +tries=1 2>&1)" \
            && grep -q 'status: NOERROR' <<<"$answer" && grep -q 'flags: qr aa' <<<"$answer"; do
            if ((SECONDS >= deadline)); then break; fi
            sleep 0.3
        done
        say "dig @$HOST -p $port www.example.com A  (${NODES[$i]}):"
        grep -E '^;; ->>HEADER|^;; flags|^www\.example\.com\.' <<<"$answer" | sed 's/^/  /'
    fi
done
say "zones as every node serves them:"
cli zone list --mesh "$MESH" | sed 's/^/  /'

if ((ONCE)); then
    say "--once: stopping"
    exit 0
fi

cat <<EOF
local-cluster: cluster running; press Ctrl-C to stop
  try: dotnet $CLI_DLL state --mesh $MESH                (every node's replica, over its HTTP port)
       dotnet $CLI_DLL status --mesh $MESH
       dotnet $CLI_DLL --cluster-id $CLUSTER_ID --service-id $SERVICE_ID submit --mesh $MESH --key $CLIENT_KEY --request \$((\$(date +%s) * 10)) --add 10
  a client of your own (a key, registered for '$APP' with the administrator key; its request ids must increase;
  every Orleans connection is TLS, and a gateway accepts only registered clients' keys and the administrator's):
       dotnet $CLI_DLL keygen --out me.key
       dotnet $CLI_DLL --cluster-id $CLUSTER_ID --service-id $SERVICE_ID register --app $APP --mesh $MESH --admin-key $ADMIN_KEY --client-key me.key
       dotnet $CLI_DLL --cluster-id $CLUSTER_ID --service-id $SERVICE_ID submit --mesh $MESH --key me.key --request 1 --add 10
  the name server (every node answers DNS on its port: ${DNS_PORTS[*]}):
       dig @$HOST -p ${DNS_PORTS[0]} www.example.com A
       dotnet $CLI_DLL --cluster-id $CLUSTER_ID --service-id $SERVICE_ID zone put deploy/example.com.zone --mesh $MESH --key $CLIENT_KEY
       dotnet $CLI_DLL zone list --mesh $MESH      (and: zone get example.com, zone rm example.com --key ...)
  logs: $LOGS/
EOF
while true; do
    check_silos
    sleep 1 &
    SLEEP_PID=$!
    wait "$SLEEP_PID" || true
    SLEEP_PID=""
done
