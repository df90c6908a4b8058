#!/usr/bin/env bash
# Runs the pinned Azurite storage emulator (package.json / package-lock.json in this folder)
# on 127.0.0.1: blob 10000, queue 10001, table 10002.
#
#   bash azurite/azurite.sh install            # npm ci here when node_modules/.bin/azurite is missing
#   bash azurite/azurite.sh start [DATA_DIR]   # default DATA_DIR: azurite/.data (git-ignored)
#   bash azurite/azurite.sh stop [DATA_DIR]    # SIGTERM, wait for the process to end; with DATA_DIR,
#                                              # only if the running Azurite was started with that DATA_DIR
#   bash azurite/azurite.sh status             # exit 0 when the three ports answer
#
# The Azurite started here writes its pid to azurite/.azurite.pid and logs to DATA_DIR/azurite.log.
# Stop it with `stop` (SIGTERM): Azurite saves its index every 5 s and needs a graceful exit.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$DIR/node_modules/.bin/azurite"
PID_FILE="$DIR/.azurite.pid"
LOCK_FILE="$DIR/.azurite.lock"
HOST=127.0.0.1
PORTS=(10000 10001 10002)
START_TIMEOUT=30
STOP_TIMEOUT=15

say() { echo "azurite: $*"; }
die() { echo "azurite: error: $*" >&2; exit 1; }

# Serialize start/stop between concurrent callers (CI script, test fixtures).
lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCK_FILE"
        flock -w 120 9 || die "could not lock $LOCK_FILE within 120 s"
    fi
}

# 0 when something accepts TCP connections on $HOST:$1.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" >/dev/null 2>&1
}

all_ports_open() {
    local p
    for p in "${PORTS[@]}"; do port_open "$p" || return 1; done
}

open_ports() {
    local p out=()
    for p in "${PORTS[@]}"; do port_open "$p" && out+=("$p"); done
    echo "${out[*]:-}"
}

# Pid from the pid file when that process is alive and is an Azurite; empty otherwise.
our_pid() {
    [[ -f "$PID_FILE" ]] || return 0
    local pid
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    if [[ -r "/proc/$pid/cmdline" ]]; then
        local cmdline
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        [[ "$cmdline" == *azurite* ]] || return 0
    fi
    echo "$pid"
}

