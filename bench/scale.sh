#!/usr/bin/env bash
# Cost growth: start time and memory of frozen apps whose bundles hold 100,
# 1,000 and 10,000 extra modules, of which the app imports one. Start-up
# must not grow with modules that are not imported. See bench/README.md.
#
#   bench/scale.sh [--runs N]
#   FREEZE=path/to/freeze bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=50
if [[ ${1:-} == --runs && ${2:-} =~ ^[0-9]+$ ]]; then runs=$2; elif (($#)); then
    echo "usage: bench/scale.sh [--runs N]" >&2; exit 2
fi
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
PY=/usr/bin/python3.11
if [[ -z ${FREEZE:-} ]]; then
    cargo build --release -q -p freeze
    FREEZE=$root/target/release/freeze
fi
work=$root/target/bench-scale
rm -rf "$work"; mkdir -p "$work"
sizes=(100 1000 10000)

# Each module is a realistic ~1.5 KB of source: a class, functions, constants.
for n in "${sizes[@]}"; do
    app=$work/app$n
    # The generated package sits in a --path directory, so it is bundled
    # whole, as a third-party package would be, though only one is imported.
    mkdir -p "$app/main" "$app/lib/generated"
    $PY - "$app/lib/generated" "$n" <<'EOF'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
open(os.path.join(out, "__init__.py"), "w").close()
for i in range(n):
    with open(os.path.join(out, f"mod{i:05d}.py"), "w") as f:
        f.write(f'''"""Generated module {i}."""
import math

CONSTANT_{i} = {i}
TABLE = {{k: k * {i} for k in range(8)}}


class Shape{i}:
    """A shape with an area."""

    def __init__(self, size):
        self.size = size

    def area(self):
        return math.pi * self.size ** 2 + CONSTANT_{i}

    def __repr__(self):
        return "Shape{i}(%r)" % self.size


def compute(values):
    total = 0
    for v in values:
        total += Shape{i}(v).area()
    return round(total, 3)
''')
EOF
    printf 'from generated import mod00042\nprint("area", mod00042.compute([1, 2, 3]))\n' >"$app/main/__main__.py"
    "$FREEZE" --no-cache "$app/main" --path "$app/lib" -o "$work/frozen$n" 2>/dev/null
    "$FREEZE" --list-frozen "$work/frozen$n" | grep -c '^generated\.' >"$work/count$n"
done

args=()
for n in "${sizes[@]}"; do args+=(-n "$n modules" "$work/frozen$n"); done
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/hyperfine.json" "${args[@]}" >/dev/null

for n in "${sizes[@]}"; do
    for i in 1 2 3 4 5; do
        /usr/bin/time -f %M -o "$work/rss" "$work/frozen$n" >/dev/null
        cat "$work/rss"
    done | sort -n | sed -n 3p >"$work/rss$n"
done

$PY - "$work" "${sizes[@]}" <<'EOF'
import json, os, statistics, sys
work, sizes = sys.argv[1], sys.argv[2:]
times = {r["command"]: statistics.median(r["times"]) * 1000
         for r in json.load(open(os.path.join(work, "hyperfine.json")))["results"]}
rss = {n: int(open(os.path.join(work, f"rss{n}")).read()) for n in sizes}
base_t, base_rss = times[f"{sizes[0]} modules"], rss[sizes[0]]
print(f"{'bundle':<14} {'bundled':>8} {'exe MB':>7} {'start ms':>9} {'vs 100':>7} {'peak RSS KiB':>13} {'vs 100 KiB':>11}")
for n in sizes:
    t = times[f"{n} modules"]
    size = os.path.getsize(os.path.join(work, f"frozen{n}")) / 1e6
    count = int(open(os.path.join(work, f"count{n}")).read())
    print(f"{n + ' modules':<14} {count:>8} {size:>7.1f} {t:>9.2f} {t / base_t:>6.2f}x {rss[n]:>13} {rss[n] - base_rss:>+11}")
print("\nstart: hyperfine median; peak RSS: median of 5 runs. Each app imports one generated module.")
EOF
