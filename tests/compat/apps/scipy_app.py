# SciPy: linalg (LAPACK), sparse, optimize, integrate, interpolate, signal,
# stats, fft, special, spatial (C/Fortran/Cython extensions + bundled libs).
import numpy as np
np.set_printoptions(precision=6, suppress=True)
from scipy import linalg, sparse, optimize, integrate, interpolate, signal, stats, fft, special, spatial
from scipy.sparse.linalg import spsolve
a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]])
print(linalg.det(a).round(6), linalg.eigh(a)[0], linalg.cholesky(a)[0])
lu, piv = linalg.lu_factor(a); print(linalg.lu_solve((lu, piv), [1.0, 2.0, 3.0]))
m = sparse.csr_matrix(a)
print(m.nnz, spsolve(m.tocsc(), np.array([1.0, 2.0, 3.0])))
res = optimize.minimize(lambda x: (x[0] - 1) ** 2 + (x[1] + 2) ** 2, [0, 0], method="BFGS")
print(res.x.round(4), res.success, round(optimize.brentq(lambda x: x ** 3 - 2, 0, 2), 8))
print(round(integrate.quad(np.sin, 0, np.pi)[0], 8), integrate.solve_ivp(lambda t, y: -y, [0, 1], [1.0]).y[0, -1].round(4))
f = interpolate.CubicSpline([0, 1, 2, 3], [0, 1, 8, 27]); print(f(1.5).round(6))
b, a2 = signal.butter(3, 0.2); print(b.round(6), signal.lfilter(b, a2, np.ones(5)).round(6))
print(stats.norm.cdf(1.96).round(6), round(float(stats.ttest_ind([1, 2, 3, 4], [2, 3, 4, 5.5]).pvalue), 6), stats.describe([1, 2, 3, 4]).variance)
print(np.abs(fft.rfft([0, 1, 0, -1])).round(6), special.gamma(5.5).round(6), special.erf(0.5).round(8))
tree = spatial.KDTree(np.array([[0, 0], [1, 1], [2, 2.0]])); print(tree.query([0.9, 1.2]))
print(spatial.distance.cdist([[0, 0]], [[3, 4]])[0], spatial.ConvexHull(np.array([[0, 0], [1, 0], [0, 1], [0.2, 0.2]])).vertices)
import scipy; print(scipy.__version__)