# The --location argument process $1 was started with; empty if unknown.
location_of() {
    [[ -r "/proc/$1/cmdline" ]] || return 0
    local -a args
    mapfile -d '' -t args <"/proc/$1/cmdline" 2>/dev/null || return 0
    local i
    for ((i = 0; i < ${#args[@]} - 1; i++)); do
        if [[ "${args[i]}" == "--location" ]]; then
            echo "${args[i + 1]}"
            return 0
        fi
    done
}

# Absolute form of directory $1 as `start` records it (unchanged if it does not exist).
abs_dir() {
    if [[ -d "$1" ]]; then (cd "$1" && pwd); else echo "$1"; fi
}

# Wait until process $1 has ended; 0 if it did within $2 seconds.
wait_gone() {
    local pid="$1" deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# SIGTERM $1, wait, SIGKILL as a last resort.
terminate() {
    local pid="$1"
    kill -TERM "$pid" 2>/dev/null || return 0
    if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
        say "pid $pid still running ${STOP_TIMEOUT} s after SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || die "pid $pid survived SIGKILL"
    fi
}

cmd_install() {
    [[ -x "$BIN" ]] && return 0
    command -v npm >/dev/null 2>&1 \
        || die "npm not found: install Node.js 20+ and npm (needed to fetch Azurite into $DIR/node_modules)"
    local log npm_cmd
    if [[ -f "$DIR/package-lock.json" ]]; then
        npm_cmd=(npm ci --no-audit --no-fund --loglevel=error)
    else
        npm_cmd=(npm install --no-audit --no-fund --loglevel=error)
    fi
    say "installing ($(printf '%s ' "${npm_cmd[@]}")in $DIR)"
    log="$(mktemp)"
    if ! (cd "$DIR" && "${npm_cmd[@]}") >"$log" 2>&1 </dev/null; then
        cat "$log" >&2
        rm -f "$log"
        die "'${npm_cmd[*]}' failed in $DIR"
    fi
    rm -f "$log"
    [[ -x "$BIN" ]] || die "npm finished but $BIN is missing"
}

cmd_start() {
    local data="${1:-$DIR/.data}"
    cmd_install
    lock

    local pid open
    pid="$(our_pid)"
    open="$(open_ports)"
    if [[ -n "$open" ]]; then
        if [[ -n "$pid" ]]; then
            if all_ports_open; then
                say "already running (pid $pid, started by this script, data $(location_of "$pid")) on $HOST:${PORTS[0]}-${PORTS[2]}"
                return 0
            fi
            die "the Azurite started by this script (pid $pid) answers only on port(s) $open; run '$0 stop' first"
        fi
        die "port(s) $open on $HOST already in use by another process (not an Azurite started by this script); stop it or free ports ${PORTS[*]}"
    fi
    if [[ -n "$pid" ]]; then
        # Ours, alive, but not listening (still starting or hung): do not start a second one.
        die "an Azurite started by this script (pid $pid) is running but not listening; run '$0 stop' first"
    fi
    rm -f "$PID_FILE"

    mkdir -p "$data"
    data="$(cd "$data" && pwd)"
    local log="$data/azurite.log"

    # --disableTelemetry: with telemetry on (the default), Azurite keeps retrying its telemetry
    # upload after SIGTERM and does not exit (no network here); it also keeps CI runs private.
    "$BIN" --silent --skipApiVersionCheck --loose --disableTelemetry \
        --blobHost "$HOST" --queueHost "$HOST" --tableHost "$HOST" \
        --location "$data" \
        </dev/null >>"$log" 2>&1 9>&- &
    pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + START_TIMEOUT))
    until all_ports_open; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            echo "--- $log (tail) ---" >&2
            tail -n 30 "$log" >&2 || true
            die "Azurite (pid $pid) exited during startup"
        fi
        if ((SECONDS >= deadline)); then
            terminate "$pid"
            rm -f "$PID_FILE"
            echo "--- $log (tail) ---" >&2
            tail -n 30 "$log" >&2 || true
            die "ports ${PORTS[*]} did not all accept connections within ${START_TIMEOUT} s; stopped pid $pid"
        fi
        sleep 0.2
    done
    say "up on $HOST:${PORTS[0]}-${PORTS[2]} (data $data)"
}

cmd_stop() {
    local only_data="${1:-}"
    lock
    local pid
    pid="$(our_pid)"
    if [[ -z "$pid" ]]; then
        if [[ -f "$PID_FILE" ]]; then
            rm -f "$PID_FILE"
            say "not running (removed stale pid file)"
        else
            say "not running (no pid file)"
        fi
        return 0
    fi
    if [[ -n "$only_data" ]]; then
        local want have
        want="$(abs_dir "$only_data")"
        have="$(location_of "$pid")"
        if [[ "$have" != "$want" ]]; then
            say "not stopping pid $pid: it uses data ${have:-(unknown)}, not $want (started by someone else)"
            return 0
        fi
    fi
    terminate "$pid"
    rm -f "$PID_FILE"
    say "stopped (pid $pid)"
}

cmd_status() {
    local pid
    pid="$(our_pid)"
    if all_ports_open; then
        if [[ -n "$pid" ]]; then
            say "running on $HOST:${PORTS[0]}-${PORTS[2]} (pid $pid, started by this script)"
        else
            say "ports $HOST:${PORTS[0]}-${PORTS[2]} answer (not started by this script)"
        fi
        return 0
    fi
    local open
    open="$(open_ports)"
    say "not running${open:+ (only port(s) $open answer)}${pid:+ (pid $pid from this script is alive)}"
    return 1
}

usage() {
    echo "usage: $0 {install|start [DATA_DIR]|stop [DATA_DIR]|status}" >&2
    exit 2
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; [[ $# -le 1 ]] || usage; cmd_start "$@" ;;
    stop) shift; [[ $# -le 1 ]] || usage; cmd_stop "$@" ;;
    status) cmd_status ;;
    *) usage ;;
esac
