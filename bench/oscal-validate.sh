#!/usr/bin/env bash
# OSCAL validation speed (issue 6): `ismap oscal validate` on NIST's 10 MB
# SP 800-53 rev5 catalog, with and without the official JSON schema, against
# compliance-trestle loading (and so validating) the same file, and against
# plain serde_json parsing of it (the floor).
#
# Run from the repository root:
#
#     bench/oscal-validate.sh > oscal-validate.md
#
# Progress goes to standard error; the results, as Markdown ready to paste
# into docs/benchmarks.md, go to standard output.
#
# Settings (environment variables):
#   DATA=../shared/data            the reference data folder
#   VENV=/tmp/ismap-trestle-venv   virtualenv for compliance-trestle
#                                  (created, and trestle installed from PyPI,
#                                  when missing)
#   RUNS=10                        measured runs per command
#
# Uses hyperfine (installed with apt-get when missing, as root); without it,
# falls back to timing RUNS runs with `date`.
set -euo pipefail

DATA=${DATA:-../shared/data}
VENV=${VENV:-/tmp/ismap-trestle-venv}
RUNS=${RUNS:-10}
CATALOG="$DATA/nist-sp800-53-rev5-catalog-v5.2.0/NIST_SP-800-53_rev5_catalog.json"
SCHEMAS="$DATA/oscal-schemas/v1.1.3"

log() { echo "[oscal-validate] $*" >&2; }

[ -f "$CATALOG" ] || { log "missing $CATALOG (set DATA)"; exit 2; }

log "building ismap and the parse_json example (release)"
# Two builds: `--example` alone would build only the example.
cargo build --release --locked -p ismap-cli --bin ismap >&2
cargo build --release --locked -p ismap-formats --example parse_json >&2
ISMAP=target/release/ismap
PARSE=target/release/examples/parse_json

if ! "$VENV/bin/python" -c "import trestle" 2>/dev/null; then
    log "installing compliance-trestle into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet compliance-trestle >&2
fi
TRESTLE_VERSION=$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('compliance-trestle'))")

if ! command -v hyperfine >/dev/null; then
    log "installing hyperfine"
    (apt-get install -y hyperfine || (apt-get update && apt-get install -y hyperfine)) >&2 || true
fi

TRESTLE_CMD="$VENV/bin/python -c \"import pathlib; from trestle.oscal.catalog import Catalog; Catalog.oscal_read(pathlib.Path('$CATALOG'))\""
declare -a NAMES=(
    "ismap oscal validate (referential checks)"
    "ismap oscal validate --schemas (+ official JSON schema)"
    "serde_json::from_slice::<Value> only"
    "compliance-trestle $TRESTLE_VERSION Catalog.oscal_read"
)
declare -a CMDS=(
    "$ISMAP oscal validate $CATALOG"
    "$ISMAP oscal validate $CATALOG --schemas $SCHEMAS"
    "$PARSE $CATALOG"
    "$TRESTLE_CMD"
)

# Each command must work before it is timed.
for i in "${!CMDS[@]}"; do
    bash -c "${CMDS[$i]}" >/dev/null || { log "failed: ${CMDS[$i]}"; exit 1; }
done

echo "Results ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m); file: NIST_SP-800-53_rev5_catalog.json, $(du -k "$CATALOG" | cut -f1) KiB):"
echo
if command -v hyperfine >/dev/null; then
    out=$(mktemp)
    args=()
    for i in "${!CMDS[@]}"; do args+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
    hyperfine --warmup 2 --runs "$RUNS" --export-markdown "$out" "${args[@]}" >&2
    cat "$out"
    rm -f "$out"
else
    echo "| command | mean of $RUNS runs |"
    echo "| --- | --- |"
    for i in "${!CMDS[@]}"; do
        bash -c "${CMDS[$i]}" >/dev/null
        start=$(date +%s%N)
        for _ in $(seq "$RUNS"); do bash -c "${CMDS[$i]}" >/dev/null; done
        end=$(date +%s%N)
        echo "| ${NAMES[$i]} | $(( (end - start) / RUNS / 1000000 )) ms |"
    done
fi
