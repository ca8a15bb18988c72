/*-------------------------------------------------------------------------
 *
 * pca_core.c
 *	  Principal component analysis with scikit-learn's semantics
 *	  (PCA(svd_solver='full')).
 *
 * The n x d matrix is centred on its column means (moments_core.c), then factored
 * through LAPACK, no eigen-solver of our own.  With at least as many rows as columns
 * (the usual case) the centred rows are reduced by blocks of PCA_BLOCK rows to the
 * d x d R of their QR factorization (dgeqrf, each block stacked under the R so far:
 * TSQR, Demmel, Grigori, Hoemmen & Langou 2012), and R's SVD (dgesdd, the routine
 * behind scipy.linalg.svd) gives X_c's singular values and Vt; U S = X_c Vt^T is
 * computed row by row for the components kept.  With fewer rows than columns the
 * centred matrix itself goes to dgesdd (as the column-major d x n X_c^T, no copy).
 * Signs follow scikit-learn 1.2's svd_flip with u_based_decision: in each column of
 * U the entry of largest magnitude (the first of ties) is made positive, the
 * component's row of Vt flipped with it (the largest |U| is the largest |U S|).
 * explained_variance_ = S^2 / (n - 1), the ratio over the sum of all min(n, d) of
 * them, coordinates U S (fit_transform), or U sqrt(n - 1) when whitened.
 *
 * Threads: OpenBLAS, when it is the BLAS, is kept to one thread
 * (openblas_set_num_threads(1), looked up as a weak symbol so another BLAS links
 * too): a backend is one process among many, and the core's results must not
 * depend on a thread count.
 *
 * Complexity O(n d min(n, d)) time; memory beyond the (centred) matrix: n x k for
 * U S, a block of (PCA_BLOCK + d) x d, a few d x d and LAPACK's workspace (n >= d),
 * or n x n and the workspace (n < d, the matrix overwritten).  Interrupts are checked
 * between blocks and every US_CHECK_EVERY rows elsewhere; a million rows of 20
 * columns take about 0.35 s (5 s with dgesdd on the whole matrix, uninterruptible).
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

/* LAPACK's QR factorization */
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
					double *work, const int *lwork, int *info);

/* OpenBLAS's thread count, when OpenBLAS is the BLAS */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));

/* Rows of one block of the tall path's QR (at least d) */
#define PCA_BLOCK 4096

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

/*
 * R (d x d, column-major, upper triangular) of the QR factorization of the centred
 * n x d matrix (n >= d), by blocks of rows: each block is stacked under the R so far
 * and factored again (dgeqrf; TSQR, Demmel et al. 2012), checking interrupts between
 * blocks.  Returns LAPACK's info.
 */
static int
PcaTallR(const UsCore *core, const UsMatrix *m, double *rr)
{
	int64_t		n = m->n;
	int			d = m->d;
	int			block = d > PCA_BLOCK ? d : PCA_BLOCK;
	int			ldw = d + block;
	int			lwork = -1;
	int			info = 0;
	double		wq = 0.0;
	double	   *w = UsAlloc(core, sizeof(double) * (size_t) ldw * (size_t) d);
	double	   *tau = UsAlloc(core, sizeof(double) * (size_t) d);
	double	   *work;
	int			top = 0;

	dgeqrf_(&ldw, &d, w, &ldw, tau, &wq, &lwork, &info);
	if (info != 0)
		return info;
	lwork = (int) wq > d ? (int) wq : d;
	work = UsAlloc(core, sizeof(double) * (size_t) lwork);
	for (int64_t i0 = 0; i0 < n; i0 += block)
	{
		int			rows = (int) (n - i0 < block ? n - i0 : block);
		int			mm = top + rows;

		for (int j = 0; j < d; j++)
		{
			double	   *col = w + (size_t) j * ldw;

			for (int t = 0; t < top; t++)
				col[t] = t <= j ? rr[(size_t) j * d + t] : 0.0;
			for (int t = 0; t < rows; t++)
				col[top + t] = m->x[(i0 + t) * d + j];
		}
		dgeqrf_(&mm, &d, w, &ldw, tau, work, &lwork, &info);
		if (info != 0)
			break;
		for (int j = 0; j < d; j++)
			for (int t = 0; t < d; t++)
				rr[(size_t) j * d + t] = t <= j && t < mm ? w[(size_t) j * ldw + t] : 0.0;
		top = d;
		UsCheck(core);
	}
	UsFree(core, work);
	UsFree(core, tau);
	UsFree(core, w);
	return info;
}

/*
 * n >= d: X_c = Q R, R = U_R S Vt, so X_c's singular values and Vt are R's (dgesdd
 * on d x d) and U S = X_c Vt^T, computed row by row for the first k components (p,
 * n x k).  Returns LAPACK's info.
 */
