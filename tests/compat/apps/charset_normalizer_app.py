# charset_normalizer: detect encodings of byte strings (uses its compiled
# mypyc modules when present).
from charset_normalizer import from_bytes, detect
import charset_normalizer.md as md
samples = {
    "utf8": "Bonjour, où êtes-vous ? Ça va très bien, merci beaucoup.".encode("utf-8"),
    "cp1251": ("Привет, как дела? Всё хорошо, спасибо большое за помощь. " * 3).encode("cp1251"),
    "sjis": ("これは日本語のテキストです。文字コードを判定します。" * 3).encode("shift_jis"),
}
for k, b in samples.items():
    best = from_bytes(b).best()
    print(k, best.encoding, str(best)[:12])
print(detect("héllo wörld, ça marche très bien".encode("latin-1"))["encoding"])
print(md.__file__.endswith((".so", ".py")))
