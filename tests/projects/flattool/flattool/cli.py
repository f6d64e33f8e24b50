import sys
from importlib import metadata


def main():
    print("flattool", metadata.version("flattool"), "from", __name__)
    if sys.argv[1:] == ["raise"]:
        raise RuntimeError("flat failure")
