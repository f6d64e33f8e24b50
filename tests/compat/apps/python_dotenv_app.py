# python-dotenv: parse .env files with interpolation, load into os.environ.
import io, os, tempfile
from dotenv import dotenv_values, load_dotenv, set_key, find_dotenv
text = 'BASE=/srv\nexport APP_DIR=${BASE}/app\nQUOTED="a b # not comment"\nEMPTY=\n# c\nMULTI="l1\nl2"\n'
print(dotenv_values(stream=io.StringIO(text)))
d = tempfile.mkdtemp()
p = os.path.join(d, ".env")
with open(p, "w") as f:
    f.write(text)
print(load_dotenv(p), os.environ["APP_DIR"], os.environ["QUOTED"])
set_key(p, "NEW", "v 1")
print(open(p).read().splitlines()[-1])
print(find_dotenv("no-such-file-anywhere.env"))
