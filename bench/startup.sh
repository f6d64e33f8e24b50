#!/usr/bin/env bash
# Start-up time of frozen apps against the plain interpreter, in one
# hyperfine batch. Prints medians and ratios.
#
#   bench/startup.sh            # builds freeze (release) first
#   FREEZE=path/to/freeze bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }

PY=/usr/bin/python3.11
if [[ -z "${FREEZE:-}" ]]; then
    cargo build --release -q -p freeze
    FREEZE=target/release/freeze
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$FREEZE" examples/hello -o "$work/hello" 2>/dev/null
"$FREEZE" examples/stdlib_cli -o "$work/stdlib_cli" 2>/dev/null
# Warm python's __pycache__ so it is measured at its best.
$PY examples/hello >/dev/null; $PY examples/stdlib_cli >/dev/null

hyperfine -N --warmup 20 --runs "${RUNS:-200}" --export-json "$work/out.json" \
    -n "python -I -S -c pass" "$PY -I -S -c pass" \
    -n "frozen hello" "$work/hello" \
    -n "python examples/hello" "$PY examples/hello" \
    -n "frozen stdlib_cli" "$work/stdlib_cli" \
    -n "python examples/stdlib_cli" "$PY examples/stdlib_cli" >/dev/null

$PY - "$work/out.json" <<'PYEOF'
import json, statistics, sys
results = {r["command"]: statistics.median(r["times"]) * 1000 for r in json.load(open(sys.argv[1]))["results"]}
base = results["python -I -S -c pass"]
print(f"{'command':<28} {'median ms':>10} {'vs -I -S -c pass':>17} {'vs python app':>14}")
pairs = {"frozen hello": "python examples/hello", "frozen stdlib_cli": "python examples/stdlib_cli"}
for name, ms in results.items():
    vs_app = f"{ms / results[pairs[name]]:.2f}x" if name in pairs else ""
    print(f"{name:<28} {ms:>10.2f} {ms / base:>16.2f}x {vs_app:>14}")
print("target: frozen hello <= 1.10x python -I -S -c pass")
PYEOF
