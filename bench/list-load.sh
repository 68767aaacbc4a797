#!/usr/bin/env bash
# Public list under load (issue 7, item 7): throughput and p50/p99 of the
# list API and the list page of `ismap serve` with 10,000 registrations,
# measured in the same run against nginx serving the same JSON as a static
# file (the practical limit of the machine).
#
# Run from the repository root:
#
#     bench/list-load.sh > list-load.md                    # SQLite
#     BACKEND=postgres bench/list-load.sh > list-load.md   # PostgreSQL
#
# Progress goes to standard error; the results, as Markdown ready to paste
# into docs/benchmarks.md, go to standard output. Only loopback traffic
# (127.0.0.1). The release binary is built (and copied) before anything is
# measured, so nothing compiles during the measurements.
#
# Settings (environment variables):
#   BACKEND=sqlite    or postgres (a fresh database on 127.0.0.1:5432,
#                     created and dropped by the script; needs psql and a
#                     server that lets the user postgres in without a
#                     password, as on the project's machines)
#   COUNT=10000       registrations seeded (`ismap admin seed-registrations`)
#   THREADS=2         wrk threads
#   CONNECTIONS=32    wrk connections
#   DURATION=15       seconds of each measured wrk run
#   WARMUP=3          seconds of wrk warm-up before each measured run
#   PG_DB=ismap_listbench   database created (and dropped) with BACKEND=postgres
#   QUIET_WAIT=60     seconds to wait, before measuring, for other work on
#                     the machine to stop (then it goes on with a warning)
#   LABEL=            a word put in the first column of every row (e.g.
#                     "before", "after") to tell runs apart
#   ONLY=             measure only the targets whose label contains this
#                     text (e.g. ONLY=random for the uncached search alone)
set -euo pipefail

BACKEND=${BACKEND:-sqlite}
COUNT=${COUNT:-10000}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
PG_DB=${PG_DB:-ismap_listbench}
QUIET_WAIT=${QUIET_WAIT:-60}
LABEL=${LABEL:-}
ONLY=${ONLY:-}
PSQL=(psql -h 127.0.0.1 -U postgres -d test -q -v ON_ERROR_STOP=1)

# What is measured: label, then path (on ismap) or "nginx:" + file. The
# random search sends a different query at every request (q=0NNNN, one of
# 10,000, each matching one service name), so that few answers are reused.
TARGETS=(
    "list API, page 1|/api/v1/lists/ismap"
    "list API, search + sort|/api/v1/lists/ismap?q=00042&sort=valid_until&order=desc"
    "list API, random search|random:/api/v1/lists/ismap?q=0NNNN"
    "list page (HTML), page 1|/lists/ismap"
    "nginx, static copy of the page-1 JSON|nginx:/ismap.json"
)

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[list-load] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
source bench/lib.sh

case "$BACKEND" in
    sqlite | postgres) ;;
    *) die "BACKEND must be sqlite or postgres, not $BACKEND" ;;
esac

# --- cleanup ----------------------------------------------------------------

TMP=$(mktemp -d -t ismap-list-load.XXXXXX)
SERVER_PID=""
NGINX_PID=""
PG_CREATED=0


