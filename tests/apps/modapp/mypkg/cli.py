import sys

from . import GREETING
from .util import shout


def main():
    print(shout(GREETING), __name__, __spec__.name, __package__)
    if "--raise" in sys.argv:
        raise LookupError("cli failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
