"""A banner tool on pyfiglet and pkg_resources: fonts and templates read as
package resources, banner plugins found by entry point. The first argument
picks the scenario."""
import os
import sys

import pkg_resources
import pyfiglet

import pkgres_demo


def figlet():
    print(pyfiglet.figlet_format("Hi", font="slant"), end="")
    print(len(pyfiglet.FigletFont.getFonts()), "fonts")


def listing(package, resource):
    # __pycache__ exists only under python (the venv's compiled modules).
    return sorted(n for n in pkg_resources.resource_listdir(package, resource) if n != "__pycache__")


def resources():
    pr = pkg_resources
    # What pyfiglet 0.8 (the last release on pkg_resources) does to load a font.
    print(pr.resource_exists("pyfiglet.fonts", "slant.flf"), pr.resource_exists("pyfiglet.fonts", "nope.flf"))
    print(pr.resource_string("pyfiglet.fonts", "slant.flf").splitlines()[0])
    with pr.resource_stream("pyfiglet.fonts", "standard.flf") as stream:
        print(type(stream).__name__, stream.readline())
    fonts = listing("pyfiglet", "fonts")
    print(len(fonts), [n for n in fonts if not n.endswith((".flf", ".tlf"))])
    print(pr.resource_isdir("pyfiglet", "fonts"), pr.resource_isdir("pyfiglet", "fonts/slant.flf"), pr.resource_isdir("pyfiglet", "nope"))
    print(isinstance(pr.get_provider("pyfiglet"), pr.ZipProvider), isinstance(pr.get_provider("pyfiglet"), pr.NullProvider))
    font = pr.resource_filename("pyfiglet", "fonts/slant.flf")
    with open(font, "rb") as f:
        print(os.path.basename(font), f.read() == pr.resource_string("pyfiglet", "fonts/slant.flf"))
    fonts_dir = pr.resource_filename("pyfiglet.fonts", "")
    print(os.path.isdir(fonts_dir), os.path.isfile(os.path.join(fonts_dir, "standard.flf")))
    # Modules are resources of their package as well.
    print(pr.resource_exists("pyfiglet", "version.py"), pr.resource_isdir("pyfiglet", "version.py"))
    print(pr.resource_string("pyfiglet", "version.py"))

    print(listing("pkgres_demo", ""), listing("pkgres_demo", "templates"), listing("pkgres_demo", "templates/nested"))
    print(pr.resource_string("pkgres_demo", "templates/greeting.txt"))
    with pr.resource_stream("pkgres_demo", "templates/nested/deep.txt") as stream:
        print(type(stream).__name__, stream.read())
    with pr.resource_stream("pkgres_demo", "banners.py") as stream:
        print(stream.readline())
    greeting = pr.resource_filename("pkgres_demo", "templates/greeting.txt")
    print(os.path.isfile(greeting), open(greeting).read(), end="")
    # By requirement: the distribution is the provider, paths from its root.
    requirement = pr.Requirement.parse("pkgres-demo")
    print(pr.resource_exists(requirement, "pkgres_demo/templates/greeting.txt"), pr.resource_isdir(requirement, "pkgres_demo"))
    print(pr.resource_string(requirement, "pkgres_demo/templates/nested/deep.txt"))
    print(os.path.isfile(pr.resource_filename(requirement, "pkgres_demo/templates/greeting.txt")))
    # Failures, worded as the filesystem's.
    for call, args in [
        (pr.resource_string, ("pkgres_demo", "missing.txt")),
        (pr.resource_string, ("pkgres_demo", "templates")),
        (pr.resource_stream, ("pkgres_demo", "missing.txt")),
        (pr.resource_listdir, ("pkgres_demo", "missing")),
        (pr.resource_listdir, ("pkgres_demo", "templates/greeting.txt")),
    ]:
        try:
            call(*args)
        except OSError as e:
            print(call.__name__, type(e).__name__, e)


def distributions():
    pr = pkg_resources
    for name in ("setuptools", "pyfiglet", "pkgres-demo", "PKGRES_demo"):
        dist = pr.get_distribution(name)
        print(dist, dist.project_name, dist.version, dist.key, dist.precedence)
    demo = pr.get_distribution("pkgres-demo")
    print(demo.requires(), demo.has_metadata("entry_points.txt"), demo.has_metadata("nope.txt"))
    print(sorted(demo.get_entry_map()), demo.get_entry_info("console_scripts", "pkgres-demo"))
    print(next(demo.get_metadata_lines("top_level.txt")))
    print(os.path.isfile(os.path.join(demo.location, "pkgres_demo", "templates", "greeting.txt")))
    print([str(ep) for ep in pr.iter_entry_points("console_scripts", "pyfiglet")])
    for ep in sorted(pr.iter_entry_points("pkgres_demo.banners"), key=lambda ep: ep.name):
        print(ep.name, ep.module_name, ep.attrs, ep.dist)
        print(ep.load()("freeze"), end="")
    print(pr.load_entry_point("pkgres-demo", "console_scripts", "pkgres-demo") is pkgres_demo.main)
    print([str(d) for d in pr.require("pkgres-demo")])
    print([str(d) for d in pr.require("pyfiglet==1.0.4", "setuptools")])
    for requirement in ("pyfiglet>=2", "no-such-dist", "packaging"):
        try:
            print(requirement, "->", [str(d) for d in pr.require(requirement)])
        except pr.ResolutionError as e:
            print(requirement, "->", type(e).__name__, e.report())
    print(pr.working_set.find(pr.Requirement.parse("pyfiglet")), [str(d) for d in pr.Environment()["pyfiglet"]])


if __name__ == "__main__":
    {f.__name__: f for f in [figlet, resources, distributions]}[sys.argv[1]]()
