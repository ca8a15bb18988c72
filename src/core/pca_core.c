/*-------------------------------------------------------------------------
 *
 * pca_core.c
 *	  Principal component analysis with scikit-learn's semantics
 *	  (PCA(svd_solver='full')).
 *
 * PCA.  The n x d matrix is centred on its column means (moments_core.c), then
 * factored by LAPACK's dgesdd (divide and conquer SVD, the routine behind
 * scipy.linalg.svd): X_c = U S Vt, no eigen-solver of our own.  The row-major
 * buffer is handed to LAPACK as the column-major d x n matrix A = X_c^T, so no copy
 * is made: A = U_A S VT_A gives X_c's U = VT_A^T and Vt = U_A^T.  With JOBZ = 'O' the
 * larger factor overwrites A: for d < n that is VT_A, so the buffer then holds U
 * row-major (n x d); for d >= n it is U_A (the components) and U comes in a separate
 * n x n array.  Signs follow scikit-learn 1.2's svd_flip with u_based_decision: in
 * each column of U the entry of largest magnitude (the first of ties) is made
 * positive, the component's row of Vt flipped with it.  explained_variance_ =
 * S^2 / (n - 1), the ratio over the sum of all min(n, d) of them, coordinates U S
 * (fit_transform), or U sqrt(n - 1) when whitened.
 *
 * Threads: OpenBLAS, when it is the BLAS, is kept to one thread
 * (openblas_set_num_threads(1), looked up as a weak symbol so another BLAS links
 * too): a backend is one process among many, and the core's results must not
 * depend on a thread count.
 *
 * Complexity O(n d min(n, d)) time; memory the matrix itself (overwritten), d x d
 * (or n x n) for the other factor, and LAPACK's workspace as its query asks for
 * (O(d^2 + n) beyond the factors for n >> d).  Interrupts are checked before and
 * after the factorization and every US_CHECK_EVERY rows around it; dgesdd itself
 * cannot be interrupted (about a second for a million rows of 20 columns).
 * LAPACK counts in int: n d below 2^31 (US_PCA_TOO_LARGE otherwise).
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* LAPACK's divide and conquer SVD (Fortran; only cblas.h is installed) */
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
					const int *lda, double *s, double *u, const int *ldu, double *vt,
					const int *ldvt, double *work, const int *lwork, int *iwork,
					int *info);

/* OpenBLAS's thread count, when OpenBLAS is the BLAS */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));

/* Sign of the largest magnitude in column c of U (row stride r), as svd_flip */
static double
PcaFlipSign(const double *u, int64_t n, int r, int c)
{
	double		best = -1.0;
	double		v = 0.0;

	for (int64_t i = 0; i < n; i++)
	{
		double		a = fabs(u[i * r + c]);

		if (a > best)
		{
			best = a;
			v = u[i * r + c];
		}
	}
	/* np.sign(0) is 0: a zero column stays as LAPACK gave it */
	return v < 0 ? -1.0 : 1.0;
}