cleanup() {
    local status=$?
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    # nginx: SIGQUIT is its graceful stop; SIGTERM (stop_pid) its fast one
    stop_pid "$NGINX_PID"
    NGINX_PID=""
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

NGINX=$(command -v nginx || true)
[[ -n "$NGINX" || ! -x /usr/sbin/nginx ]] || NGINX=/usr/sbin/nginx
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[[ -n "$NGINX" ]] || missing+=(nginx)
if [[ "$BACKEND" == postgres ]] && ! command -v psql >/dev/null; then missing+=(postgresql-client); fi
if ((${#missing[@]})); then install_packages "${missing[@]}"; fi
if [[ -z "$NGINX" ]]; then
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x "$NGINX" ]] || die "nginx is still missing after apt-get install nginx"
    # Debian starts the packaged server at install; it is not used here
    # (this script runs its own nginx with a temporary configuration).
fi

log "building the release binary"
cargo build --release -p ismap-cli >&2
# Run a copy, so that a rebuild in the same tree during the run cannot
# swap the binary under test.
BIN=$TMP/ismap
cp target/release/ismap "$BIN"

# --- helpers ----------------------------------------------------------------

# Ports this script tries first (the other load script uses another range).
NEXT_PORT=18400

wait_for() { # URL PID LOG what
    local deadline=$(($(now_us) + 60000000))
    until curl -fs -o /dev/null --max-time 1 "$1"; do
        if ! kill -0 "$2" 2>/dev/null; then
            cat "$3" >&2
            die "$4 exited before answering $1"
        fi
        (($(now_us) < deadline)) || die "no 200 from $1 within 60 s"
        sleep 0.05
    done
}

# --- database ---------------------------------------------------------------

if [[ "$BACKEND" == postgres ]]; then
    log "PostgreSQL: (re)creating database $PG_DB on 127.0.0.1:5432"
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS ${PG_DB}" -c "CREATE DATABASE ${PG_DB}" >&2 ||
        die "cannot create $PG_DB on 127.0.0.1:5432 (see scripts/install-ci-deps.sh)"
    PG_CREATED=1
    DB_URL="postgres://postgres@127.0.0.1:5432/${PG_DB}"
    DB_LABEL=PostgreSQL
else
    mkdir -p "$TMP/data"
    DB_URL="sqlite://$TMP/data/ismap.db"
    DB_LABEL=SQLite
fi

log "$DB_LABEL: seeding $COUNT registrations"
t0=$(now_us)
ISMAP_LOG=warn "$BIN" admin seed-registrations --database-url "$DB_URL" --count "$COUNT" >&2
SEED_MS=$((($(now_us) - t0) / 1000))
log "  seeded in $SEED_MS ms"
if [[ "$BACKEND" == postgres ]]; then
    # The statistics autovacuum gathers within a minute of a bulk load:
    # without them the planner takes the just-filled table for a tiny one
    # and walks the list index instead of the search index.
    psql -h 127.0.0.1 -U postgres -d "$PG_DB" -q -c "ANALYZE" >&2
fi

# --- servers ----------------------------------------------------------------

pick_port
ISMAP_PORT=$PORT
ISMAP_LOG=warn "$BIN" serve --database-url "$DB_URL" --listen "127.0.0.1:$ISMAP_PORT" \
    --master-key-file "$TMP/master.key" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
wait_for "http://127.0.0.1:$ISMAP_PORT/healthz" "$SERVER_PID" "$TMP/server.log" "ismap serve"
log "ismap serve (pid $SERVER_PID) on 127.0.0.1:$ISMAP_PORT"

# The static copy: exactly the bytes the API gives for page 1.
mkdir -p "$TMP/www" "$TMP/nginx"
curl -fsS -o "$TMP/www/ismap.json" "http://127.0.0.1:$ISMAP_PORT/api/v1/lists/ismap"
ENTRIES=$(grep -o '"number":' "$TMP/www/ismap.json" | wc -l)
TOTAL=$(sed -n 's/.*"total":\([0-9]*\).*/\1/p' "$TMP/www/ismap.json")
log "page 1 of the ISMAP list: $ENTRIES entries of $TOTAL, $(stat -c %s "$TMP/www/ismap.json") bytes"
((ENTRIES > 0)) || die "the list API gave no entries"
# nginx's workers may run as another user: let them read the copy.
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/ismap.json"

pick_port
NGINX_PORT=$PORT
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    types { application/json json; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
        add_header Cache-Control "public, max-age=60";
    }
}
EOF
"$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
wait_for "http://127.0.0.1:$NGINX_PORT/ismap.json" "$NGINX_PID" "$TMP/nginx/error.log" "nginx"
log "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (pid $NGINX_PID) on 127.0.0.1:$NGINX_PORT"
cmp -s "$TMP/www/ismap.json" <(curl -fsS "http://127.0.0.1:$NGINX_PORT/ismap.json") ||
    die "nginx does not serve the same bytes"

# --- load -------------------------------------------------------------------

check_quiet
ROWS=()
for target in "${TARGETS[@]}"; do
    name=${target%%|*}
    path=${target#*|}
    [[ -z "$ONLY" || "$name" == *"$ONLY"* ]] || continue
    script=()
    if [[ "$path" == nginx:* ]]; then
        url="http://127.0.0.1:$NGINX_PORT${path#nginx:}"
        pid=$NGINX_PID
        shown="nginx \`GET ${path#nginx:}\`"
    elif [[ "$path" == random:* ]]; then
        path=${path#random:}
        url="http://127.0.0.1:$ISMAP_PORT${path/NNNN/0042}"
        pid=$SERVER_PID
        shown="\`GET $path\`"
        cat >"$TMP/random.lua" <<EOF
local counter = 0
request = function()
    counter = counter + 1
    local n = (counter * 7919 + math.random(0, 9999)) % 10000
    return wrk.format("GET", string.format("${path/NNNN/%04d}", n))
end
EOF
        script=(-s "$TMP/random.lua")
    else
        url="http://127.0.0.1:$ISMAP_PORT$path"
        pid=$SERVER_PID
        shown="\`GET $path\`"
    fi
    out=$TMP/wrk-$((${#ROWS[@]} + 1)).txt
    size=$(curl -fsS -o /dev/null -w '%{size_download}' "$url")
    log "$name: warm-up ${WARMUP}s, then wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $url"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "${script[@]}" "$url" >/dev/null
    c0=$(cpu_ticks "$pid")
    read -r m0 t0 < <(machine_ticks)
    w0=$(now_us)
    TIMEFORMAT='%U %S'
    { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" "$url" >"$out"; } 2>"$out.time"
    w1=$(now_us)
    c1=$(cpu_ticks "$pid")
    read -r m1 t1 < <(machine_ticks)
    cat "$out" >&2
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    p50=$(to_ms "$(awk '/Latency Distribution/ {d = 1} d && $1 == "50%" {print $2; exit}' "$out")")
    p99=$(to_ms "$(awk '/Latency Distribution/ {d = 1} d && $1 == "99%" {print $2; exit}' "$out")")
    errors=$(awk '/Non-2xx or 3xx responses:/ {n += $NF}
                  /Socket errors:/ {for (i = 3; i <= NF; i += 2) n += $(i + 1)}
                  END {print n + 0}' "$out")
    secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN {print (b - a) / 1e6}')
    server_cpu=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v s="$secs" 'BEGIN {printf "%.2f", d / hz / s}')
    wrk_cpu=$(awk -v s="$secs" '{printf "%.2f", ($1 + $2) / s}' "$out.time")
    other_cpu=$(awk -v b="$((m1 - m0))" -v t="$((t1 - t0))" -v n="$NCPU" -v a="$server_cpu" -v w="$wrk_cpu" \
        'BEGIN {o = (t ? n * b / t : 0) - a - w; printf "%.2f", o < 0 ? 0 : o}')
    # CPU time of the server per request, in µs (both cores together)
    per_req=$(awk -v d="$((c1 - c0))" -v hz="$CLK_TCK" -v r="$rps" -v s="$secs" \
        'BEGIN {printf "%.0f", r ? d / hz / (r * s) * 1e6 : 0}')
    ROWS+=("| ${LABEL:+$LABEL | }$DB_LABEL | $name: $shown | $(human_bytes "$size") | **$rps** | $p50 ms | $p99 ms | $server_cpu | $per_req µs | $wrk_cpu | $other_cpu | $errors |")
done

# --- report -----------------------------------------------------------------

cpu_model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_total=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- 2>/dev/null; then commit="$commit (with uncommitted changes)"; fi

cat <<EOF
Results ($(date -u +%Y-%m-%d), $DB_LABEL): $NCPU cores (${cpu_model:-unknown CPU}), $mem_total,
$(rustc --version), nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), commit $commit.
$COUNT registrations seeded in $SEED_MS ms; page 1 of the ISMAP list has
$ENTRIES entries of $TOTAL. \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency URL\` after a
${WARMUP} s warm-up; wrk, the server and nginx share the same $NCPU cores.
CPU columns: CPU time (user + system) over wall time, in cores, of the
server under test (ismap serve, or nginx's master and workers), of wrk, and
of everything else (kernel loopback work, other processes); "CPU/request"
is the server's CPU time per request.

| ${LABEL:+run | }database | target | response | requests/s | p50 | p99 | CPU server | CPU/request | CPU wrk | CPU other | errors |
| ${LABEL:+--- | }--- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROWS[@]}")
EOF
if ((${#NOTES[@]})); then printf '\n'; printf '%s\n' "${NOTES[@]}"; fi
log "done"
