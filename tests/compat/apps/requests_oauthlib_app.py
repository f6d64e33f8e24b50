# requests-oauthlib: OAuth1 signing and OAuth2 session token handling with
# pinned nonces/timestamps, against a requests mock adapter.
from unittest import mock
import requests
from requests_oauthlib import OAuth1, OAuth2Session
from requests.adapters import BaseAdapter
class Echo(BaseAdapter):
    def send(self, request, **kw):
        r = requests.Response(); r.status_code = 200; r.request = request
        r._content = b'{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600}'
        r.headers["Content-Type"] = "application/json"; r.url = request.url
        return r
    def close(self): pass
with mock.patch("oauthlib.oauth1.rfc5849.generate_nonce", return_value="NONCE"), \
     mock.patch("oauthlib.oauth1.rfc5849.generate_timestamp", return_value="1700000000"):
    auth = OAuth1("ckey", "csecret", "tkey", "tsecret")
    p = requests.Request("GET", "https://api.test/1/x?a=1", auth=auth).prepare()
    print(p.headers["Authorization"])
s = OAuth2Session("client-id", redirect_uri="https://app/cb", scope=["read"], state="STATE")
url, state = s.authorization_url("https://auth.test/authorize")
print(url, state)
s.mount("https://", Echo())
if True:
    tok = s.fetch_token("https://auth.test/token", client_secret="sec", code="CODE")
print(sorted(tok), tok["access_token"], s.authorized)
r = s.get("https://api.test/me")
print(r.request.headers["Authorization"])
