"""Hashes, authenticates and encrypts with cryptography (OpenSSL through Rust and cffi)."""
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

KEY = bytes(range(32))
NONCE = bytes(12)
MESSAGE = b"freeze: one file, no installer"


def main():
    digest = hashes.Hash(hashes.SHA256())
    digest.update(MESSAGE)
    print("sha256:", digest.finalize().hex())
    mac = hmac.HMAC(KEY, hashes.SHA256())
    mac.update(MESSAGE)
    print("hmac:", mac.finalize().hex())
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=16, salt=b"salt", iterations=1000)
    print("pbkdf2:", kdf.derive(b"password").hex())
    sealed = AESGCM(KEY).encrypt(NONCE, MESSAGE, b"header")
    print("aes-gcm:", sealed.hex())
    print("round trip:", AESGCM(KEY).decrypt(NONCE, sealed, b"header") == MESSAGE)


if __name__ == "__main__":
    main()
