from setuptools import setup

setup(
    name="eggtool",
    version="0.9",
    packages=["eggtool"],
    entry_points={"console_scripts": ["eggtool = eggtool.cli:main"]},
)
