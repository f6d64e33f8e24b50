# google-auth: service-account credentials from a generated key, signed
# JWTs verified with the public cert, id-token helpers, transport adapters.
import datetime, json
from unittest import mock
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization, hashes
from cryptography import x509
from cryptography.x509.oid import NameOID
import google.auth
from google.auth import jwt, crypt
from google.oauth2 import service_account
import google.auth.transport.requests
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()).decode()
info = {"type": "service_account", "project_id": "demo", "private_key_id": "kid1",
        "private_key": pem, "client_email": "sa@demo.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}
creds = service_account.Credentials.from_service_account_info(info, scopes=["https://www.googleapis.com/auth/cloud-platform"])
print(creds.service_account_email, creds.project_id, creds.requires_scopes, creds.valid)
signer = crypt.RSASigner.from_service_account_info(info)
now = 1700000000
token = jwt.encode(signer, {"iss": "me", "aud": "you", "iat": now, "exp": now + 3600})
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2040, 1, 1)).sign(key, hashes.SHA256()))
certs = {"kid1": cert.public_bytes(serialization.Encoding.PEM).decode()}
with mock.patch("google.auth._helpers.utcnow", return_value=datetime.datetime(2023, 11, 14, 22, 30)):
    print(jwt.decode(token, certs=certs, audience="you"))
print(jwt.decode_header(token))
jc = jwt.Credentials.from_service_account_info(info, audience="https://svc")
print(type(jc).__name__, jc.signer_email)
print(type(google.auth.transport.requests.Request()).__name__)
try:
    google.auth.default()
except google.auth.exceptions.DefaultCredentialsError as e:
    print("no default credentials")
