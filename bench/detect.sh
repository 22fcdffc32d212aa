#!/usr/bin/env bash
# Detection benchmark: Falco's full upstream k8s_audit rule set plus kubepci's PCI rules.
#
# Offline: `kubepci audit detect` over EVENTS audit events (JSON lines built from the real
# Falco k8s_audit trace events, fresh auditIDs), beside the floor: the same command with no
# rule (reading, splitting and parsing only). Prints events/s and alerts.
#
# Inside `audit serve`: durable ingest with every rule on beside durable ingest without
# detection (`--no-detection`), in the same run, with the same load (CLIENTS mTLS clients
# posting EventLists of BATCH events to 127.0.0.1). Target: detection costs at most half of
# ingest throughput (>= 90,000 durable events/s with every rule). There is no peer figure on
# this machine: Falco is not installable here; its k8saudit plugin acknowledges before it
# stores (see docs/audit-log.md), so its ingest is not comparable anyway.
#
# Figures are medians over RUNS runs. Loopback only; the loops are bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
EVENTS=${EVENTS:-200000}
CLIENTS=${CLIENTS:-8}
BATCHES=${BATCHES:-40}
BATCH=${BATCH:-400}
SHARED=${KUBEPCI_SHARED:-../shared}
FALCO="$SHARED/conformance/falco-k8s-audit"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
WORK=bench/.cache/detect

if [[ ! -d "$FALCO/trace_files" ]]; then
  echo "missing $FALCO (set KUBEPCI_SHARED)" >&2
  exit 2
fi

cargo build --quiet --release -p kubepci
cargo build --quiet --release -p kubepci-auditlog-server --features test-support --example audit-loadgen
BIN="$CARGO_TARGET_DIR/release/kubepci"
GEN="$CARGO_TARGET_DIR/release/examples/audit-loadgen"

rm -rf "$WORK"
mkdir -p "$WORK"
"$GEN" certs "$WORK/pki"
"$BIN" keys generate --name bench.kubepci.local/detect --out "$WORK/log" >/dev/null
# kubepci's rules with a CDE namespace, and Falco's current rule set for k8s_audit (its syscall
# rule file loads too and is skipped).
printf -- '- list: kubepci_cde_namespaces\n  items: [default]\n  override:\n    items: append\n' >"$WORK/site.yaml"
RULES=(--rules "$FALCO/rules/falco_rules.yaml" --rules "$FALCO/rules/k8s_audit_rules.current-plugin.yaml" --rules "$WORK/site.yaml")
printf -- '- required_engine_version: 15\n' >"$WORK/none.yaml"

python3 - "$FALCO/trace_files" "$EVENTS" "$WORK/events.jsonl" <<'PY'
import json, os, sys, uuid
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
events = []
for name in sorted(os.listdir(src)):
    for line in open(os.path.join(src, name)):
        line = line.strip()
        if not line:
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and e.get("kind") == "Event":
            events.append(e)
with open(out, "w") as f:
    for i in range(n):
        e = dict(events[i % len(events)])
        e["auditID"] = str(uuid.UUID(int=i))
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
bytes=$(stat -c %s "$WORK/events.jsonl")

now() { date +%s.%N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { awk -v n="$1" -v a="$2" -v z="$3" 'BEGIN {printf "%.0f", n / (z - a)}'; }

serve_run() { # $1: extra flags; prints the loadgen line
  rm -rf "$WORK/data" "$WORK/serve.out"
  # shellcheck disable=SC2086
  "$BIN" audit serve --data "$WORK/data" --key "$WORK/log.key" --listen 127.0.0.1:0 --no-alerts-stdout \
    --tls-cert "$WORK/pki/server.crt" --tls-key "$WORK/pki/server.key" --client-ca "$WORK/pki/ca.crt" \
    $1 >"$WORK/serve.out" 2>"$WORK/serve.err" &
  local server=$!
  for _ in $(seq 1 200); do
    grep -q '^listening on' "$WORK/serve.out" 2>/dev/null && break
    sleep 0.05
  done
  local addr
  addr=$(sed -n 's|^listening on https://||p' "$WORK/serve.out")
  [[ -n "$addr" ]] || { echo "server did not start" >&2; cat "$WORK/serve.err" >&2; exit 1; }
  "$GEN" run "$addr" "$WORK/pki" "$CLIENTS" "$BATCHES" "$BATCH" "$FALCO/trace_files"
  kill -TERM "$server"
  wait "$server"
}

offline=() floor=() with=() without=() alerts=0
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq 1 "$RUNS"); do
  t0=$(now)
  "$BIN" audit detect "${RULES[@]}" "$WORK/events.jsonl" >"$WORK/alerts.jsonl"
  t1=$(now)
  alerts=$(wc -l <"$WORK/alerts.jsonl")
  offline+=("$(rate "$EVENTS" "$t0" "$t1")")
  t0=$(now)
  "$BIN" audit detect --no-default-rules --rules "$WORK/none.yaml" "$WORK/events.jsonl" >/dev/null
  t1=$(now)
  floor+=("$(rate "$EVENTS" "$t0" "$t1")")

  line_without=$(serve_run "--no-detection")
  line_with=$(serve_run "${RULES[*]}")
  without+=("$(sed -n 's/.*events_per_s=\([0-9.]*\).*/\1/p' <<<"$line_without")")
  with+=("$(sed -n 's/.*events_per_s=\([0-9.]*\).*/\1/p' <<<"$line_with")")
  echo "run $run: offline ${offline[-1]} ev/s (parse-only floor ${floor[-1]}), serve without rules ${without[-1]} ev/s, with rules ${with[-1]} ev/s"
done

o=$(echo "${offline[*]}" | median)
f=$(echo "${floor[*]}" | median)
w=$(echo "${with[*]}" | median)
n=$(echo "${without[*]}" | median)
rules=$(KUBEPCI_LOG=info "$BIN" audit detect "${RULES[@]}" /dev/null 2>&1 | sed -n 's/.*rules=\([0-9]*\).*/\1/p' | head -1)
echo
echo "machine: $(nproc) cores, $(uname -sr), load average before: $load_before; medians of $RUNS runs"
echo "rules: ${rules:-?} k8s_audit rules (Falco's current plugin rule set and kubepci's PCI rules), every one evaluated per event"
echo "offline input: $EVENTS events, $((bytes / 1000000)) MB; $alerts alerts per pass"
printf '%-44s %12s   %s\n' "measure" "kubepci" "floor / peer"
printf '%-44s %12s   %s\n' "audit detect, events/s" "$o" "reading and parsing only: $f events/s"
printf '%-44s %12s   %s\n' "audit serve, durable events/s, every rule on" "$w" "without detection: $n events/s ($(awk -v a="$w" -v b="$n" 'BEGIN {printf "%.0f", 100 * a / b}')%, target >= 50% and >= 90000)"
printf '%-44s %12s   %s\n' "peer" "-" "Falco is not installable here; one apiserver peaks at ~4000 events/s"
