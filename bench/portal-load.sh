#!/usr/bin/env bash
# Portal under load (issue 3): cold start, memory and HTTP throughput of
# `ismap serve`, on SQLite and on PostgreSQL.
#
# Run from the repository root:
#
#     bench/portal-load.sh > portal-load.md
#
# Progress goes to standard error; the results, as Markdown ready to paste
# into docs/benchmarks.md, go to standard output. Only loopback traffic
# (127.0.0.1); every step is bounded in time (about 2 minutes after the
# build with the defaults, plus up to QUIET_WAIT seconds per pass).
#
# Settings (environment variables):
#   RUNS=5            cold starts per variant
#   THREADS=2         wrk threads
#   CONNECTIONS=32    wrk connections
#   DURATION=20       seconds of each measured wrk run
#   WARMUP=5          seconds of wrk warm-up before each measured run
#   PG=1              0 skips the PostgreSQL pass
#   PG_DB=ismap_bench database created (and dropped) for the PostgreSQL pass
#   QUIET_WAIT=60     seconds to wait, before each pass, for other work on
#                     the machine to stop (then it goes on with a warning)
#
# The PostgreSQL pass needs a server on 127.0.0.1:5432 that lets the user
# postgres in without a password (as on the project's machines) and psql.
set -euo pipefail

RUNS=${RUNS:-5}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
PG=${PG:-1}
PG_DB=${PG_DB:-ismap_bench}
QUIET_WAIT=${QUIET_WAIT:-60}
PG_URL="postgres://postgres@127.0.0.1:5432/${PG_DB}"
PSQL=(psql -h 127.0.0.1 -U postgres -d test -q -v ON_ERROR_STOP=1)
ENDPOINTS=(/api/v1/catalog /catalog)

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[portal-load] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
source bench/lib.sh

# --- cleanup ----------------------------------------------------------------

TMP=$(mktemp -d -t ismap-portal-load.XXXXXX)
SERVER_PID=""
PG_CREATED=0

stop_server() {
    local pid=$SERVER_PID
    SERVER_PID=""
    stop_pid "$pid"
}

