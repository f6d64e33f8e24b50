# shellingham: detect the shell by walking the process tree via /proc; here
# the app spawns /bin/sh which runs it again, so the answer is known.
import os, subprocess, sys
import shellingham
if os.environ.get("SHELLINGHAM_CHILD"):
    try:
        name, path = shellingham.detect_shell()
        print(name, os.path.basename(path))
    except shellingham.ShellDetectionFailure:
        print("not detected")
    sys.exit(0)
exe = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-B", os.path.abspath(__file__)]
env = dict(os.environ, SHELLINGHAM_CHILD="1")
cmd = " ".join("'%s'" % a for a in exe)
out = subprocess.run(["/bin/sh", "-c", cmd + "; true"], env=env, capture_output=True, text=True)
print(out.stdout.strip(), out.returncode)
try:
    shellingham.detect_shell(max_depth=1)
except shellingham.ShellDetectionFailure:
    print("top: not detected")
