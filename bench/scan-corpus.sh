#!/usr/bin/env bash
# Scan throughput: kubepci against the peers on the same files, side by side.
#
#   bench/scan-corpus.sh [--runs N] [--skip-checkov] [--skip-syncable] [--checkov-10x]
#
# Scans the shared corpus (../shared/corpus: 3,246 files of real public manifests) and a 10x
# copy of it, and prints for each tool the median wall time over N runs, documents/s, MB/s and
# peak RSS. Peers: Checkov 3.x (installed from PyPI into bench/.cache/checkov-venv) and
# syncable-cli (a Rust port of kube-linter's checks, built once from crates.io into
# bench/.cache/peers: about 25 minutes; run as `sync-ctl optimize --full`, its kube-linter checks
# plus resource checks). Checkov is slow and superlinear, so it runs once and
# only on the 1x corpus unless --checkov-10x. Document counts are kubepci's (every YAML
# document and List item, including the CRDs it skips unparsed); all tools see the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="$root/bench/.cache"
mkdir -p "$cache"

runs=5
skip_checkov=0
skip_syncable=0
checkov_10x=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --skip-checkov) skip_checkov=1; shift ;;
        --skip-syncable) skip_syncable=1; shift ;;
        --checkov-10x) checkov_10x=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

shared="${KUBEPCI_SHARED:-$root/../shared}"
corpus="$(cd "$shared/corpus" && pwd)"
corpus10="$cache/corpus-10x"
if [ ! -d "$corpus10/copy-9" ]; then
    echo "building the 10x corpus copy in $corpus10" >&2
    rm -rf "$corpus10" && mkdir -p "$corpus10"
    for i in $(seq 0 9); do cp -r "$corpus" "$corpus10/copy-$i"; done
fi

cargo build --release -q -p kubepci
kubepci="$root/target/release/kubepci"

# Peers.
checkov=""
if [ "$skip_checkov" = 0 ]; then
    if [ ! -x "$cache/checkov-venv/bin/checkov" ]; then
        echo "installing Checkov 3.x into $cache/checkov-venv" >&2
        python3 -m venv "$cache/checkov-venv"
        "$cache/checkov-venv/bin/pip" install -q "checkov>=3,<4"
    fi
    checkov="$cache/checkov-venv/bin/checkov"
fi
syncable=""
if [ "$skip_syncable" = 0 ]; then
    if [ ! -x "$cache/peers/bin/sync-ctl" ]; then
        echo "building syncable-cli into $cache/peers (about 25 minutes, once)" >&2
        cargo install -q --locked syncable-cli --root "$cache/peers" --target-dir "$cache/peers-target"
    fi
    syncable="$cache/peers/bin/sync-ctl"
fi

# measure RUNS COMMAND...: prints "median_wall peak_rss_kb" over RUNS runs. The command's exit
# status is ignored (scanners exit non-zero when they find something).
measure() {
    local runs=$1; shift
    local walls=() rss=0 tmp
    tmp=$(mktemp)
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -o "$tmp" -f "%e %M" "$@" > /dev/null 2>&1 || true
        local out
        out=$(tail -1 "$tmp")
        walls+=("${out% *}")
        local r=${out#* }
        [ "$r" -gt "$rss" ] && rss=$r
    done
    rm -f "$tmp"
    local median
    median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    echo "$median $rss"
}

docs_and_bytes() {
    { "$kubepci" scan "$1" -f json 2>/dev/null || true; } | python3 -c 'import json,sys; d=json.load(sys.stdin)["inputs"]; print(d["documents"], d["bytes"])'
}

rows=()
row() { # tool corpus runs wall rss docs bytes
    local docs_s mb_s
    docs_s=$(awk -v d="$6" -v w="$4" 'BEGIN {printf "%.0f", d / w}')
    mb_s=$(awk -v b="$7" -v w="$4" 'BEGIN {printf "%.1f", b / w / 1e6}')
    rows+=("$(printf '%-14s %-7s %4s %10.2f %12s %8s %10.0f' "$1" "$2" "$3" "$4" "$docs_s" "$mb_s" "$(( $5 / 1024 ))")")
}

for size in 1x 10x; do
    dir=$corpus; [ "$size" = 10x ] && dir=$corpus10
    read -r docs bytes < <(docs_and_bytes "$dir")
    read -r wall rss < <(measure "$runs" "$kubepci" scan "$dir" --format json)
    row kubepci "$size" "$runs" "$wall" "$rss" "$docs" "$bytes"
    if [ -n "$syncable" ]; then
        read -r wall rss < <(measure "$runs" "$syncable" --disable-telemetry optimize "$dir" --full --format json)
        row syncable-cli "$size" "$runs" "$wall" "$rss" "$docs" "$bytes"
    fi
    if [ -n "$checkov" ] && { [ "$size" = 1x ] || [ "$checkov_10x" = 1 ]; }; then
        read -r wall rss < <(measure 1 "$checkov" -d "$dir" --framework kubernetes --quiet --compact -o json)
        row checkov "$size" 1 "$wall" "$rss" "$docs" "$bytes"
    fi
done

echo
echo "Scan throughput on $(nproc) cores ($(uname -srm)); median wall time over the runs shown"
printf '%-14s %-7s %4s %10s %12s %8s %10s\n' tool corpus runs "wall (s)" "documents/s" "MB/s" "RSS (MiB)"
printf '%s\n' "${rows[@]}"
