import importlib
import pkgutil
import threading


def run_threads():
    results = [0] * 8
    lock = threading.Lock()

    def work(i):
        total = sum(range(i * 10000))
        with lock:
            results[i] = total

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("threads done", sum(results))


def thread_error():
    def boom():
        raise ZeroDivisionError("in a thread")

    t = threading.Thread(target=boom, name="worker")
    t.start()
    t.join()
    print("main continues")


def show_modules():
    import behave_pkg

    print("VALUE", behave_pkg.VALUE)
    print(sorted(m.name for m in pkgutil.iter_modules(behave_pkg.__path__)))
    print(sorted(m.name for m in pkgutil.iter_modules(behave_pkg.sub.__path__)))
    print(sorted(m.name for m in pkgutil.walk_packages(behave_pkg.__path__, "behave_pkg.")))
    from behave_pkg.plain import mod as plain

    print(plain.WHERE)
    mod = importlib.import_module("behave_pkg.constants")
    print("dynamic", mod.BASE)
    print("loader", type(behave_pkg.__loader__).__name__ in ("SourceFileLoader", "BundleImporter"))
