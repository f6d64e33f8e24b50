# pyasn1-modules: decode an X.509 certificate (made with cryptography) with
# the RFC 5280 / 2459 specs.
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyasn1.codec.der import decoder
from pyasn1_modules import rfc5280, rfc2459, pem
k = ec.derive_private_key(42, ec.SECP256R1())
n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "asn1.test"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Org")])
cert = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key()).serial_number(77)
        .not_valid_before(datetime.datetime(2024, 1, 1)).not_valid_after(datetime.datetime(2025, 1, 1)).sign(k, hashes.SHA256()))
der = cert.public_bytes(serialization.Encoding.DER)
c, rest = decoder.decode(der, asn1Spec=rfc5280.Certificate())
tbs = c["tbsCertificate"]
print(int(tbs["serialNumber"]), tbs["signature"]["algorithm"].prettyPrint(), len(rest))
for rdn in tbs["subject"]["rdnSequence"]:
    for atv in rdn:
        v, _ = decoder.decode(atv["value"], asn1Spec=rfc5280.X520name() if False else None) if False else (atv["value"], None)
        print(atv["type"].prettyPrint(), bytes(v)[2:].decode())
print(tbs["validity"]["notAfter"]["utcTime"].prettyPrint())
c2, _ = decoder.decode(der, asn1Spec=rfc2459.Certificate())
print(c2["tbsCertificate"]["subjectPublicKeyInfo"]["algorithm"]["algorithm"].prettyPrint())
