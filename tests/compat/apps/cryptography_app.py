# cryptography: Fernet, AES-GCM, hashes, HKDF/PBKDF2, RSA/Ed25519
# signatures, X.509 certificate building and parsing (Rust + OpenSSL).
import datetime
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.asymmetric import rsa, ed25519, padding, ec
from cryptography import x509
from cryptography.x509.oid import NameOID
key = b"0" * 32
import base64
f = Fernet(base64.urlsafe_b64encode(key))
tok = f.encrypt(b"secret message")
print(f.decrypt(tok))
aes = AESGCM(key)
ct = aes.encrypt(b"\x01" * 12, b"data", b"aad")
print(ct.hex(), aes.decrypt(b"\x01" * 12, ct, b"aad"))
print(ChaCha20Poly1305(key).encrypt(b"\x02" * 12, b"x", None).hex())
h = hashes.Hash(hashes.SHA3_256()); h.update(b"abc"); print(h.finalize().hex())
print(PBKDF2HMAC(hashes.SHA256(), 32, b"salt", 1000).derive(b"pw").hex())
print(HKDF(hashes.SHA256(), 16, b"salt", b"info").derive(b"ikm").hex())
ed = ed25519.Ed25519PrivateKey.from_private_bytes(b"\x07" * 32)
sig = ed.sign(b"msg")
print(sig.hex()); ed.public_key().verify(sig, b"msg")
rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
s = rk.sign(b"m", padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256())
rk.public_key().verify(s, b"m", padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256())
print("rsa ok", rk.key_size)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "demo.test")])
ck = ec.derive_private_key(12345, ec.SECP256R1())
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ck.public_key())
        .serial_number(1000).not_valid_before(datetime.datetime(2024, 1, 1))
        .not_valid_after(datetime.datetime(2034, 1, 1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("demo.test")]), critical=False)
        .sign(ck, hashes.SHA256()))
pem = cert.public_bytes(serialization.Encoding.PEM)
c2 = x509.load_pem_x509_certificate(pem)
print(c2.subject.rfc4514_string(), c2.serial_number, c2.not_valid_after_utc,
      c2.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
from cryptography.hazmat.backends.openssl import backend
print(backend.openssl_version_text().startswith("OpenSSL"))
