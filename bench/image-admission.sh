#!/usr/bin/env bash
# Admission latency of a Pod with three images, with image-signature verification.
#
# Runs Debian's docker-registry on 127.0.0.1 (TLS, basic auth), pushes images signed with a
# cosign key, serves the webhook with a signing policy and posts AdmissionReviews over one
# HTTPS connection (crates/kubepci-webhook/examples/image-admission.rs):
#   cold         three images never verified (resolve, fetch signatures, verify)
#   warm-tag     the same three tags again (results cached by digest; one manifest request each)
#   warm-digest  the three images pinned by digest (no registry request)
#   no-policy    three images no policy covers: the webhook without verification (the floor)
# Beside it, the peer: sigstore-rs (bench/imagesig-peer) verifying the same images in the same
# registry, cold (one client) and warm (its registry-caching client). Its figures are the
# verification alone, without an admission round-trip, so kubepci's include more work.
#
# Medians and p99 in microseconds; COLD pods and WARM repetitions. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

COLD=${COLD:-30}
WARM=${WARM:-300}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
command -v docker-registry >/dev/null || { echo "needs docker-registry (apt-get install docker-registry)" >&2; exit 2; }

cargo build --quiet --release -p kubepci-webhook --features test-support --example image-admission
CARGO_TARGET_DIR="$PWD/bench/.cache/peer-target" \
  cargo build --quiet --release --manifest-path bench/imagesig-peer/Cargo.toml
BENCH="$CARGO_TARGET_DIR/release/examples/image-admission"
PEER="$PWD/bench/.cache/peer-target/release/imagesig-peer"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
out=$(COLD="$COLD" WARM="$WARM" PEER="$PEER" "$BENCH")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "Pod with 3 images; load average before: $load_before, after: $load_after"
printf '%-12s %-12s %6s %12s %12s\n' tool case n "median (ms)" "p99 (ms)"
echo "$out" | awk '{printf "%-12s %-12s %6d %12.2f %12.2f\n", $1, $2, $3, $4/1000, $5/1000}'
echo "$out" | awk '
  {m[$1" "$2]=$4}
  END {
    f=m["kubepci no-policy"]
    if (f > 0) printf "kubepci over the no-policy floor: cold %.1fx, warm-tag %.1fx, warm-digest %.2fx\n", m["kubepci cold"]/f, m["kubepci warm-tag"]/f, m["kubepci warm-digest"]/f
    if (m["sigstore-rs cold"] > 0) {
      printf "cold: sigstore-rs takes %.1fx kubepci'"'"'s time (kubepci'"'"'s includes the admission round-trip)\n", m["sigstore-rs cold"]/m["kubepci cold"]
      printf "warm: sigstore-rs'"'"'s caching client %.2f ms (it caches tag resolution too); kubepci %.2f ms by digest, %.2f ms by tag (tags re-resolved)\n", m["sigstore-rs warm-tag"]/1000, m["kubepci warm-digest"]/1000, m["kubepci warm-tag"]/1000
    }
  }'
