# pyparsing: a grammar for arithmetic with infix_notation, parse actions,
# common expressions, packrat.
import pyparsing as pp
pp.ParserElement.enable_packrat()
integer = pp.pyparsing_common.number
ident = pp.Word(pp.alphas, pp.alphanums + "_")
expr = pp.infix_notation(integer | ident, [(pp.one_of("* /"), 2, pp.OpAssoc.LEFT), (pp.one_of("+ -"), 2, pp.OpAssoc.LEFT)])
print(expr.parse_string("1 + 2 * x - 4 / 2").as_list())
kv = pp.Dict(pp.Group(ident + pp.Suppress("=") + (pp.QuotedString('"') | integer))[1, ...])
r = kv.parse_string('name="demo" count=3 ratio=1.5')
print(r.as_dict())
date = pp.pyparsing_common.iso8601_date.set_parse_action(pp.pyparsing_common.convert_to_date())
print(date.parse_string("2024-02-29")[0])
try:
    integer.parse_string("abc")
except pp.ParseException as e:
    print("ParseException", e.loc, e.msg)
print(pp.pyparsing_common.ipv4_address.search_string("a 10.0.0.1 b 192.168.1.255").as_list())
print(pp.__version__)
