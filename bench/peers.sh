#!/usr/bin/env bash
# Builds an example app with the peer packagers (PyInstaller onefile/onedir,
# Nuitka onefile) so bench/compare.sh can set them beside freeze.
#
#   bench/peers.sh install VENV [REQUIREMENTS [PYTHON]]
#                                   # the peers and the apps' packages (default
#                                   # bench/requirements.txt) into VENV, made
#                                   # with PYTHON (default /usr/bin/python3.11)
#   bench/peers.sh build VENV APP_DIR OUT_DIR    # e.g. examples/hello out/hello
#
# Per tool T in pyinstaller-onefile, pyinstaller-onedir, nuitka-onefile, OUT_DIR gets:
#   T/NAME (onedir: T/NAME/NAME)  the executable, NAME = basename of APP_DIR
#   T.log      the build log
#   T.seconds  wall-clock build time, only when the build command succeeded
#   T.failed   why it counts as failed: the log's tail, or how its output
#              differed from `VENV/bin/python -B APP_DIR`
#   T.stamp    input hash of the last build that ran to the end; a match skips
#              the tool on reruns (PEERS_REBUILD=1 forces)
set -euo pipefail

usage() {
    echo "usage: $0 install VENV [REQUIREMENTS [PYTHON]]" >&2
    echo "       $0 build VENV APP_DIR OUT_DIR" >&2
    exit 2
}
die() { echo "peers.sh: $*" >&2; exit 1; }

BENCH=$(cd "$(dirname "$0")" && pwd)
PEERS_REQ=$BENCH/peers-requirements.txt
APPS_REQ=$BENCH/requirements.txt
TOOLS=(pyinstaller-onefile pyinstaller-onedir nuitka-onefile)

