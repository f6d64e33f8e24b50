import os
import sys


def main():
    args = sys.argv[1:]
    print("main() in", __name__, "argv[0]:", os.path.basename(sys.argv[0]), "args:", args)
    print("__main__ is", type(sys.modules["__main__"].__spec__).__name__)
    if args[:1] == ["meta"]:
        from importlib import metadata

        print("version", metadata.version("mytool"), "requires", metadata.requires("mytool"))
        dist = metadata.distribution("mytool")
        for ep in sorted(dist.entry_points, key=lambda e: (e.group, e.name)):
            print("entry point", ep.group, ep.name, ep.value)
        (plugin,) = metadata.entry_points(group="mytool.plugins", name="upper")
        print("plugin", plugin.load()("loaded"))
    if args[:1] == ["raise"]:
        raise ValueError("boom " + " ".join(args[1:]))
    if args[:1] == ["exit"]:
        return int(args[1])
    if args[:1] == ["str"]:
        return "failed: " + args[1]
    return None


class App:
    @staticmethod
    def run():
        print("App.run in", __name__)
        return 3


if __name__ == "__main__":
    print("the __main__ guard of mytool.cli ran")
    sys.exit(99)
