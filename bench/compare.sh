#!/usr/bin/env bash
# Side-by-side benchmark of the example apps: `python app` against the same
# app frozen with freeze and, with --peers, with PyInstaller (onefile,
# onedir) and Nuitka (onefile). Prints one table; see bench/README.md.
#
#   bench/compare.sh [--peers] [--runs N] [APP...]
#
# APP is a directory under examples/ (default: all seven). Environment:
#   FREEZE=path/to/freeze   use this binary instead of building it
#   BENCH_VENV=dir          venv for the apps' packages (default target/bench-venv)
#   BENCH_PEERS_VENV=dir    venv for the peers and the apps' packages (default
#                           BENCH_VENV-peers): kept apart, so that python and
#                           freeze see only the apps' packages
#   BENCH_PYTHON=python     the CPython the apps run under and are frozen for
#                           (default /usr/bin/python3.11). Another version is
#                           frozen by the freeze-3.X beside freeze (e.g.
#                           BENCH_PYTHON=$(tools/python-from-source 3.13),
#                           after cpython/build-freeze 3.13); its packages come
#                           from bench/requirements-3.X.txt when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { echo "usage: bench/compare.sh [--peers] [--runs N] [APP...]" >&2; exit 2; }
peers=0 runs=30 apps=()
while (($#)); do
    case $1 in
        --peers) peers=1 ;;
        --runs) [[ ${2:-} =~ ^[0-9]+$ ]] || usage; runs=$2; shift ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) [[ -f examples/$1/__main__.py ]] || { echo "no app examples/$1" >&2; exit 2; }; apps+=("$1") ;;
    esac
    shift