install() {
    local venv=$1 apps_req=${2:-$APPS_REQ} python=${3:-/usr/bin/python3.11}
    # Nuitka's standalone mode rewrites the rpath of every bundled .so with
    # patchelf; ccache is what Nuitka's docs recommend (used when on PATH).
    local missing=()
    command -v patchelf >/dev/null || missing+=(patchelf)
    command -v ccache >/dev/null || missing+=(ccache)
    if ((${#missing[@]})); then
        echo "peers.sh: apt-get install ${missing[*]}" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    # The interpreter the apps run under, so all tools bundle one Python.
    [[ -x $venv/bin/python ]] || "$python" -m venv "$venv"
    # What the venv holds, which builds' input hashes include.
    local want stamp=$venv/.peers-installed
    want=$({ cat "$PEERS_REQ" "$apps_req"; "$venv/bin/python" -VV; } | sha256sum)
    [[ -f $stamp && $(<"$stamp") == "$want" ]] && return 0
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$apps_req" -r "$PEERS_REQ"
    echo "$want" >"$stamp"
}

# Hash of everything that decides a build's result, so a rerun with the same
# inputs can reuse it: this script too, as it holds each tool's options.
# __pycache__ is excluded: running the app writes it.
input_hash() {
    local app=$1
    {
        (cd "$app" && find . -type f ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        cat "$VENV/.peers-installed" "$BENCH/peers.sh"
    } | sha256sum | cut -d' ' -f1
}

# Runs the build command for tool $1 (rest: the command) with its log; times
# it; leaves T.failed with the log's tail on failure.
timed_build() {
    local tool=$1 start end; shift
    start=$EPOCHREALTIME
    if "$@" </dev/null >"$OUT/$tool.log" 2>&1; then
        end=$EPOCHREALTIME
        awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }' >"$OUT/$tool.seconds"
    else
        tail -n 20 "$OUT/$tool.log" >"$OUT/$tool.failed"
    fi
}

# A build that "works" but prints something else is a failure too: compare
# stdout and exit status with the plain interpreter's.
check_output() {
    local tool=$1 exe=$2 got
    if [[ ! -x $exe ]]; then
        echo "no executable at $exe" >"$OUT/$tool.failed"
        return
    fi
    local err=$OUT/build/$tool/run.stderr
    got=$(timeout 300 "$exe" </dev/null 2>"$err"; echo "exit status $?")
    if [[ $got != "$EXPECTED" ]]; then
        {
            echo "output differs from python -B $APP (--- python, +++ $tool):"
            diff <(echo "$EXPECTED") <(echo "$got") | head -n 20 || true
            echo "stderr:"
            tail -n 10 "$err"
        } >"$OUT/$tool.failed"
    fi
}

build_tool() {
    local tool=$1 dir=$OUT/$1
    rm -rf "$dir" "$OUT/build/$tool" "$OUT/$tool".{log,seconds,failed,stamp}
    mkdir -p "$OUT/build/$tool"
    case $tool in
    pyinstaller-*)
        # PYINSTALLER_CONFIG_DIR moves its bincache into OUT_DIR, so --clean
        # empties a cache of this app only and builds never share one.
        timed_build "$tool" env PYINSTALLER_CONFIG_DIR="$OUT/build/$tool/config" \
            "$PY" -m PyInstaller "--${tool#pyinstaller-}" --clean --noconfirm --name "$NAME" \
            --distpath "$dir" --workpath "$OUT/build/$tool" --specpath "$OUT/build/$tool" \
            --paths "$APP" "${PYI_EXTRA[@]}" "$APP/__main__.py"
        local exe=$dir/$NAME
        [[ $tool == *onedir ]] && exe=$dir/$NAME/$NAME
        ;;
    nuitka-onefile)
        # Cold build: NUITKA_CACHE_DIR (ccache, bytecode, dll-dependency and
        # compression caches) points at an empty dir of this build's own, so
        # neither ccache nor the bytecode cache is warm from earlier builds.
        # Nuitka warns to pass a dir instead of its __main__.py, but given the
        # dir it leaves the dir off the import path, so an app's sibling
        # packages (stdlib_cli_lib) are missing at run time; __main__.py keeps
        # python's `python APP_DIR` semantics.
        # No download can happen here, so --assume-yes-for-downloads is left
        # out: a prompt for one fails the build (stdin is /dev/null).
        timed_build "$tool" env -u CCACHE_DIR NUITKA_CACHE_DIR="$OUT/build/$tool/cache" \
            "$PY" -m nuitka --onefile --jobs=2 --remove-output \
            --output-dir="$OUT/build/$tool" --output-filename="$NAME" \
            "${NUITKA_EXTRA[@]}" "$APP/__main__.py"
        local exe=$dir/$NAME
        if [[ -f $OUT/build/$tool/$NAME ]]; then
            mkdir -p "$dir" && mv "$OUT/build/$tool/$NAME" "$exe"
        fi
        ;;
    esac
    # A build that failed is not stamped: its cause (a crash, a killed
    # compiler) may be gone next time. One that ran wrong is: it stays wrong.
    [[ -f $OUT/$tool.failed ]] && return
    check_output "$tool" "$exe"
    echo "$HASH" >"$OUT/$tool.stamp"
}

build() {
    VENV=$(realpath -m "$1") APP=$(realpath -m "$2") OUT=$3
    [[ -f $APP/__main__.py ]] || die "$APP has no __main__.py"
    PY=$VENV/bin/python
    [[ -f $VENV/.peers-installed ]] && "$PY" -c 'import PyInstaller, nuitka' 2>/dev/null ||
        die "no peers in $VENV: run $0 install $1"
    mkdir -p "$OUT" && OUT=$(realpath "$OUT")
    # Two builds in one OUT_DIR (compare.sh and a manual run) wreck each
    # other's work dirs, and would time each other: wait for the other.
    exec 9>"$OUT/.lock"
    flock -n 9 || { echo "peers.sh: waiting for another build in $OUT" >&2; flock 9; }
    NAME=$(basename "$APP")
    HASH=$(input_hash "$APP")
    EXPECTED=$("$PY" -B "$APP" </dev/null 2>/dev/null; echo "exit status $?")
    # What each tool's docs tell a user to add when the plain build misses
    # something. Both follow imports statically, so they miss modules loaded
    # by name (pyfiglet.fonts via importlib.resources, docutils' readers,
    # parsers, writers and languages) and the data files beside them, unless
    # a hook (PyInstaller: certifi, docutils) or package config (Nuitka:
    # certifi, pyfiglet) covers them.
    PYI_EXTRA=() NUITKA_EXTRA=()
    case $NAME in
    data_files)
        PYI_EXTRA=(--hidden-import=pyfiglet.fonts --collect-data=pyfiglet)
        NUITKA_EXTRA=(--include-package=docutils --include-package-data=docutils)
        ;;
    esac
    local tool
    for tool in "${TOOLS[@]}"; do
        if [[ ${PEERS_REBUILD:-0} != 1 && -f $OUT/$tool.stamp && $(<"$OUT/$tool.stamp") == "$HASH" ]]; then
            echo "peers.sh: $NAME/$tool up to date" >&2
            continue
        fi
        echo "peers.sh: building $NAME with $tool" >&2
        build_tool "$tool"
        if [[ -f $OUT/$tool.failed ]]; then
            echo "peers.sh: $NAME/$tool FAILED (see $OUT/$tool.failed)" >&2
        else
            echo "peers.sh: $NAME/$tool ok in $(<"$OUT/$tool.seconds") s" >&2
        fi
    done
}

case ${1:-} in
install) (($# >= 2 && $# <= 4)) || usage; install "${@:2}" ;;
build) (($# == 4)) || usage; build "$2" "$3" "$4" ;;
*) usage ;;
esac
