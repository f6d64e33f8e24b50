# pyasn1: ASN.1 types, DER/BER encode/decode.
from pyasn1.type import univ, namedtype, char, tag
from pyasn1.codec.der import encoder, decoder
from pyasn1.codec.ber import decoder as berdec
class Rec(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("id", univ.Integer()),
        namedtype.NamedType("name", char.UTF8String()),
        namedtype.OptionalNamedType("oid", univ.ObjectIdentifier()),
        namedtype.NamedType("flags", univ.SequenceOf(componentType=univ.Boolean())))
r = Rec()
r["id"] = 123456789; r["name"] = "héllo"; r["oid"] = (1, 2, 840, 113549, 1, 1, 11)
r["flags"].extend([True, False])
der = encoder.encode(r)
print(der.hex())
back, rest = decoder.decode(der, asn1Spec=Rec())
print(int(back["id"]), str(back["name"]), back["oid"].prettyPrint(), [bool(x) for x in back["flags"]], rest)
print(back.prettyPrint())
anyv, _ = berdec.decode(der)
print(type(anyv).__name__, len(anyv))