cleanup() {
    local status=$?
    stop_server
    if [[ "$PG_CREATED" == 1 ]]; then
        "${PSQL[@]}" -c "DROP DATABASE IF EXISTS ${PG_DB}" >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools ------------------------------------------------------------------

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [[ "$PG" == 1 ]] && ! command -v psql >/dev/null; then missing+=(postgresql-client); fi
if ((${#missing[@]})); then install_packages "${missing[@]}"; fi

log "building the release binary"
cargo build --release -p ismap-cli >&2
# Run a copy, so that a rebuild in the same tree during the run cannot
# swap the binary under test.
BIN=$TMP/ismap
cp target/release/ismap "$BIN"

# --- helpers ----------------------------------------------------------------

# Ports this script tries first (the other load script uses another range).
NEXT_PORT=18300

# start_server DATABASE_URL [ARGS...]: starts `ismap serve`, waits for the
# first 200 from /healthz (polled every 20 ms), and sets SERVER_PID, PORT,
# SERVER_LOG, READY_MS (launch to first 200) and STARTED_MS (as printed).
SERVER_COUNT=0
start_server() {
    local url=$1
    shift
    pick_port
    SERVER_COUNT=$((SERVER_COUNT + 1))
    SERVER_LOG=$TMP/server-$SERVER_COUNT.log
    local t0 deadline
    t0=$(now_us)
    ISMAP_LOG=warn "$BIN" serve --database-url "$url" --listen "127.0.0.1:$PORT" "$@" \
        >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    deadline=$((t0 + 60000000))
    until curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/healthz"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$SERVER_LOG" >&2
            SERVER_PID=""
            die "the server exited before answering /healthz"
        fi
        (($(now_us) < deadline)) || die "no 200 from /healthz within 60 s"
        sleep 0.02
    done
    READY_MS=$((($(now_us) - t0) / 1000))
    STARTED_MS=$(sed -n 's/.*(started in \([0-9]*\) ms).*/\1/p' "$SERVER_LOG" | head -n1)
    [[ -n "$STARTED_MS" ]] || STARTED_MS="?"
}

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
min_max() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "–" hi}'; }

# "VmRSS / VmHWM" of a process, in MiB.
memory() {
    awk '/^VmRSS:/ {rss = $2} /^VmHWM:/ {hwm = $2}
         END {printf "%.1f / %.1f MiB", rss / 1024, hwm / 1024}' "/proc/$1/status"
}

# --- cold start -------------------------------------------------------------

COLD_ROWS=()
cold_row() { # label, file of "ready started" lines
    local ready started spread
    ready=$(cut -d' ' -f1 "$2" | median)
    spread=$(cut -d' ' -f1 "$2" | min_max)
    started=$(cut -d' ' -f2 "$2" | median)
    COLD_ROWS+=("| $1 | $RUNS | **$ready ms** ($spread) | $started ms |")
}

check_quiet "cold-start"
log "cold start with --demo on a fresh SQLite database, $RUNS runs"
: >"$TMP/cold-demo"
for ((i = 1; i <= RUNS; i++)); do
    mkdir -p "$TMP/cold-demo-$i"
    start_server "sqlite://$TMP/cold-demo-$i/ismap.db" --demo
    stop_server
    echo "$READY_MS $STARTED_MS" >>"$TMP/cold-demo"
    log "  run $i: first 200 after $READY_MS ms (server says started in $STARTED_MS ms)"
done
cold_row "\`--demo\`, fresh SQLite database each run" "$TMP/cold-demo"

log "cold start without --demo on an already-migrated SQLite database, $RUNS runs"
mkdir -p "$TMP/cold-plain"
start_server "sqlite://$TMP/cold-plain/ismap.db"
stop_server
: >"$TMP/cold-plain.txt"
for ((i = 1; i <= RUNS; i++)); do
    start_server "sqlite://$TMP/cold-plain/ismap.db"
    stop_server
    echo "$READY_MS $STARTED_MS" >>"$TMP/cold-plain.txt"
    log "  run $i: first 200 after $READY_MS ms (server says started in $STARTED_MS ms)"
done
cold_row "no \`--demo\`, SQLite database already migrated" "$TMP/cold-plain.txt"

# Memory without --demo (no Argon2id hashing at start), for comparison.
start_server "sqlite://$TMP/cold-plain/ismap.db"
sleep 1
PLAIN_IDLE=$(memory "$SERVER_PID")
stop_server

# --- memory and load --------------------------------------------------------

LOAD_ROWS=()
MEM_ROWS=()

# load_pass BACKEND DATABASE_URL: one `ismap serve --demo`, memory idle,
# each endpoint under wrk, memory after.
load_pass() {
    local backend=$1 url=$2 idle path out size t0 t1 c0 c1 m0 m1 secs
    check_quiet "$backend"
    log "$backend: starting ismap serve --demo"
    start_server "$url" --demo
    sleep 1
    idle=$(memory "$SERVER_PID")
    for path in "${ENDPOINTS[@]}"; do
        local target="http://127.0.0.1:$PORT$path"
        out=$TMP/wrk-$backend-${path//\//_}.txt
        size=$(curl -fsS -o /dev/null -w '%{size_download}' "$target")
        log "$backend $path: warm-up ${WARMUP}s, then wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency"
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$target" >/dev/null
        c0=$(cpu_ticks "$SERVER_PID")
        read -r m0 t0 < <(machine_ticks)
        local w0 w1
        w0=$(now_us)
        local TIMEFORMAT='%U %S'
        { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$target" >"$out"; } 2>"$out.time"
        w1=$(now_us)
        c1=$(cpu_ticks "$SERVER_PID")
        read -r m1 t1 < <(machine_ticks)
        cat "$out" >&2
        local rps p50 p99 xfer errors server_cpu wrk_cpu other_cpu
        rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
        xfer=$(awk '/^Transfer\/sec:/ {print $2}' "$out" | sed 's/\([0-9.]*\)\(.*\)/\1 \2\/s/')
        p50=$(to_ms "$(awk '/Latency Distribution/ {d = 1} d && $1 == "50%" {print $2; exit}' "$out")")
        p99=$(to_ms "$(awk '/Latency Distribution/ {d = 1} d && $1 == "99%" {print $2; exit}' "$out")")
        errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF}
                      /Socket errors:/ {for (i = 3; i <= NF; i += 2) n += $(i + 1)}
                      END {print n + 0}' "$out")
        secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN {print (b - a) / 1e6}')
        server_cpu=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN {printf "%.2f", d / hz / s}')
        wrk_cpu=$(awk -v s="$secs" '{printf "%.2f", ($1 + $2) / s}' "$out.time")
        # cores busy on the whole machine, less the server and wrk: the
        # kernel's share not charged to either (loopback softirq) and any
        # other process
        other_cpu=$(awk -v b="$((m1 - m0))" -v t="$((t1 - t0))" -v n="$NCPU" -v a="$server_cpu" -v w="$wrk_cpu" \
            'BEGIN {o = (t ? n * b / t : 0) - a - w; printf "%.2f", o < 0 ? 0 : o}')
        LOAD_ROWS+=("| $backend | \`GET $path\` | $(human_bytes "$size") | **$rps** | $p50 ms | $p99 ms | $xfer | $server_cpu | $wrk_cpu | $other_cpu | $errors |")
    done
    MEM_ROWS+=("| $backend | $idle | $(memory "$SERVER_PID") |")
    stop_server
}

mkdir -p "$TMP/load-sqlite"
load_pass SQLite "sqlite://$TMP/load-sqlite/ismap.db"

PG_NOTE=""
if [[ "$PG" == 1 ]]; then
    log "PostgreSQL: (re)creating database $PG_DB"
    if "${PSQL[@]}" -c "DROP DATABASE IF EXISTS ${PG_DB}" -c "CREATE DATABASE ${PG_DB}" >&2; then
        PG_CREATED=1
        load_pass PostgreSQL "$PG_URL"
        "${PSQL[@]}" -c "DROP DATABASE IF EXISTS ${PG_DB}" >&2
        PG_CREATED=0
    else
        PG_NOTE="PostgreSQL pass skipped: cannot create $PG_DB on 127.0.0.1:5432."
        log "$PG_NOTE"
    fi
else
    PG_NOTE="PostgreSQL pass skipped (PG=0)."
fi

# --- report -----------------------------------------------------------------

cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then commit="$commit (with uncommitted changes)"; fi

cat <<EOF
Results ($(date -u +%Y-%m-%d)): $(nproc) cores (${cpu_model:-unknown CPU}), $mem_total,
$(rustc --version), commit $commit. wrk and the server share the
same $(nproc) cores, so every figure below is for client and server together
on one machine, not for the server alone.

Cold start: wall time from launching \`ismap serve\` to the first 200 from
\`/healthz\` (polled with curl every 20 ms, so about 20 ms of resolution),
median of $RUNS with [min–max]; and the "started in N ms" the server prints.

| start | runs | launch → first 200 from /healthz | "started in" (median) |
| --- | --- | --- | --- |
$(printf '%s\n' "${COLD_ROWS[@]}")

Load: \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency URL\` after a ${WARMUP} s warm-up, on
\`ismap serve --demo\` with \`ISMAP_LOG=warn\`; p50/p99 from wrk's latency
distribution. The CPU columns are CPU time (user + system) divided by the
wall time of the run, in cores (the machine has $(nproc)): the server's, wrk's,
and the rest of the machine's (the kernel's loopback work not charged to
either, and any other process). "errors" counts non-2xx responses and
socket errors.

| database | endpoint | response | requests/s | p50 | p99 | transfer/s | CPU server | CPU wrk | CPU other | errors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${LOAD_ROWS[@]}")

Memory of \`ismap serve --demo\` (VmRSS / VmHWM from /proc/PID/status), idle
1 s after the first 200, and after both load runs:

| database | idle after start | after load |
| --- | --- | --- |
$(printf '%s\n' "${MEM_ROWS[@]}")
| SQLite, no \`--demo\` (migrated database, for comparison) | $PLAIN_IDLE | – |
EOF
if [[ -n "$PG_NOTE" ]]; then NOTES+=("$PG_NOTE"); fi
if ((${#NOTES[@]})); then printf '\n'; printf '%s\n' "${NOTES[@]}"; fi
log "done"
