#!/usr/bin/env bash
# Fuzz the decoders with cargo-fuzz (nightly toolchain): receipt, aggregate, blobs, commitments,
# and the service's request bodies (requests).
# Seeds are real files made by l2x (the tests' build; L2X_BIN names another) (receipts of every backend, an aggregate, a
# published batch, blobs, a commitments file with cell proofs) and the hostile shapes that once
# cost gigabytes (an aggregate of a million empty entries, a huge seal), so inputs far beyond
# libFuzzer's default 4 KiB are explored.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 30 s, every target)
#
# Prints each target's executions, executions per second and corpus size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(receipt aggregate blobs commitments requests)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

if [ -n "${L2X_BIN:-}" ]; then
  l2x="$L2X_BIN"
else
  cargo build --locked -p l2x
  l2x="$(realpath "${CARGO_TARGET_DIR:-target}")/debug/l2x"
fi
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
corpus=fuzz/corpus
mkdir -p "$corpus"/{receipt,aggregate,blobs,commitments,requests}

"$l2x" prove fibonacci --input 50 -o "$seeds/fib.receipt" >/dev/null
"$l2x" prove sha256 --input abc -o "$seeds/sha.receipt" >/dev/null
"$l2x" prove fibonacci --input 10 --backend stark -o "$seeds/fib.stark" >/dev/null
"$l2x" prove sha256 --input abc --backend stark-zk -o "$seeds/sha.zk" >/dev/null
cp "$seeds"/fib.receipt "$seeds"/sha.receipt "$seeds"/fib.stark "$seeds"/sha.zk "$corpus/receipt/"
"$l2x" aggregate --allow-dev "$seeds/fib.receipt" "$seeds/sha.receipt" "$seeds/fib.stark" \
  -o "$corpus/aggregate/three.l2xa" >/dev/null
printf '{"program":"fibonacci","input":"7"}\n{"program":"sha256","input":"abc"}\n' >"$seeds/jobs"
"$l2x" batch "$seeds/jobs" --aggregate "$corpus/aggregate/published.l2xa" \
  --publish "$corpus/blobs/published.blobs" >/dev/null
head -c 200000 /dev/urandom >"$seeds/data"
"$l2x" da encode "$seeds/data" -o "$corpus/blobs/two.blobs" >/dev/null
"$l2x" da commit --blob-file "$corpus/blobs/published.blobs" --cells \
  -o "$corpus/commitments/cells.json" >/dev/null
"$l2x" da commit --blob-file "$corpus/blobs/two.blobs" -o "$corpus/commitments/plain.json" >/dev/null
python3 - "$corpus" <<'PY'
import struct, sys
corpus = sys.argv[1]
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
n = 1 << 20
# An aggregate of a million empty entries (the shape that cost 6.5 GB to reject).
with open(f"{corpus}/aggregate/empty-entries.l2xa", "wb") as f:
    f.write(b"L2XA" + struct.pack("<H", 1) + bytes(32) + varint(n) + bytes(n))
# A receipt whose seal claims a huge count of tiny entries.
with open(f"{corpus}/receipt/huge-seal.receipt", "wb") as f:
    body = varint(9) + b"fibonacci" + varint(16) + bytes(16) + varint(11)
    seal = bytes(101) + varint(n) + bytes(7 * 1024)
    f.write(b"L2XR" + struct.pack("<H", 1) + bytes([1]) + body + varint(len(seal)) + seal)
PY
# The service's request bodies: a job, a batch, an aggregate, and the shapes once accepted
# loosely (a key twice, a stray field beside a batch).
printf '%s' '{"program":"fibonacci","input":"7","backend":"stark"}' >"$corpus/requests/one.json"
printf '%s' '{"jobs":[{"program":"sha256","input_hex":"0x6162"},{"program":"fibonacci","input":"9"}]}' \
  >"$corpus/requests/batch.json"
printf '%s' '{"jobs":[3,1,2],"publish":true}' >"$corpus/requests/aggregate.json"
printf '%s' '{"program":"fibonacci","input":"7","program":"sha256"}' >"$corpus/requests/twice.json"
printf '%s' '{"jobs":[{"program":"sha256","input":"a"}],"program":"x"}' >"$corpus/requests/stray.json"
echo "seed corpus: $(find "$corpus" -type f | wc -l) files"

cd fuzz
log=$(mktemp)
for target in "${targets[@]}"; do
  echo "== fuzz $target for ${seconds}s"
  status=0
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=2097152 -rss_limit_mb=4096 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^#[0-9]+ +DONE" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz $target failed (exit $status); failing inputs, if any, are in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
rm -f "$log"
