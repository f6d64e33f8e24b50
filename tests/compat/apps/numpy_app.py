# numpy: arrays, linalg (OpenBLAS), fft, random with a fixed seed,
# structured dtypes, .npy round trip, einsum.
import io
import numpy as np
np.set_printoptions(precision=6, suppress=True)
a = np.arange(12, dtype=np.float64).reshape(3, 4)
print(a.sum(axis=0), a.mean(), a.T @ a)
m = np.array([[4.0, 2.0], [1.0, 3.0]])
print(np.linalg.det(m).round(6), np.linalg.inv(m), np.sort(np.linalg.eigvals(m)))
print(np.linalg.solve(m, [1.0, 2.0]), np.linalg.svd(m)[1])
print(np.abs(np.fft.fft(np.sin(np.linspace(0, 2 * np.pi, 8, endpoint=False)))).round(6))
rng = np.random.default_rng(12345)
print(rng.integers(0, 100, 5), rng.normal(size=3).round(6))
dt = np.dtype([("name", "U10"), ("age", "i4"), ("w", "f8")])
s = np.array([("ann", 30, 55.5), ("bob", 25, 80.0)], dtype=dt)
print(np.sort(s, order="age"), s["w"].max())
buf = io.BytesIO()
np.save(buf, a)
buf.seek(0)
print(np.array_equal(np.load(buf), a))
print(np.einsum("ij,ij->i", a, a), np.__version__)
print(np.unique([3, 1, 2, 3, 1], return_counts=True))
print(np.datetime64("2024-01-31") + np.timedelta64(1, "D"), np.float16(1) / 3)
