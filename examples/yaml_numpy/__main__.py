"""Reads a YAML config with PyYAML's C loader, computes with numpy, escapes with markupsafe."""
import markupsafe
import numpy as np
import yaml

CONFIG = """
name: <matrix & stats>
seed: 7
size: 4
weights: [0.5, 1.5, 2.0, -1.0]
"""


def main():
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    cfg = yaml.load(CONFIG, Loader=loader)
    rng = np.random.default_rng(cfg["seed"])
    m = rng.integers(0, 10, size=(cfg["size"], cfg["size"])).astype(float)
    w = np.array(cfg["weights"])
    print("title:", markupsafe.escape(cfg["name"]))
    print("C loader:", loader.__name__, "speedups:", markupsafe.escape.__module__)
    print("matrix:\n", m)
    print("m @ w:", m @ w)
    print("det: %.3f" % np.linalg.det(m))
    print("mean/std: %.3f %.3f" % (m.mean(), m.std()))
    print(yaml.dump({"result": (m @ w).tolist()}, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)), end="")


if __name__ == "__main__":
    main()
