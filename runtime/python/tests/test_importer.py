"""The bundle importer's lookups and its Traversable, on the stdlib archive
the freeze tool's interpreter serves (the same importer as a frozen app's)."""

import importlib.resources
import unittest

import _freeze
import _freeze_importer as importer


class Lookups(unittest.TestCase):
    def test_find_gives_the_kind_and_the_path_below_the_root(self):
        self.assertEqual(_freeze.find("json"), (_freeze.PACKAGE, "json/__init__.py"))
        self.assertEqual(_freeze.find("json.decoder"), (_freeze.MODULE, "json/decoder.py"))
        self.assertIsNone(_freeze.find("no_such_module_anywhere"))

    def test_kind_codes_are_distinct(self):
        kinds = {_freeze.MODULE, _freeze.PACKAGE, _freeze.NAMESPACE, _freeze.EXTENSION}
        self.assertEqual(len(kinds), 4)

    def test_an_extension_is_a_package_when_its_file_is_an_init(self):
        so = _freeze.EXTENSION_SUFFIXES[0]
        self.assertTrue(importer._is_package(_freeze.EXTENSION, "black/__init__" + so))
        self.assertFalse(importer._is_package(_freeze.EXTENSION, "black/linegen" + so))
        self.assertFalse(importer._is_package(_freeze.EXTENSION, "__init__x/mod" + so))
        self.assertTrue(importer._is_package(_freeze.PACKAGE, "json/__init__.py"))
        self.assertTrue(importer._is_package(_freeze.NAMESPACE, "ns"))
        self.assertFalse(importer._is_package(_freeze.MODULE, "json/decoder.py"))

    def test_module_for_path(self):
        self.assertEqual(importer._module_for_path("json/decoder.py"), "json.decoder")
        self.assertEqual(importer._module_for_path("json/__init__.py"), "json")
        self.assertIsNone(importer._module_for_path("json/missing.py"))
        self.assertIsNone(importer._module_for_path("json/decoder.txt"))
        self.assertIsNone(importer._module_for_path("decoder.py"))

    def test_relative_takes_only_paths_below_the_root(self):
        root = importer.ROOT
        self.assertEqual(importer._relative(root), "")
        self.assertEqual(importer._relative(root + "/json/decoder.py"), "json/decoder.py")
        self.assertIsNone(importer._relative(root + "x/json"))
        self.assertIsNone(importer._relative("/elsewhere/json"))

    def test_modules_carry_virtual_paths(self):
        import json.decoder

        self.assertEqual(json.decoder.__file__, importer.ROOT + "/json/decoder.py")
        self.assertEqual(list(json.__path__), [importer.ROOT + "/json"])


class Traversable(unittest.TestCase):
    def test_a_package_lists_its_modules_and_subpackages(self):
        files = importlib.resources.files("email")
        self.assertEqual(type(files).__name__, "BundleTraversable")
        names = {entry.name for entry in files.iterdir()}
        self.assertLessEqual({"__init__.py", "utils.py", "mime"}, names)
        self.assertTrue(files.joinpath("mime").is_dir())
        self.assertFalse(files.joinpath("mime").is_file())
        self.assertTrue(files.joinpath("utils.py").is_file())
        self.assertEqual(files.joinpath("mime", "text.py").name, "text.py")
        self.assertTrue((files / "mime" / "text.py").is_file())

    def test_module_files_read_their_source(self):
        decoder = importlib.resources.files("json").joinpath("decoder.py")
        self.assertIn(b"class JSONDecoder", decoder.read_bytes())
        self.assertIn("class JSONDecoder", decoder.read_text(encoding="utf-8"))

    def test_missing_entries(self):
        missing = importlib.resources.files("json").joinpath("missing.txt")
        self.assertFalse(missing.is_file())
        self.assertFalse(missing.is_dir())
        with self.assertRaises(FileNotFoundError):
            missing.read_bytes()


if __name__ == "__main__":
    unittest.main()
