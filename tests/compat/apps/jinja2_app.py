# Jinja2: templates from a DictLoader and a PackageLoader-free FileSystemLoader,
# inheritance, macros, filters, autoescape, sandbox, compiled bytecode cache.
import os, tempfile
from jinja2 import Environment, DictLoader, FileSystemLoader, select_autoescape, StrictUndefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
env = Environment(loader=DictLoader({
    "base.html": "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
    "page.html": "{% extends 'base.html' %}{% import 'm.html' as m %}{% block title %}{{ t|upper }}{% endblock %}"
                 "{% block body %}{% for x in items|sort %}{{ m.li(x) }}{% endfor %}{{ html }}{% endblock %}",
    "m.html": "{% macro li(x) %}<li>{{ x }}</li>{% endmacro %}"}),
    autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
print(env.get_template("page.html").render(t="hi", items=[3, 1, 2], html="<b>&</b>"))
try:
    env.from_string("{{ nope }}").render()
except UndefinedError as e:
    print("undefined:", e)
d = tempfile.mkdtemp()
with open(os.path.join(d, "f.txt"), "w") as f:
    f.write("{{ '%-5s|' % name }}{{ n|filesizeformat }} {{ d|dictsort }} {{ 'a b c'|wordcount }}")
fenv = Environment(loader=FileSystemLoader(d), trim_blocks=True)
print(fenv.get_template("f.txt").render(name="ab", n=123456789, d={"b": 1, "a": 2}))
print(SandboxedEnvironment().from_string("{{ x.__class__ }}").render(x=1) == "")
print(env.from_string("{% set ns = namespace(c=0) %}{% for i in range(5) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}").render())
