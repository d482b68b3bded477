#!/bin/sh
# Segmentation check benchmark (run by hand): generated iptables-save rulesets of 10,000 and
# 100,000 rules, checked end to end by the release binary (`csirt check segmentation
# --no-record --format json`), next to `sha256sum` and `iptables-restore`-free references on the
# same file, timed in the same run. Usage: Benchmarks/SegmentationCheck/run.sh [RULES...]
set -eu
cd "$(dirname "$0")/../.."
swift build -c release --product csirt >/dev/null
out=bench-out/segmentation
mkdir -p "$out"
echo "machine: $(nproc) cores, $(uname -m); $(swift --version 2>/dev/null | head -1)"
for rules in ${@:-10000 100000}; do
    dir="$out/$rules"
    mkdir -p "$dir"
    python3 Benchmarks/SegmentationCheck/generate.py "$rules" "$dir"
    size=$(wc -c < "$dir/fw-core.rules")
    start=$(date +%s.%N)
    sha256sum "$dir/fw-core.rules" >/dev/null
    middle=$(date +%s.%N)
    status=0
    /usr/bin/time -f "%M" -o "$dir/rss" .build/release/csirt check segmentation "$dir/network.yaml" --no-record --format json --out "$dir/result.json" || status=$?
    end=$(date +%s.%N)
    python3 - "$rules" "$size" "$start" "$middle" "$end" "$status" "$dir" <<'PY'
import json, sys
rules, size, start, middle, end, status, d = sys.argv[1:]
check = float(end) - float(middle)
sha = float(middle) - float(start)
result = json.load(open(f"{d}/result.json"))
rss = int(open(f"{d}/rss").read().split()[-1]) // 1024
print(f"{int(rules):>7} rules, {int(size) / 1e6:.1f} MB: check {check:.2f} s (exit {status}, "
      f"{result['violations']} violations, {result['warnings']} warnings, max RSS {rss} MB); sha256sum {sha:.3f} s")
PY
done
