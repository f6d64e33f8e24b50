"""Reads a file added with --add-data, PyInstaller-style (sys._MEIPASS)."""
import os
import sys
import tomllib

base = getattr(sys, "_MEIPASS", os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(base, "extra", "settings.toml"), "rb") as f:
    settings = tomllib.load(f)
print(settings["app"]["name"], settings["app"]["retries"])
