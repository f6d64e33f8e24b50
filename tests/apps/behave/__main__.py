"""One app, many behaviours: the first argument picks the scenario, so a
single frozen executable covers every case compared against python."""
import sys

import behave_pkg
from behave_pkg import helpers


def fail_deep(n):
    if n == 0:
        raise ValueError("deep failure")
    fail_deep(n - 1)


def recurse(n):
    return recurse(n + 1) + 1


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "argv"
    if what == "argv":
        print(sys.argv[1:])
    elif what == "exit":
        sys.exit(int(sys.argv[2]))
    elif what == "exit-str":
        sys.exit("fatal: something went wrong")
    elif what == "raise":
        fail_deep(3)
    elif what == "chained":
        try:
            {}["missing"]
        except KeyError as e:
            raise RuntimeError("while looking things up") from e
    elif what == "interrupt":
        raise KeyboardInterrupt
    elif what == "lines":
        for i in range(int(sys.argv[2])):
            print("line", i)
    elif what == "recurse":
        recurse(0)
    elif what == "recurse-caught":
        try:
            recurse(0)
        except RecursionError as e:
            print("caught:", e)
    elif what == "stdin":
        data = sys.stdin.read()
        print(len(data.splitlines()), "lines;", data.upper(), end="")
    elif what == "builtin-exit":
        exit(4)
    elif what == "builtin-quit":
        quit()
    elif what == "unicode":
        print("héllo wörld ✓ 日本語", sys.stdout.encoding, sys.stderr.encoding)
        print("ünïcode on stderr", file=sys.stderr)
    elif what == "threads":
        helpers.run_threads()
    elif what == "thread-error":
        helpers.thread_error()
    elif what == "subprocess":
        import subprocess

        out = subprocess.run(["/bin/echo", "from a child"], capture_output=True, text=True)
        print(out.stdout.strip(), out.returncode)
    elif what == "modules":
        helpers.show_modules()
    elif what == "getsource":
        import inspect

        print(inspect.getsource(helpers.run_threads))
    elif what == "warn":
        import warnings

        warnings.warn("this is a warning")
        print("after warning")
    elif what == "frozen":
        import os

        print("frozen", getattr(sys, "frozen", False))
        print("executable", os.path.realpath(sys.executable) == os.path.realpath(sys.argv[0]))
        print("file", __file__.startswith(sys.executable))
        print("pkgfile", behave_pkg.__file__.startswith(sys.executable), os.path.exists(behave_pkg.__file__))
    else:
        print("unknown scenario", what, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
