import sys
from importlib import metadata


def main():
    print("eggtool", metadata.version("eggtool"), "from", __name__, sys.argv[1:])
    return 5
