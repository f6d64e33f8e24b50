"""Loads its plugins through entry points, and what it requires by names
it computes, as sphinx loads its builders, themes and sphinxcontrib.*."""

import importlib
from importlib.metadata import entry_points


def plugins():
    return sorted(ep.load()() for ep in entry_points(group="hostlib.plugins"))


def style(name):
    return importlib.import_module(".".join(["themepack", "styles", name])).NAME


def extension(name):
    return importlib.import_module("nsx." + name).WHAT
