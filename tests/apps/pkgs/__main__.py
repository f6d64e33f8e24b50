"""Third-party packages from PyPI, used the way real apps use them; the first
argument picks the scenario so one frozen executable covers all of them."""
import sys


def rich_table():
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Planets")
    table.add_column("Name")
    table.add_column("Moons", justify="right")
    for name, moons in [("Earth", 1), ("Mars", 2), ("Jupiter", 95)]:
        table.add_row(name, str(moons))
    Console(file=sys.stdout, width=60, force_terminal=False).print(table)


def pygments_highlight():
    from pygments import highlight
    from pygments.formatters import get_formatter_by_name
    from pygments.lexers import get_lexer_by_name

    code = "def f(x):\n    return x * 2  # double\n"
    print(highlight(code, get_lexer_by_name("python"), get_formatter_by_name("html")))
    print(highlight("SELECT 1;", get_lexer_by_name("sql"), get_formatter_by_name("terminal256")))


def click_cli():
    import click

    @click.command()
    @click.option("--count", default=1, help="Number of greetings.")
    @click.argument("name")
    def hello(count, name):
        """Greets NAME."""
        for _ in range(count):
            click.echo(f"Hello {name}!")

    hello.main(args=sys.argv[2:], prog_name="hello", standalone_mode=True)


def docutils_html():
    from docutils.core import publish_string

    rst = "Title\n=====\n\nSome *emphasis* and a list:\n\n- one\n- two\n"
    html = publish_string(rst, writer_name="html", settings_overrides={"embed_stylesheet": True, "output_encoding": "unicode"})
    print(html.count("<style"), "stylesheet(s) embedded;", len(html) > 5000, "<em>emphasis</em>" in html)


def figlet():
    import pyfiglet

    print(pyfiglet.figlet_format("freeze", font="slant"))


def certifi_bundle():
    import certifi

    with open(certifi.where()) as f:
        print("certificates:", f.read().count("BEGIN CERTIFICATE") > 100)


def tz():
    import datetime
    import zoneinfo

    paris = zoneinfo.ZoneInfo("Europe/Paris")
    print(datetime.datetime(2024, 7, 1, 12, tzinfo=paris).utcoffset(), paris.key)


def metadata():
    import importlib.metadata as md

    print(md.version("rich"), md.version("pygments"), md.metadata("click")["Name"])
    print(sorted(ep.name for ep in md.entry_points(group="console_scripts") if ep.name.startswith("pyg")))
    print(md.packages_distributions()["yaml"], "rich" in {d.metadata["Name"] for d in md.distributions()})
    # A RECORD entry's locate() is a path python can stat and read (3.12's
    # Distribution.files keeps only those that exist()).
    init = next(f for f in md.files("rich") if str(f) == "rich/__init__.py")
    print(init.locate().exists(), init.locate().is_file(), init.read_text().count("\n") > 10)
    print(all(f.locate().exists() for f in md.files("rich") if f.suffix == ".py"))


def resources():
    import importlib.resources as res
    import pkgutil

    files = res.files("pyfiglet.fonts")
    print(files.joinpath("slant.flf").is_file(), files.joinpath("slant.flf").read_text().splitlines()[0][:10])
    print(any(p.name == "standard.flf" for p in files.iterdir()))
    with res.as_file(res.files("certifi") / "cacert.pem") as p:
        print("as_file", p.name, p.stat().st_size > 100000)
    print(len(pkgutil.get_data("certifi", "cacert.pem")) > 100000)


def native():
    import markupsafe
    import msgpack
    import numpy
    import yaml

    print(markupsafe.escape("<b>&</b>"), markupsafe._speedups.__name__)
    print(yaml.__with_libyaml__, yaml.dump(yaml.load("a: [1, 2]", Loader=yaml.CLoader)), end="")
    print(msgpack.unpackb(msgpack.packb({"x": [1, 2.5, "s"]})), msgpack.Packer.__module__)
    a = numpy.arange(9.0).reshape(3, 3)
    print(a @ a.T, numpy.linalg.det(numpy.eye(3)))


SCENARIOS = {f.__name__: f for f in [rich_table, pygments_highlight, click_cli, docutils_html, figlet,
                                      certifi_bundle, tz, metadata, resources, native]}



def namespace():
    import importlib.metadata as md

    import nsdemo.alpha
    import nsdemo.beta
    import nsdemo.gamma

    print(nsdemo.alpha.hello(), nsdemo.beta.hello(), nsdemo.gamma.hello(), sep="; ")
    print(md.version("nsdemo-alpha"), md.version("nsdemo_beta"))
    print(sorted((ep.name, ep.load()()) for ep in md.entry_points(group="nsdemo.plugins")))
    print(type(nsdemo.__path__).__name__, nsdemo.__file__)


def memory_maps():
    """Native code comes from memory files, none from the venv or the stdlib."""
    import _decimal  # stdlib extension + libmpdec
    import numpy  # noqa: F401  (numpy.libs/libopenblas)
    import yaml  # noqa: F401

    maps = open("/proc/self/maps").read().splitlines()
    paths = {line.split(None, 5)[5] for line in maps if len(line.split(None, 5)) == 6}
    # A memory file is named after the virtual path of what it holds.
    print("memfd openblas:", any(p.startswith("/memfd:") and "/numpy.libs/libopenblas" in p for p in paths))
    print("memfd _decimal:", "/memfd:%s (deleted)" % _decimal.__file__ in paths)
    print("from venv or stdlib:", sorted(p for p in paths if "site-packages" in p or "python3.11" in p))


SCENARIOS.update(namespace=namespace, memory_maps=memory_maps)



def ctypes_bundled():
    """ctypes loads a wheel's bundled library by name and by path."""
    import ctypes
    import os

    import numpy

    libs = os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs")
    name = sorted(n for n in os.listdir(libs) if n.startswith("libopenblas"))[0] if os.path.isdir(libs) else None
    if name is None:  # frozen: the library lives in the bundle, not in a directory
        import _freeze

        name = [p for p in _freeze.files_under("numpy.libs") if "libopenblas" in p][0].rpartition("/")[2]
    by_name = ctypes.CDLL(name)
    by_path = ctypes.CDLL(os.path.join(os.path.dirname(numpy.__file__), os.pardir, "numpy.libs", name))
    print(hasattr(by_name, "openblas_get_num_threads64_"), hasattr(by_path, "openblas_get_num_threads64_"))


def pkg_resources_api():
    import warnings

    warnings.simplefilter("ignore")
    import pkg_resources

    print(pkg_resources.resource_string("pyfiglet.fonts", "slant.flf")[:10])
    path = pkg_resources.resource_filename("certifi", "cacert.pem")
    print(os.path.basename(path), os.path.isfile(path))


import os  # noqa: E402

SCENARIOS.update(ctypes_bundled=ctypes_bundled, pkg_resources_api=pkg_resources_api)

if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
