#!/usr/bin/env bash
# How long `kubepci report` takes on the shared corpus, beside the scan it is made from.
#
#   bench/report-corpus.sh [--runs N]
#
# On the shared corpus (../shared/corpus: 3,246 files of real public manifests) prints the
# median wall time over N runs and the peak RSS of:
#   - `kubepci scan --format json` (the floor: the scan every report contains);
#   - `kubepci report` from the manifests, HTML and signed JSON (scan, input digests,
#     segmentation, assessment of every requirement, rendering);
#   - `kubepci report --scan-result` from the saved scan (assessment and rendering only).
# No other tool assesses a Kubernetes platform requirement by requirement against PCI DSS
# v4.0.1, so the scan is the comparison: the report's cost is shown as a ratio to it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

shared="${KUBEPCI_SHARED:-$root/../shared}"
corpus="$(cd "$shared/corpus" && pwd)"
cargo build --release -q -p kubepci
kubepci="$root/target/release/kubepci"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$kubepci" keys generate --name bench.example.com/reports --out "$work/report" > /dev/null
"$kubepci" scan "$corpus" --format json -o "$work/scan.json" || true

# measure RUNS COMMAND...: prints "median_wall peak_rss_kb" (exit status ignored: scans exit 1
# on findings).
measure() {
    local runs=$1; shift
    local walls=() rss=0 tmp out
    tmp=$(mktemp)
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -o "$tmp" -f "%e %M" "$@" > /dev/null 2>&1 || true
        out=$(tail -1 "$tmp")
        walls+=("${out% *}")
        [ "${out#* }" -gt "$rss" ] && rss=${out#* }
    done
    rm -f "$tmp"
    printf '%s\n' "${walls[@]}" | sort -g | awk -v rss="$rss" '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2), rss}'
}

rows=()
floor=""
row() { # what wall rss
    [ -z "$floor" ] && floor=$2
    rows+=("$(printf '%-52s %8.2f %8.1fx %10.0f' "$1" "$2" "$(awk -v w="$2" -v f="$floor" 'BEGIN {print w / f}')" "$(( $3 / 1024 ))")")
}

read -r wall rss < <(measure "$runs" "$kubepci" scan "$corpus" --format json -o "$work/out.json")
row "kubepci scan --format json" "$wall" "$rss"
read -r wall rss < <(measure "$runs" "$kubepci" report "$corpus" -o "$work/report.html")
row "kubepci report (manifests, html)" "$wall" "$rss"
read -r wall rss < <(measure "$runs" "$kubepci" report "$corpus" -f json --sign "$work/report.key" -o "$work/report.json")
row "kubepci report (manifests, signed json)" "$wall" "$rss"
read -r wall rss < <(measure "$runs" "$kubepci" report --scan-result "$work/scan.json" -o "$work/saved.html")
row "kubepci report --scan-result (html)" "$wall" "$rss"

files=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["inputs"]["files"], d["inputs"]["documents"], len(d["findings"]))' "$work/scan.json")
echo
echo "kubepci report on the shared corpus ($files files/documents/findings) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); median of $runs runs"
printf '%-52s %8s %9s %10s\n' "command" "wall (s)" "vs scan" "RSS (MiB)"
printf '%s\n' "${rows[@]}"
ls -l "$work"/report.html "$work"/report.json | awk '{printf "%s: %.1f MB\n", $NF, $5 / 1e6}' | sed "s|$work/||"
