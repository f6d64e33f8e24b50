# idna: IDNA 2008 encode/decode, UTS 46, the registered codec.
import idna
print(idna.encode("ドメイン.テスト"))
print(idna.decode("xn--eckwd4c7c.xn--zckzah"))
print(idna.encode("Königsgäßchen", uts46=True))
print("bücher.example".encode("idna"))
try:
    idna.encode("a..b")
except idna.IDNAError as e:
    print("error", type(e).__name__)
print(idna.alabel("münchen"), idna.ulabel("xn--mnchen-3ya"))
