# tqdm: progress bars written to a buffer with a fixed format, trange,
# tqdm.contrib helpers, pandas-free.
import io
from tqdm import tqdm, trange
from tqdm.contrib import tenumerate, tzip
buf = io.StringIO()
total = 0
for i in tqdm(range(50), file=buf, bar_format="{l_bar}{bar:10}| {n_fmt}/{total_fmt}", mininterval=0, miniters=1, ascii=True):
    total += i
print(total, buf.getvalue().split("\r")[-1])
buf = io.StringIO()
for _ in trange(3, file=buf, desc="t", bar_format="{desc}:{n}/{total}", mininterval=0):
    pass
print(repr(buf.getvalue().split("\r")[-1]))
print([x for x in tenumerate("ab", file=io.StringIO())], list(tzip([1], [2], file=io.StringIO())))
print(tqdm.format_sizeof(123456789), tqdm.format_interval(3725))
with tqdm(total=100, file=io.StringIO(), disable=True) as p:
    p.update(10)
    print(p.n)
