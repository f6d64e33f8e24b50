# certifi: the CA bundle file, used by an ssl context.
import os, ssl
import certifi
p = certifi.where()
print(os.path.basename(p), os.path.isfile(p))
pem = certifi.contents()
print(pem.count("BEGIN CERTIFICATE") > 100)
ctx = ssl.create_default_context(cafile=p)
print(len(ctx.get_ca_certs()) > 100)