int
UsPca(const UsCore *core, UsMatrix *m, int k, bool whiten, bool want_coords,
	  UsPcaResult *res)
{
	int64_t		n = m->n;
	int			d = m->d;
	int			r;
	int			in;
	int			lwork = -1;
	int			info = 0;
	int			one = 1;
	double		wq = 0.0;
	double	   *s;
	double	   *other;			/* U_A (d x d) when d < n, else VT_A (n x n) */
	double	   *work;
	int		   *iwork;
	const double *comp;			/* row c of Vt at comp + c * d */
	const double *u;			/* U row-major, row stride r */
	double		total = 0.0;
	UsMoments	mo = {0};

	memset(res, 0, sizeof(*res));
	/* LAPACK indexes the matrix and its factors in int */
	if (n > INT_MAX || (int64_t) d * n > INT_MAX)
		return US_PCA_TOO_LARGE;
	in = (int) n;
	r = in < d ? in : d;
	if (k < 1 || k > r || n < 2)
		return US_PCA_BAD_ARGUMENT;
	if (openblas_set_num_threads)
		openblas_set_num_threads(1);

	/* centre */
	res->mean = UsAlloc(core, sizeof(double) * (size_t) d);
	mo.mean = res->mean;
	UsColumnMoments(core, m, false, &mo);
	for (int64_t i = 0; i < n; i++)
	{
		double	   *row = m->x + i * d;

		for (int j = 0; j < d; j++)
			row[j] -= res->mean[j];
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}

	/* factor: workspace query, then the SVD of A = X_c^T (d x n, lda = d) */
	s = UsAlloc(core, sizeof(double) * (size_t) r);
	other = UsAlloc(core, sizeof(double) * (size_t) (d < in ? d : in) * (size_t) (d < in ? d : in));
	iwork = UsAlloc(core, sizeof(int) * 8 * (size_t) r);
	if (d < in)
		dgesdd_("O", &d, &in, m->x, &d, s, other, &d, NULL, &one, &wq, &lwork, iwork, &info);
	else
		dgesdd_("O", &d, &in, m->x, &d, s, NULL, &one, other, &in, &wq, &lwork, iwork, &info);
	if (info != 0)
		return info;
	if (!(wq < (double) INT_MAX))
		return US_PCA_TOO_LARGE;
	lwork = (int) wq;
	work = UsAlloc(core, sizeof(double) * (size_t) (lwork > 1 ? lwork : 1));
	UsCheck(core);
	if (d < in)
	{
		dgesdd_("O", &d, &in, m->x, &d, s, other, &d, NULL, &one, work, &lwork, iwork, &info);
		comp = other;
		u = m->x;
	}
	else
	{
		dgesdd_("O", &d, &in, m->x, &d, s, NULL, &one, other, &in, work, &lwork, iwork, &info);
		comp = m->x;
		u = other;
	}
	UsFree(core, work);
	UsFree(core, iwork);
	UsCheck(core);
	if (info != 0)
		return info;

	/* report: flipped components, variances, coordinates */
	res->k = k;
	res->d = d;
	res->n = n;
	res->whiten = whiten;
	res->components = UsAlloc(core, sizeof(double) * (size_t) k * (size_t) d);
	res->explained_variance = UsAlloc(core, sizeof(double) * (size_t) k);
	res->explained_variance_ratio = UsAlloc(core, sizeof(double) * (size_t) k);
	res->singular_values = UsAlloc(core, sizeof(double) * (size_t) k);
	for (int c = 0; c < r; c++)
		total += s[c] * s[c] / (double) (n - 1);
	res->total_variance = total;
	for (int c = 0; c < k; c++)
	{
		double		sign = PcaFlipSign(u, n, r, c);

		for (int j = 0; j < d; j++)
			res->components[(size_t) c * d + j] = sign * comp[(size_t) c * d + j];
		res->singular_values[c] = s[c];
		res->explained_variance[c] = s[c] * s[c] / (double) (n - 1);
		res->explained_variance_ratio[c] = res->explained_variance[c] / total;
		if (want_coords)
		{
			double		f = sign * (whiten ? sqrt((double) (n - 1)) : s[c]);

			if (res->coords == NULL)
				res->coords = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) k);
			for (int64_t i = 0; i < n; i++)
			{
				res->coords[i * k + c] = u[i * r + c] * f;
				if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
					UsCheck(core);
			}
		}
	}
	UsFree(core, s);
	UsFree(core, other);
	return 0;
}

void
UsPcaTransform(const double *mean, const double *components,
			   const double *explained_variance, int k, int d, bool whiten,
			   const double *x, double *out)
{
	for (int c = 0; c < k; c++)
	{
		const double *v = components + (size_t) c * d;
		double		sum = 0.0;

		for (int j = 0; j < d; j++)
			sum += (x[j] - mean[j]) * v[j];
		out[c] = whiten ? sum / sqrt(explained_variance[c]) : sum;
	}
}
