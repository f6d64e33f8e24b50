import sys
from importlib import metadata


def main():
    print("hatchtool", metadata.version("hatchtool"), "from", __name__)
    return len(sys.argv) - 1