static int
PcaTall(const UsCore *core, const UsMatrix *m, int k, double *s, double *comp, double *p)
{
	int			d = m->d;
	int			lwork = -1;
	int			info;
	double		wq = 0.0;
	double	   *rr = UsAlloc(core, sizeof(double) * (size_t) d * (size_t) d);
	double	   *ur = UsAlloc(core, sizeof(double) * (size_t) d * (size_t) d);
	double	   *vt = UsAlloc(core, sizeof(double) * (size_t) d * (size_t) d);
	int		   *iwork = UsAlloc(core, sizeof(int) * 8 * (size_t) d);
	double	   *work;

	info = PcaTallR(core, m, rr);
	if (info == 0)
		dgesdd_("S", &d, &d, rr, &d, s, ur, &d, vt, &d, &wq, &lwork, iwork, &info);
	if (info == 0)
	{
		lwork = (int) wq > 1 ? (int) wq : 1;
		work = UsAlloc(core, sizeof(double) * (size_t) lwork);
		dgesdd_("S", &d, &d, rr, &d, s, ur, &d, vt, &d, work, &lwork, iwork, &info);
		UsFree(core, work);
	}
	if (info == 0)
	{
		/* Vt column-major: component c, column j at vt[c + j d] */
		for (int c = 0; c < d; c++)
			for (int j = 0; j < d; j++)
				comp[(size_t) c * d + j] = vt[c + (size_t) j * d];
		for (int64_t i = 0; i < m->n; i++)
		{
			const double *row = m->x + i * d;

			for (int c = 0; c < k; c++)
			{
				const double *v = comp + (size_t) c * d;
				double		sum = 0.0;

				for (int j = 0; j < d; j++)
					sum += row[j] * v[j];
				p[i * k + c] = sum;
			}
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
	}
	UsFree(core, iwork);
	UsFree(core, vt);
	UsFree(core, ur);
	UsFree(core, rr);
	return info;
}

/*
 * n < d: the SVD of the centred matrix itself, handed to LAPACK as the column-major
 * d x n matrix A = X_c^T (no copy): A = U_A S VT_A, JOBZ = 'O' overwrites A with
 * U_A (X_c's components, n of them) and gives VT_A (n x n) = X_c's U transposed, so
 * u row-major n x n holds U.  Returns LAPACK's info.
 */
static int
PcaWide(const UsCore *core, UsMatrix *m, double *s, double *comp, double *u)
{
	int			d = m->d;
	int			in = (int) m->n;
	int			lwork = -1;
	int			info = 0;
	int			one = 1;
	double		wq = 0.0;
	int		   *iwork = UsAlloc(core, sizeof(int) * 8 * (size_t) in);
	double	   *work;

	dgesdd_("O", &d, &in, m->x, &d, s, NULL, &one, u, &in, &wq, &lwork, iwork, &info);
	if (info == 0 && !(wq < (double) INT_MAX))
		info = US_PCA_TOO_LARGE;
	if (info == 0)
	{
		lwork = (int) wq > 1 ? (int) wq : 1;
		work = UsAlloc(core, sizeof(double) * (size_t) lwork);
		UsCheck(core);
		dgesdd_("O", &d, &in, m->x, &d, s, NULL, &one, u, &in, work, &lwork, iwork, &info);
		UsFree(core, work);
	}
	if (info == 0)
		memcpy(comp, m->x, sizeof(double) * (size_t) in * (size_t) d);
	UsFree(core, iwork);
	return info;
}

int
UsPca(const UsCore *core, UsMatrix *m, int k, bool whiten, bool want_coords,
	  UsPcaResult *res)
{
	int64_t		n = m->n;
	int			d = m->d;
	int			r;
	int			info;
	bool		tall = n >= d;
	double	   *s;
	double	   *comp;			/* r x d: row c of Vt */
	double	   *u;				/* tall: U S for k components (n x k); wide: U (n x n) */
	int			ustride;
	double		total = 0.0;
	UsMoments	mo = {0};

	memset(res, 0, sizeof(*res));
	/* LAPACK indexes the matrix and its factors in int */
	if (n > INT_MAX || (int64_t) d * n > INT_MAX)
		return US_PCA_TOO_LARGE;
	r = n < d ? (int) n : d;
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
		{
			row[j] -= res->mean[j];
			/* a difference past DBL_MAX: LAPACK would refuse the matrix (NaN norm) */
			if (!isfinite(row[j]))
				return US_PCA_OVERFLOW;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}

	/* factor */
	s = UsAlloc(core, sizeof(double) * (size_t) r);
	comp = UsAlloc(core, sizeof(double) * (size_t) r * (size_t) d);
	ustride = tall ? k : r;
	u = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) ustride);
	info = tall ? PcaTall(core, m, k, s, comp, u) : PcaWide(core, m, s, comp, u);
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
	if (want_coords)
		res->coords = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) k);
	for (int c = 0; c < k; c++)
	{
		/* the largest |U| is the largest |U S| of the column (S > 0) */
		double		sign = PcaFlipSign(u, n, ustride, c);
		double		f;

		for (int j = 0; j < d; j++)
			res->components[(size_t) c * d + j] = sign * comp[(size_t) c * d + j];
		res->singular_values[c] = s[c];
		res->explained_variance[c] = s[c] * s[c] / (double) (n - 1);
		res->explained_variance_ratio[c] = res->explained_variance[c] / total;
		if (!want_coords)
			continue;
		/* U S, or U sqrt(n - 1) whitened; the tall path holds U S already */
		if (tall)
			f = sign * (whiten ? sqrt((double) (n - 1)) / s[c] : 1.0);
		else
			f = sign * (whiten ? sqrt((double) (n - 1)) : s[c]);
		for (int64_t i = 0; i < n; i++)
		{
			res->coords[i * k + c] = u[i * ustride + c] * f;
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
	}
	UsFree(core, s);
	UsFree(core, comp);
	UsFree(core, u);
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
