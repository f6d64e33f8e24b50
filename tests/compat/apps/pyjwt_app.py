# PyJWT: HS256 and RS256/ES256 (cryptography) tokens with fixed claims,
# verification errors, headers, JWK.
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa, ec
from cryptography.hazmat.primitives import serialization
claims = {"sub": "user1", "iat": 1700000000, "exp": 4102444800, "aud": "svc"}
t = jwt.encode(claims, "secret", algorithm="HS256", headers={"kid": "k1"})
print(t)
print(jwt.decode(t, "secret", algorithms=["HS256"], audience="svc"))
print(jwt.get_unverified_header(t))
try:
    jwt.decode(t, "wrong", algorithms=["HS256"], audience="svc")
except jwt.InvalidSignatureError as e:
    print("invalid:", e)
try:
    jwt.decode(jwt.encode({"exp": 1}, "k", algorithm="HS256"), "k", algorithms=["HS256"])
except jwt.ExpiredSignatureError as e:
    print("expired:", e)
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rt = jwt.encode(claims, key, algorithm="RS256")
print(jwt.decode(rt, key.public_key(), algorithms=["RS256"], audience="svc")["sub"])
ek = ec.generate_private_key(ec.SECP256R1())
et = jwt.encode(claims, ek, algorithm="ES256")
print(jwt.decode(et, ek.public_key(), algorithms=["ES256"], audience="svc")["sub"])
jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
print(sorted(jwk), jwk["kty"])
print(sorted(jwt.algorithms.get_default_algorithms()))
