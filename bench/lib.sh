# Shared by the load scripts in bench/ (sourced, not run): CPU accounting
# from /proc, wrk's latency units, sizes, and waiting for an idle machine.
# The sourcing script defines log() and die().

# stop_pid PID: SIGTERM (a graceful stop), 10 s at most, then SIGKILL.
stop_pid() {
    local pid=$1 i
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "process $pid ignored SIGTERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

install_packages() {
    local sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    log "installing $* (Debian)"
    "${sudo[@]}" apt-get update >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$@" >&2
}

now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# pick_port: sets PORT to a free loopback port, a new one at every call,
# from NEXT_PORT on (set it after sourcing to choose the range).
NEXT_PORT=18300
pick_port() {
    local p
    for ((p = NEXT_PORT; p < NEXT_PORT + 200; p++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            NEXT_PORT=$((p + 1))
            PORT=$p
            return 0
        fi
    done
    die "no free port from $NEXT_PORT"
}

# CPU ticks (user + system) of a process and its children (e.g. nginx workers).
cpu_ticks() {
    local total=0 pid
    for pid in "$1" $(pgrep -P "$1" || true); do
        [[ -r "/proc/$pid/stat" ]] || continue
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}
# busy and total jiffies of the whole machine
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# wrk prints 950.00us, 1.23ms, 1.05s, 1.00m
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf (n < 10 ? "%.2f" : "%.1f"), n }'
}

human_bytes() { awk -v b="$1" 'BEGIN {if (b >= 1024) printf "%.1f KiB", b / 1024; else printf "%d B", b}'; }

# Waits (QUIET_WAIT seconds at most) until the machine is idle, i.e. under
# 10 % of its cores busy over a 2 s sample: other work on it (a build,
# tests) steals CPU from the server and wrk. Goes on with a warning, kept
# in NOTES for the report, if it never is. $1, optional, names the pass.
NOTES=()
check_quiet() {
    local m0 t0 m1 t1 busy start=$SECONDS what=${1:+ before the $1 pass}
    while :; do
        read -r m0 t0 < <(machine_ticks)
        sleep 2
        read -r m1 t1 < <(machine_ticks)
        busy=$(awk -v b="$((m1 - m0))" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", t ? 100 * b / t : 0}')
        ((busy > 10)) || return 0
        ((SECONDS - start < QUIET_WAIT)) || break
        log "the machine is $busy % busy$what; waiting for it to be idle"
        sleep 3
    done
    log "warning: the machine is still $busy % busy$what"
    NOTES+=("Warning: the machine was already $busy % busy (2 s sample)$what; the figures are low.")
}