done
((${#apps[@]})) || apps=(hello stdlib_cli click_rich yaml_numpy data_files pandas_report crypto_tool)

for tool in hyperfine strace /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hyperfine strace time)" >&2; exit 2; }
done

PY=${BENCH_PYTHON:-/usr/bin/python3.11}
py_version=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
requirements=bench/requirements.txt
[[ -f bench/requirements-$py_version.txt ]] && requirements=bench/requirements-$py_version.txt
default_venv=$root/target/bench-venv
[[ $py_version == 3.11 ]] || default_venv=$root/target/bench-venv-$py_version
venv=${BENCH_VENV:-$default_venv}
# The apps' packages, pinned, in a venv cached across runs.
stamp="$venv/.bench-requirements-$(sha256sum "$requirements" | cut -c1-16)"
if [[ ! -e $stamp ]]; then
    echo "== installing $requirements into $venv" >&2
    [[ -x $venv/bin/python ]] || $PY -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    touch "$stamp"
fi
# The peers get a venv of their own: installed beside the apps' packages,
# their plugins (Nuitka's `distutils.commands` entry point) and their
# dependencies would be part of the environment python and freeze see.
peers_venv=${BENCH_PEERS_VENV:-$venv-peers}
((peers)) && bench/peers.sh install "$peers_venv" "$requirements" "$PY" >&2

if [[ -z ${FREEZE:-} ]]; then
    cargo build --release -q -p freeze
    FREEZE=$root/target/release/freeze
fi
out=$root/target/bench
mkdir -p "$out"
results=$out/results.jsonl
: >"$results"

# record APP TOOL KEY=VALUE...: one JSON object per line for the table.
record() {
    local app=$1 tool=$2; shift 2
    $PY - "$app" "$tool" "$@" >>"$results" <<'EOF'
import json, sys
app, tool, *pairs = sys.argv[1:]
row = {"app": app, "tool": tool}
for pair in pairs:
    key, _, value = pair.partition("=")
    try:
        row[key] = float(value)
    except ValueError:
        row[key] = value
print(json.dumps(row))
EOF
}

# Wall-clock seconds of a command, which must succeed.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$out/last-stderr" || { cat "$out/last-stderr" >&2; return 1; }
    end=$(date +%s.%N)
    $PY -c "print(f'{$end - $start:.3f}')"
}

# Median peak RSS (KiB) of 5 runs.
peak_rss() {
    local i
    for i in 1 2 3 4 5; do
        /usr/bin/time -f %M -o "$out/rss" "$@" >/dev/null 2>&1
        cat "$out/rss"
    done | sort -n | sed -n 3p
}

# Bytes a run writes to files (not pipes, terminals or memory files), as
# strace sees them. HOME and TMPDIR point into a fresh directory, so a first
# start (nothing cached yet) is measured.
bytes_written() {
    local scratch
    scratch=$(mktemp -d)
    mkdir -p "$scratch/home" "$scratch/tmp"
    HOME=$scratch/home TMPDIR=$scratch/tmp strace -f -qq -y -o "$out/strace.log" \
        -e trace=write,pwrite64,writev,pwritev,pwritev2,sendfile,copy_file_range "$@" >/dev/null 2>&1 || true
    rm -rf "$scratch"
    $PY - "$out/strace.log" <<'EOF'
import re, sys
total = 0
call = re.compile(r"^(?:\d+\s+)?(\w+)\((?:\d+, )?(?:NULL, )?\d+<([^>]*)>.*\)\s+=\s+(\d+)")
for line in open(sys.argv[1], errors="replace"):
    m = call.match(line)
    if not m:
        continue
    name, path, n = m.groups()
    if name in ("sendfile", "copy_file_range"):
        # The destination is the first descriptor for both.
        m2 = re.match(r"^(?:\d+\s+)?\w+\(\d+<([^>]*)>", line)
        path = m2.group(1) if m2 else ""
    # Memory: memory files, and the shared copy of native code on a tmpfs
    # ($XDG_RUNTIME_DIR/freeze-native or /dev/shm/freeze-UID).
    if path.startswith("/") and not path.startswith(("/dev/", "/memfd:", "/proc/")) and "/freeze-native/" not in path:
        total += int(n)
print(total)
EOF
}

# Instructions a command executes, whole process (callgrind: deterministic,
# unlike wall time on a shared machine). Empty without valgrind.
instructions() {
    command -v valgrind >/dev/null || return 0
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
# The apps whose instructions are counted against python's (the runtimes'
# measure: docs/runtimes.md).
counted_apps=" hello click_rich "

for app in "${apps[@]}"; do
    echo "== $app" >&2
    src=examples/$app
    work=$out/$app
    rm -rf "$work"; mkdir -p "$work"
    # Warm python's __pycache__ so it is measured at its best.
    "$venv/bin/python" "$src" >"$work/python.out"
    expected=$(sha256sum <"$work/python.out")

    # freeze, cold (empty compile cache) then warm (nothing changed).
    export VIRTUAL_ENV=$venv
    cache=$(mktemp -d)
    cold=$(XDG_CACHE_HOME=$cache seconds "$FREEZE" "$src" -o "$work/freeze")
    warm=$(XDG_CACHE_HOME=$cache seconds "$FREEZE" "$src" -o "$work/freeze")
    # The size-first build: the same bundle behind the compressed runtime
    # (the build cache is warm by now; its build time is not reported).
    XDG_CACHE_HOME=$cache "$FREEZE" "$src" -o "$work/freeze-small" --compress-runtime 2>/dev/null
    rm -rf "$cache"
    unset VIRTUAL_ENV
    for exe in "$work/freeze" "$work/freeze-small"; do
        [[ $("$exe" | sha256sum) == "$expected" ]] || echo "warning: $exe output differs from python's" >&2
    done

    names=("python app" "freeze" "freeze --compress-rt")
    cmds=("$venv/bin/python $src" "$work/freeze" "$work/freeze-small")
    if [[ $app == hello ]]; then
        # The floor for start-up: the interpreter alone, no site, no app.
        names+=("python -I -S -c pass"); cmds+=("$PY -I -S -c pass")
    fi
    record "$app" "python app" size="$(du -sb "$src" | cut -f1)"
    record "$app" freeze cold="$cold" warm="$warm" size="$(stat -c %s "$work/freeze")"
    record "$app" "freeze --compress-rt" size="$(stat -c %s "$work/freeze-small")"

    if ((peers)); then
        # Kept across runs: peers.sh rebuilds only when the app or the pinned
        # peer versions change (Nuitka takes minutes per app).
        peer_dir=$root/target/bench-peers/$app
        bench/peers.sh build "$peers_venv" "$src" "$peer_dir" >&2 || true
        for tool in pyinstaller-onefile pyinstaller-onedir nuitka-onefile; do
            exe=$peer_dir/$tool/$app
            [[ $tool == pyinstaller-onedir ]] && exe=$peer_dir/$tool/$app/$app
            if [[ -e $peer_dir/$tool.failed || ! -x $exe ]]; then
                record "$app" "$tool" failed="$(head -c 300 "$peer_dir/$tool.failed" 2>/dev/null | tr '\n' ' ')"
                continue
            fi
            size=$(du -sb "$(dirname "$exe")" | cut -f1)
            [[ $tool == *onefile ]] && size=$(stat -c %s "$exe")
            record "$app" "$tool" cold="$(cat "$peer_dir/$tool.seconds" 2>/dev/null || echo nan)" size="$size"
            names+=("$tool"); cmds+=("$exe")
        done
    fi

    # One hyperfine batch per app, so every tool sees the same machine state.
    args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/hyperfine.json" "${args[@]}" >/dev/null 2>&1 \
        || hyperfine -N --warmup 3 --runs "$runs" --ignore-failure --export-json "$work/hyperfine.json" "${args[@]}" >/dev/null
    for i in "${!names[@]}"; do
        # shellcheck disable=SC2086 # the python command is two words
        record "$app" "${names[$i]}" rss_kib="$(peak_rss ${cmds[$i]})" written="$(bytes_written ${cmds[$i]})"
    done
    if [[ $counted_apps == *" $app "* ]]; then
        for i in 0 1 3; do
            [[ -n ${names[$i]:-} && ( $i != 3 || ${names[3]} == "python -I -S -c pass" ) ]] || continue
            # shellcheck disable=SC2086 # the python command is two words
            n=$(instructions ${cmds[$i]})
            [[ -n $n ]] && record "$app" "${names[$i]}" instructions="$n"
        done
    fi
    $PY - "$work/hyperfine.json" "$app" >>"$results" <<'EOF'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(json.dumps({"app": sys.argv[2], "tool": r["command"], "run_ms": statistics.median(r["times"]) * 1000}))
EOF
done

$PY - "$results" <<'EOF'
import json, sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault((r["app"], r["tool"]), {}).update(r)
def f(v, fmt):
    width = int("".join(c for c in fmt.split(".")[0] if c.isdigit()) or 0)
    return format(v, fmt) if isinstance(v, float) and v == v else "-".rjust(width)
head = f"{'app':<11} {'tool':<20} {'run ms':>8} {'vs py':>6} {'freeze s':>9} {'warm s':>7} {'size MB':>8} {'RSS MB':>7} {'vs py':>6} {'written':>10}"
print(head); print("-" * len(head))
for (app, tool), r in rows.items():
    py = rows.get((app, "python app"), {})
    if "failed" in r:
        print(f"{app:<11} {tool:<20} FAILED: {r['failed'][:90]}")
        continue
    run, rss = r.get("run_ms"), r.get("rss_kib")
    vs = run / py["run_ms"] if run and py.get("run_ms") else None
    vs_rss = rss / py["rss_kib"] if rss and py.get("rss_kib") else None
    size = r["size"] / 1e6 if tool != "python app" and "size" in r else None
    written = r.get("written")
    print(f"{app:<11} {tool:<20} {f(run, '8.1f')} {f(vs, '5.2f')+'x' if vs else '     -'} "
          f"{f(r.get('cold'), '9.2f')} {f(r.get('warm'), '7.2f')} {f(size, '8.1f')} "
          f"{f(rss / 1024 if rss else None, '7.1f')} {f(vs_rss, '5.2f')+'x' if vs_rss else '     -'} "
          f"{int(written) if written is not None else '-':>10}")
floor = rows.get(("hello", "python -I -S -c pass"), {}).get("run_ms")
frozen_hello = rows.get(("hello", "freeze"), {}).get("run_ms")
if floor and frozen_hello:
    python = "python%d.%d" % sys.version_info[:2]
    print(f"\nfrozen hello vs `{python} -I -S -c pass`: {frozen_hello:.1f} / {floor:.1f} ms = {frozen_hello / floor:.2f}x")
counted = [(k, r) for k, r in rows.items() if "instructions" in r]
if counted:
    print(f"\n{'app':<11} {'tool':<20} {'instructions':>14} {'vs py':>6}")
    for (app, tool), r in counted:
        py = rows.get((app, "python app"), {}).get("instructions")
        vs = f"{r['instructions'] / py:5.2f}x" if py else "     -"
        print(f"{app:<11} {tool:<20} {int(r['instructions']):>14,} {vs}")
elif any(app in ("hello", "click_rich") for app, _ in rows):
    print("\ninstructions: not counted (apt-get install valgrind)")
print("\nrun: hyperfine median; vs py: ratio to `python app` (warm __pycache__); freeze s: cold build "
      "(empty caches); warm s: rebuild with nothing changed; size: executable (onedir: whole dir); "
      "RSS: median peak of 5 runs; written: bytes written to files during a first start; "
      "freeze --compress-rt: the same bundle with the runtime stored compressed (--compress-runtime); "
      "instructions: callgrind, whole process, for hello and click_rich.")
EOF
