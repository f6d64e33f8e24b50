import math

from joblib import Parallel, delayed

if __name__ == "__main__":
    # loky (the default backend) starts workers by running sys.executable
    # with -m and its worker module, and a resource tracker with -c.
    print(Parallel(n_jobs=2)(delayed(math.sqrt)(i * i) for i in range(5)))
    print(Parallel(n_jobs=2, backend="multiprocessing")(delayed(math.factorial)(i) for i in range(5)))
