"""scan_imports: which imports a module's code may perform, and which of
them run when the module is imported (eager) or run as the main program."""

import textwrap
import unittest

import _freeze_tools


def scan(source):
    code = compile(textwrap.dedent(source), "mod.py", "exec", dont_inherit=True)
    return _freeze_tools.scan_imports(code)


class ScanImports(unittest.TestCase):
    def test_statements_with_levels_and_fromlists(self):
        found = scan(
            """
            import json
            from os import path
            from . import sibling
            from ..pkg import thing as alias
            """
        )
        expected = [["json", 0, None], ["os", 0, ["path"]], ["", 1, ["sibling"]], ["pkg", 2, ["thing"]]]
        self.assertEqual(found["imports"], expected)
        self.assertEqual(found["eager_imports"], expected)

    def test_imports_in_functions_are_found_but_not_eager(self):
        found = scan(
            """
            def later():
                import zipfile
            lazy = lambda: __import__("shlex")
            """
        )
        self.assertEqual(found["imports"], [["zipfile", 0, None]])
        self.assertEqual(found["dynamic"], [["shlex", None]])
        self.assertEqual(found["eager_imports"], [])

    def test_class_bodies_run_at_import(self):
        found = scan(
            """
            class Config:
                import csv
                def method(self):
                    import sqlite3
            """
        )
        self.assertEqual(found["eager_imports"], [["csv", 0, None]])
        self.assertEqual(sorted(i[0] for i in found["imports"]), ["csv", "sqlite3"])

    def test_except_handlers_are_fallbacks_not_eager(self):
        found = scan(
            """
            try:
                import _speedups
            except ImportError:
                import slow_fallback
            """
        )
        self.assertEqual(found["imports"], [["_speedups", 0, None], ["slow_fallback", 0, None]])
        self.assertEqual(found["eager_imports"], [["_speedups", 0, None]])

    def test_main_blocks_and_functions_defined_in_them(self):
        found = scan(
            """
            import json
            if __name__ == "__main__":
                import argparse
                def main():
                    import pdb
                importlib.import_module("tomllib")
            """
        )
        self.assertEqual(found["imports"], [["json", 0, None]])
        self.assertEqual(found["main_imports"], [["argparse", 0, None], ["pdb", 0, None]])
        self.assertEqual(found["main_eager_imports"], [["argparse", 0, None]])
        self.assertEqual(found["main_dynamic"], [["tomllib", None]])

    def test_type_checking_blocks_are_imports_but_never_eager(self):
        found = scan(
            """
            import typing
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                import numpy
            if typing.TYPE_CHECKING:
                from pandas import DataFrame
            import csv
            """
        )
        names = [i[0] for i in found["imports"]]
        self.assertIn("numpy", names)
        self.assertIn("pandas", names)
        eager = [i[0] for i in found["eager_imports"]]
        self.assertEqual(eager, ["typing", "typing", "csv"])

    def test_constant_lookups_by_name(self):
        found = scan(
            """
            import importlib, importlib.util, pkgutil
            importlib.import_module(".sub", "pkg")
            importlib.util.find_spec("html.parser")
            pkgutil.resolve_name("email.utils:parseaddr")
            """
        )
        self.assertEqual(
            found["dynamic"],
            [[".sub", "pkg"], ["html.parser", None], ["email.utils", None]],
        )

    def test_computed_names_offer_the_constants_that_name_modules(self):
        found = scan(
            """
            moves = [Moved("configparser", "ConfigParser"), Moved("html.parser", "not a module")]
            def load(move):
                return __import__(move.name)
            """
        )
        self.assertEqual(found["named"], ["ConfigParser", "configparser", "html.parser"])
        self.assertEqual(scan("x = 'configparser'\n")["named"], [])


if __name__ == "__main__":
    unittest.main()
