"""threadpoolctl finds and limits numpy's bundled OpenBLAS."""
import os

import numpy
from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits


def summary(info):
    # On Linux threadpoolctl lists the files /proc/self/maps shows, where the
    # kernel names a memory file "/memfd:<name> (deleted)".
    return sorted(
        (
            i["user_api"],
            i["internal_api"],
            i["prefix"],
            os.path.basename(i["filepath"]).removesuffix(" (deleted)"),
            i["version"],
            i.get("threading_layer"),
        )
        for i in info
    )


print(summary(threadpool_info()))
# What threadpoolctl did before 3.7, and still does on other Unixes: walk
# the loaded objects with dl_iterate_phdr and dlopen each by the name it
# gives, with RTLD_NOLOAD.
walker = ThreadpoolController._from_controllers([])
walker._find_libraries_with_dl_iterate_phdr()
print(summary(walker.info()))
with threadpool_limits(1):
    print([i["num_threads"] for i in threadpool_info()])
    a = numpy.arange(16.0).reshape(4, 4)
    print((a @ a).sum())
print(len(threadpool_info()))
