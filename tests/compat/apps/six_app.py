# six: the moved-modules meta path importer and helpers.
import six
from six.moves import urllib, configparser, queue, range as srange
from six.moves.urllib.parse import urlencode, quote
import six.moves.http_client as hc
print(six.PY3, six.string_types, six.integer_types)
print(urlencode({"a": 1, "b": "x y"}), quote("a/b c"))
print(configparser.ConfigParser.__module__, queue.Queue.__name__, list(srange(3)))
print(hc.OK, urllib.request.Request.__module__)

class Meta(type):
    pass
@six.add_metaclass(Meta)
class C(object):
    pass
print(type(C).__name__, six.ensure_text(b"caf\xc3\xa9"), six.ensure_binary("x"))
print(list(six.iteritems({"k": 1})), six.b("bytes"), six.u("text"))
try:
    six.raise_from(ValueError("outer"), KeyError("inner"))
except ValueError as e:
    print(repr(e), repr(e.__cause__))
