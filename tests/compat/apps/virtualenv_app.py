# virtualenv: create an environment (no seed packages, no app-data updates)
# for /usr/bin/python3.11 in a temp dir, and inspect what it made.
import os, sys, tempfile, subprocess
import virtualenv
d = tempfile.mkdtemp()
os.environ["VIRTUALENV_OVERRIDE_APP_DATA"] = os.path.join(d, "appdata")
target = os.path.join(d, "env")
session = virtualenv.cli_run(["--no-seed", "--no-periodic-update", "--activators", "bash",
                              "-p", "/usr/bin/python3.11", "-q", target])
print(type(session.creator).__name__, session.interpreter.version_info[:2])
print(sorted(os.listdir(target)), sorted(os.listdir(os.path.join(target, "bin"))))
cfg = open(os.path.join(target, "pyvenv.cfg")).read()
print(sorted(line.split(" = ")[0] for line in cfg.splitlines()))
out = subprocess.run([os.path.join(target, "bin", "python"), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                     capture_output=True, text=True).stdout.strip()
print(out)
