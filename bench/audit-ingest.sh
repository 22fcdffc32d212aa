#!/usr/bin/env bash
# Audit-log ingest and verification benchmark.
#
# Ingest: CLIENTS concurrent HTTPS (mutual TLS) clients post EventLists of EVENTS events each,
# built from the real Falco k8s_audit trace events with fresh auditIDs and timestamps, to
# `kubepci audit serve` on 127.0.0.1. Every acknowledgement means the batch was fsynced (group
# commit). Prints durable events/s and p50/p99 acknowledgement latency.
#
# Verify: `kubepci audit verify` over the resulting store (recomputes every hash from the
# bodies), in MB/s of event bytes, beside the floor: `sha256sum` of the same event bytes
# (exported with `kubepci audit query --format raw`) on the same machine.
#
# Figures are medians over RUNS runs. Loopback only; the loops are bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-8}
BATCHES=${BATCHES:-40}
EVENTS=${EVENTS:-400}
SHARED=${KUBEPCI_SHARED:-../shared}
TRACE="$SHARED/conformance/falco-k8s-audit/trace_files"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
WORK=bench/.cache/audit

if [[ ! -d "$TRACE" ]]; then
  echo "missing $TRACE (set KUBEPCI_SHARED)" >&2
  exit 2
fi

cargo build --quiet --release -p kubepci
cargo build --quiet --release -p kubepci-auditlog-server --features test-support --example audit-loadgen
BIN="$CARGO_TARGET_DIR/release/kubepci"
GEN="$CARGO_TARGET_DIR/release/examples/audit-loadgen"

rm -rf "$WORK"
mkdir -p "$WORK"
"$GEN" certs "$WORK/pki"
"$BIN" keys generate --name bench.kubepci.local/audit --out "$WORK/log" >/dev/null

now() { date +%s.%N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

rates=() p50s=() p99s=() verify_mbs=() floor_mbs=() cpus=()
ticks=$(getconf CLK_TCK)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/data" "$WORK/serve.out"
  "$BIN" audit serve --no-detection --data "$WORK/data" --key "$WORK/log.key" --listen 127.0.0.1:0 \
    --tls-cert "$WORK/pki/server.crt" --tls-key "$WORK/pki/server.key" --client-ca "$WORK/pki/ca.crt" \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
  server=$!
  for _ in $(seq 1 200); do
    grep -q '^listening on' "$WORK/serve.out" 2>/dev/null && break
    sleep 0.05
  done
  addr=$(sed -n 's|^listening on https://||p' "$WORK/serve.out")
  [[ -n "$addr" ]] || { echo "server did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }
  line=$("$GEN" run "$addr" "$WORK/pki" "$CLIENTS" "$BATCHES" "$EVENTS" "$TRACE")
  # CPU seconds the server used (user + system): wall-clock figures suffer from other load on
  # the machine, CPU per event does not.
  server_cpu=$(awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$server/stat")
  cpus+=("$(awk -v c="$server_cpu" -v n="$((CLIENTS * BATCHES * EVENTS))" 'BEGIN {printf "%.2f", c / n * 1e6}')")
  kill -TERM "$server"
  wait "$server"
  rate=$(sed -n 's/.*events_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  rates+=("$rate") p50s+=("$p50") p99s+=("$p99")

  sync
  t0=$(now)
  "$BIN" audit verify --data "$WORK/data" --key "$WORK/log.pub" >"$WORK/verify.out"
  t1=$(now)
  bytes=$(sed -n 's/^event bytes hashed: //p' "$WORK/verify.out")
  verify_mbs+=("$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.0f", b / (z - a) / 1e6}')")

  "$BIN" audit query --data "$WORK/data" --format raw >"$WORK/bodies.ndjson"
  size=$(stat -c %s "$WORK/bodies.ndjson")
  cat "$WORK/bodies.ndjson" >/dev/null
  t0=$(now)
  sha256sum "$WORK/bodies.ndjson" >/dev/null
  t1=$(now)
  floor_mbs+=("$(awk -v b="$size" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.0f", b / (z - a) / 1e6}')")
  echo "run $run: $line server_cpu_us_per_event=${cpus[-1]} verify_MB_s=${verify_mbs[-1]} sha256sum_MB_s=${floor_mbs[-1]} store_bytes=$(du -sb "$WORK/data" | cut -f1) event_bytes=$bytes"
done

rate=$(echo "${rates[*]}" | median)
p50=$(echo "${p50s[*]}" | median)
p99=$(echo "${p99s[*]}" | median)
vmb=$(echo "${verify_mbs[*]}" | median)
fmb=$(echo "${floor_mbs[*]}" | median)
cpu=$(echo "${cpus[*]}" | median)
total=$((CLIENTS * BATCHES * EVENTS))
echo
echo "machine: $(nproc) cores, $(uname -sr), load average before: $load_before; medians of $RUNS runs"
echo "load: $total events per run ($CLIENTS clients x $BATCHES batches x $EVENTS events, mTLS on loopback)"
printf '%-34s %12s   %s\n' "measure" "kubepci" "floor / peer"
printf '%-34s %12.0f   %s\n' "durable events/s" "$rate" "target >= 100000; one apiserver peaks at ~4000/s"
printf '%-34s %12s   %s\n' "server CPU per event (us)" "$cpu" "2 idle cores allow $(awk -v c="$cpu" 'BEGIN {printf "%.0f", 2e6 / c}') events/s for the server alone"
printf '%-34s %12s   %s\n' "ack latency p50 / p99 (ms)" "$p50 / $p99" "apiserver webhook timeout 30000"
printf '%-34s %12s   %s\n' "verify MB/s (event bytes)" "$vmb" "sha256sum of the same bytes: $fmb MB/s ($(awk -v a="$vmb" -v b="$fmb" 'BEGIN {printf "%.0f", 100 * a / b}')%, target >= 50%)"
