#!/usr/bin/env python3
"""Prints a Markdown table of criterion results read from target/criterion (no hand-copied numbers).

Usage: scripts/criterion_table.py GROUP [GROUP...] [--ratio GROUP/BENCH:GROUP/REF]...

For each benchmark: median time per iteration with criterion's 95% confidence interval, and the
throughput at the median. Each --ratio row divides the reference's median by the benchmark's
(> 1 means the benchmark is faster) and gives throughput as a percentage of the reference.
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "target" / "criterion"


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def load(group, bench):
    base = ROOT / group / bench / "new"
    est = json.loads((base / "estimates.json").read_text())
    meta = json.loads((base / "benchmark.json").read_text())
    med = est["median"]
    return med["point_estimate"], med["confidence_interval"], meta.get("throughput")


def throughput(ns, tp):
    if not tp:
        return "—"
    (kind, amount), = tp.items()
    per_s = amount / (ns / 1e9)
    if kind == "Bytes":
        return f"{per_s / 1e9:.3g} GB/s"
    return f"{per_s / 1e6:.4g} M/s"


def main(argv):
    groups = [a for a in argv if not a.startswith("--") and ":" not in a]
    ratios = [argv[i + 1] for i, a in enumerate(argv) if a == "--ratio"]
    print("| benchmark | median | 95% CI of median | throughput |")
    print("|---|---|---|---|")
    for group in groups:
        for bench_dir in sorted(p for p in (ROOT / group).iterdir() if (p / "new").is_dir()):
            ns, ci, tp = load(group, bench_dir.name)
            lo, hi = ci["lower_bound"], ci["upper_bound"]
            print(f"| `{group}/{bench_dir.name}` | {fmt_time(ns)} | {fmt_time(lo)} – {fmt_time(hi)} | {throughput(ns, tp)} |")
    if ratios:
        print()
        print("| benchmark | reference | speed vs reference (reference time / time) |")
        print("|---|---|---|")
        for spec in ratios:
            bench, ref = spec.split(":")
            ns, _, _ = load(*bench.split("/", 1))
            rns, _, _ = load(*ref.split("/", 1))
            print(f"| `{bench}` | `{ref}` | {rns / ns:.3f} ({100 * rns / ns:.1f}%) |")


if __name__ == "__main__":
    main(sys.argv[1:])
