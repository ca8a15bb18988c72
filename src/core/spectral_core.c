/*-------------------------------------------------------------------------
 *
 * spectral_core.c
 *	  Spectral clustering with scikit-learn 1.2's semantics (SpectralClustering,
 *	  assign_labels = 'kmeans', eigen_solver 'arpack'): an affinity, its normalized
 *	  Laplacian embedding as sklearn.manifold.spectral_embedding makes it, then the
 *	  core's K-Means on the embedding.
 *
 * Affinity.  'rbf': A_ij = exp(-gamma ||x_i - x_j||^2), dense, held as its lower
 * triangle packed row by row (n (n + 1) / 2 doubles, half the n x n matrix).
 * 'nearest_neighbors': C_ij = 1 when j is among the n_neighbors nearest rows of i,
 * i itself included (kneighbors_graph(include_self=True), on the core's neighbour
 * index, neighbors_core.c), A = 0.5 (C + C^T), held as a CSR matrix of at most
 * 2 n n_neighbors entries (O(n k) memory).
 *
 * Embedding (sklearn/manifold/_spectral_embedding.py 1.2 with scipy's csgraph
 * laplacian): the degree d_i = sum_{j != i} A_ij leaves self-loops out; dd_i =
 * sqrt(d_i), or 1 for an isolated row; L = I - D^-1/2 A0 D^-1/2 with its diagonal set
 * to 1 (_set_diag), A0 being A without its diagonal.  scikit-learn asks ARPACK for the
 * k eigenvectors of -L nearest sigma = 1 in shift-invert mode, which are those of the
 * k largest eigenvalues of -L = S - I, S = D^-1/2 A0 D^-1/2: here ARPACK's symmetric
 * driver (dsaupd/dseupd, arpack-ng's ISO C binding) finds the k largest algebraic
 * eigenvalues of S in regular mode ('LA', mode 1) from products S v alone, the same
 * eigenvectors without the O(n^3) factorization of the dense matrix shift-invert
 * needs.  As scipy's eigsh: ncv = min(max(2k + 1, 20), n), tol = 0 (machine
 * precision), at most 10 n restarts, the start vector v0 drawn uniform(-1, 1) (as
 * _init_arpack_v0) from the caller's generator.  Eigenvectors in decreasing order
 * of their eigenvalue (embedding.T[n_components::-1]), each divided by dd, then
 * _deterministic_vector_sign_flip (the entry of largest magnitude, the first of ties,
 * made positive); the first one is kept (drop_first = False).  With k = n, where
 * ARPACK cannot run (it needs k < n), LAPACK's dsyevr gives every eigenvector of the
 * dense S (scipy's eigsh falls back to eigh there too).
 *
 * When ARPACK does not converge.  A graph of loosely tied rows (rbf with a gamma large
 * for the spread of the data) gives S many eigenvalues within 1e-8 of 1; ARPACK, in
 * regular mode as in scikit-learn's shift-invert mode (there they map to values within
 * 1e-8 of -1), then cannot tell them apart and runs out of restarts.  Then LAPACK's
 * dsyevr (range 'I', the k largest, by bisection and inverse iteration on the
 * tridiagonal form) gives the exact eigenvectors of the dense S, to eps / gap as
 * ARPACK's would have been.  scikit-learn falls back to LOBPCG there, whose tolerance
 * (about 1e-5) is far above such gaps, so its maps are not eigenvectors and its
 * partition can differ.  The dense solve holds the full n x n S (8 n^2 bytes) beside
 * the packed affinity while it is copied (the affinity is given back before dsyevr
 * runs) and dsyevr's workspace; those bytes, from dsyevr's workspace query, are asked
 * of params->fits first, before ARPACK runs: where they fit, ARPACK is stopped once
 * its products have cost what the dense solve would ((4/3) n^3 flops against 4 per
 * stored entry, about 2 n / 3 products with the rbf affinity), where they do not it
 * runs to eigsh's limit and, failing that, US_SPECTRAL_DENSE_TOO_LARGE is returned
 * with res->dense_bytes (asked again after ARPACK).  Up to n = 46,340 (n^2 in int).
 *
 * Labels.  UsKmeans on the n x k embedding with the caller's n_init, max_iter 300 and
 * tol 1e-4 (k_means' defaults), seeded by the same generator right after v0, so one
 * seed gives the same labels every time.  Labels are numbered by decreasing cluster
 * size (UsKmeans), a permutation of scikit-learn's.
 *
 * Memory through UsAlloc: the affinity (above), ARPACK's workspace (n (ncv + 4) +
 * ncv (ncv + 8) doubles), the n x k eigenvectors and embedding, K-Means' arrays;
 * UsSpectralWorkBytes gives the total for a budget check before the work.  ARPACK
 * counts in int: n below 2^31 / (ncv + 4).
 *
 * Interrupts: every US_CHECK_EVERY pairs while the affinity is built, every
 * US_CHECK_EVERY rows of the k-NN queries and of a product S v, and between every two
 * steps of ARPACK's reverse communication (it returns to us for each product), so a
 * cancel lands within a product's time (about 20 ms at n = 5,000).  Leaving ARPACK
 * in the middle is safe: the next call starts afresh (ido = 0).  dsyevr is one call:
 * interrupts are checked while S is copied, before it and after it (a dense solve
 * takes about 0.1 s at n = 1,000 and grows as n^3).
 *
 * Threads: OpenBLAS (ARPACK's BLAS) is kept to one thread, as in pca_core.c.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <math.h>
#include <string.h>

#include <arpack/arpack.h>

#include "uscore.h"

/* LAPACK's symmetric eigen-solver (Fortran; only cblas.h is installed) */
extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n,
					double *a, const int *lda, const double *vl, const double *vu,
					const int *il, const int *iu, const double *abstol, int *m,
					double *w, double *z, const int *ldz, int *isuppz, double *work,
					const int *lwork, int *iwork, const int *liwork, int *info);

/* OpenBLAS's thread count, when OpenBLAS is the BLAS */
extern void openblas_set_num_threads(int num_threads) __attribute__((weak));

/* The affinity S = D^-1/2 A0 D^-1/2 in one of its two layouts */
typedef struct SpAffinity
{
	int64_t		n;
	bool		dense;
	double	   *packed;			/* dense: row i's j <= i at i (i + 1) / 2 + j */
	int64_t    *rowptr;			/* sparse: n + 1 */
	int32_t    *col;			/* sparse: columns ascending within a row */
	double	   *val;
	double	   *dd;				/* n: sqrt(degree), 1 for an isolated row */
} SpAffinity;

/* ARPACK's ncv for k eigenvalues of an n x n matrix, as scipy's eigsh */
static int
SpNcv(int64_t n, int k)
{
	int64_t		ncv = 2 * (int64_t) k + 1;

	if (ncv < 20)
		ncv = 20;
	if (ncv > n)
		ncv = n;
	return (int) ncv;
}

size_t
UsSpectralWorkBytes(int64_t n, int d, int k, UsSpectralAffinity affinity, int n_neighbors)
{
	double		ncv = SpNcv(n, k);
	double		b = 0.0;

	if (affinity == US_SPECTRAL_RBF)
		b += 8.0 * ((double) n * ((double) n + 1.0) / 2.0);
	else
	{
		double		nnz = 2.0 * (double) n * (double) n_neighbors;

		b += 12.0 * nnz + 8.0 * ((double) n + 1.0);	/* CSR */
		b += 12.0 * nnz + 8.0 * (double) n;		/* its build: pairs and counts */
		b += 16.0 * (double) n_neighbors;
		b += (double) UsNeighborsBytes(n, d);
	}
	b += 8.0 * (double) n;		/* dd */
	if (k >= n)
		b += 8.0 * 2.0 * (double) n * (double) n + 8.0 * 40.0 * (double) n;
	else
		b += 8.0 * ((double) n * (ncv + 4.0) + ncv * (ncv + 8.0)) + 4.0 * ncv;
	b += 8.0 * 2.0 * (double) n * (double) k + 8.0 * (double) k;	/* eigenvectors, embedding */
	return b >= (double) SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t) b;
}

/* ---- the affinity ---- */

/* Row i of the rbf affinity: out[j] = exp(-gamma ||x_i - x_j||^2), j < i; 0 at j = i */
US_KERNEL static void
SpRbfRow(const double *x, int64_t i, int d, double gamma, double *out)
{
	const double *xi = x + i * d;

	for (int64_t j = 0; j < i; j++)
		out[j] = exp(-gamma * UsSqDist(xi, x + j * d, d));
	out[i] = 0.0;
}

static void
SpBuildRbf(const UsCore *core, const UsMatrix *m, double gamma, SpAffinity *a)
{
	int64_t		n = m->n;
	int64_t		pairs = 0;

	a->dense = true;
	a->packed = UsAlloc(core, sizeof(double) * (size_t) (n * (n + 1) / 2));
	for (int64_t i = 0; i < n; i++)
	{
		SpRbfRow(m->x, i, m->d, gamma, a->packed + i * (i + 1) / 2);
		pairs += i + 1;
		if (pairs >= US_CHECK_EVERY)
		{
			pairs = 0;
			UsCheck(core);
		}
	}
}

/* The k-NN connectivity, symmetrized: A = 0.5 (C + C^T) in CSR */
static void
SpBuildKnn(const UsCore *core, const UsMatrix *m, int nn, SpAffinity *a)
{
	int64_t		n = m->n;
	int			k = nn < n ? nn : (int) n;
	UsNeighbors ix;
	int64_t    *idx = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	double	   *sq = UsAlloc(core, sizeof(double) * (size_t) k);
	int32_t    *out = UsAlloc(core, sizeof(int32_t) * (size_t) (n * k));	/* C's rows */
	int64_t    *cnt = UsAlloc(core, sizeof(int64_t) * (size_t) (n + 1));
	int32_t    *pcol;
	int64_t    *pos;

	a->dense = false;
	UsNeighborsBuild(core, m, US_NN_AUTO, 0.0, &ix);
	for (int64_t i = 0; i < n; i++)
	{
		int			got = UsNeighborsKnn(&ix, m->x + i * m->d, k, idx, sq);

		for (int t = 0; t < got; t++)
			out[i * k + t] = (int32_t) idx[t];
		for (int t = got; t < k; t++)
			out[i * k + t] = -1;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	UsNeighborsFree(&ix);
	UsFree(core, idx);
	UsFree(core, sq);

	/* every pair (i, j) of C and (j, i) of C^T, grouped by row, each worth 0.5 */
	for (int64_t i = 0; i < n * k; i++)
		if (out[i] >= 0)
		{
			cnt[i / k + 1]++;
			cnt[(int64_t) out[i] + 1]++;
		}
	for (int64_t i = 0; i < n; i++)
		cnt[i + 1] += cnt[i];
	pcol = UsAlloc(core, sizeof(int32_t) * (size_t) (cnt[n] > 0 ? cnt[n] : 1));
	pos = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	memcpy(pos, cnt, sizeof(int64_t) * (size_t) n);
	for (int64_t i = 0; i < n * k; i++)
		if (out[i] >= 0)
		{
			int64_t		r = i / k;

			pcol[pos[r]++] = out[i];
			pcol[pos[out[i]]++] = (int32_t) r;
		}
	UsFree(core, pos);
	UsFree(core, out);

	/* each row's columns sorted, duplicates merged: 1 for a mutual pair, 0.5 else */
	a->rowptr = UsAlloc(core, sizeof(int64_t) * (size_t) (n + 1));
	a->col = UsAlloc(core, sizeof(int32_t) * (size_t) (cnt[n] > 0 ? cnt[n] : 1));
	a->val = UsAlloc(core, sizeof(double) * (size_t) (cnt[n] > 0 ? cnt[n] : 1));
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		s = cnt[i];
		int64_t		e = cnt[i + 1];
		int64_t		w = a->rowptr[i];

		UsSortInt32(core, pcol + s, e - s);
		for (int64_t t = s; t < e; t++)
		{
			if (w > a->rowptr[i] && a->col[w - 1] == pcol[t])
				a->val[w - 1] += 0.5;
			else
			{
				a->col[w] = pcol[t];
				a->val[w] = 0.5;
				w++;
			}
		}
		a->rowptr[i + 1] = w;
	}
	UsFree(core, pcol);
	UsFree(core, cnt);
}

/*
 * The degree without self-loops, dd = sqrt(degree) (1 when isolated), and the
 * affinity scaled in place to S = D^-1/2 A0 D^-1/2 (its diagonal set to 0)
 */
static void
SpNormalize(const UsCore *core, SpAffinity *a)
{
	int64_t		n = a->n;
	double	   *deg = UsAlloc(core, sizeof(double) * (size_t) n);

	a->dd = deg;
	if (a->dense)
	{
		for (int64_t i = 0; i < n; i++)
		{
			const double *row = a->packed + i * (i + 1) / 2;
			double		s = 0.0;

			for (int64_t j = 0; j < i; j++)
			{
				s += row[j];
				deg[j] += row[j];
			}
			deg[i] += s;
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
	}
	else
	{
		for (int64_t i = 0; i < n; i++)
			for (int64_t t = a->rowptr[i]; t < a->rowptr[i + 1]; t++)
				if (a->col[t] != i)
					deg[i] += a->val[t];
	}
	for (int64_t i = 0; i < n; i++)
		deg[i] = deg[i] == 0.0 ? 1.0 : sqrt(deg[i]);
	if (a->dense)
	{
		for (int64_t i = 0; i < n; i++)
		{
			double	   *row = a->packed + i * (i + 1) / 2;

			for (int64_t j = 0; j < i; j++)
				row[j] = row[j] / deg[i] / deg[j];
			row[i] = 0.0;
			if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
				UsCheck(core);
		}
	}
	else
	{
		for (int64_t i = 0; i < n; i++)
			for (int64_t t = a->rowptr[i]; t < a->rowptr[i + 1]; t++)
				a->val[t] = a->col[t] == i ? 0.0 : a->val[t] / deg[i] / deg[a->col[t]];
	}
}

/*
 * One row of y = S x over the packed lower triangle, each stored entry used twice:
 * y[j] += row[j] x[i] for j < i, and y[i] += the dot product of the row and x, summed
 * in four interleaved partial sums (lanes j mod 4, one vector of GCC's extension) so
 * that the loop is one vector multiply-add pair per four entries, with no shuffles
 */
typedef double SpVec4 __attribute__((vector_size(32)));

US_KERNEL static void
SpPackedRow(const double *row, int64_t i, const double *x, double *y)
{
	double		xi = x[i];
	SpVec4		xv = {xi, xi, xi, xi};
	SpVec4		acc = {0.0, 0.0, 0.0, 0.0};
	double		s = 0.0;
	int64_t		j = 0;

	for (; j + 3 < i; j += 4)
	{
		SpVec4		r;
		SpVec4		v;
		SpVec4		w;

		memcpy(&r, row + j, sizeof(r));
		memcpy(&v, x + j, sizeof(v));
		memcpy(&w, y + j, sizeof(w));
		acc += r * v;
		w += r * xv;
		memcpy(y + j, &w, sizeof(w));
	}
	for (; j < i; j++)
	{
		s += row[j] * x[j];
		y[j] += row[j] * xi;
	}
	y[i] += ((acc[0] + acc[1]) + (acc[2] + acc[3])) + s;
}

static void
SpMultiply(const UsCore *core, const SpAffinity *a, const double *x, double *y)
{
	int64_t		n = a->n;

	memset(y, 0, sizeof(double) * (size_t) n);
	for (int64_t i = 0; i < n; i++)
	{
		if (a->dense)
			SpPackedRow(a->packed + i * (i + 1) / 2, i, x, y);
		else
		{
			double		s = 0.0;

			for (int64_t t = a->rowptr[i]; t < a->rowptr[i + 1]; t++)
				s += a->val[t] * x[a->col[t]];
			y[i] = s;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
}

/* ---- the eigenvectors ---- */

/*
 * The k eigenvectors of the largest eigenvalues of S by ARPACK (k < n): vec n x k
 * column-major in decreasing order of the eigenvalue, val[k].  Returns 0, or sets
 * res->solver_call and returns ARPACK's info.  With max_products > 0, ARPACK is left
 * after that many products as if its restarts had run out (dsaupd's info 1).
 */
static int
SpArpack(const UsCore *core, const SpAffinity *a, int k, const UsSpectralParams *p,
		 int64_t max_products, double *vec, double *val, UsSpectralResult *res)
{
	int			n = (int) a->n;
	int			ncv = SpNcv(a->n, k);
	int			lworkl = ncv * (ncv + 8);
	int			iparam[11] = {0};
	int			ipntr[11] = {0};
	int			ido = 0;
	int			info = 1;		/* resid holds the start vector */
	double	   *resid = UsAlloc(core, sizeof(double) * (size_t) n);
	double	   *v = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) ncv);
	double	   *workd = UsAlloc(core, sizeof(double) * 3 * (size_t) n);
	double	   *workl = UsAlloc(core, sizeof(double) * (size_t) lworkl);
	int		   *select = UsAlloc(core, sizeof(int) * (size_t) ncv);
	double	   *d = UsAlloc(core, sizeof(double) * (size_t) ncv);
	double	   *z = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) k);

	for (int i = 0; i < n; i++)
		resid[i] = 2.0 * p->uniform(p->rng_arg) - 1.0;
	iparam[0] = 1;				/* exact shifts */
	iparam[2] = n > INT_MAX / 10 ? INT_MAX : 10 * n;	/* restarts, as eigsh */
	iparam[6] = 1;				/* regular mode: products A v only */
	for (;;)
	{
		UsCheck(core);
		dsaupd_c(&ido, "I", n, "LA", k, 0.0, resid, ncv, v, n, iparam, ipntr, workd,
				 workl, lworkl, &info);
		if (ido != 1 && ido != -1)
			break;
		if (max_products > 0 && res->products >= max_products)
		{
			info = 1;
			iparam[2] = 0;		/* not known when left in the middle */
			break;
		}
		SpMultiply(core, a, workd + ipntr[0] - 1, workd + ipntr[1] - 1);
		res->products++;
	}
	res->restarts = iparam[2];
	if (info != 0)
		res->solver_call = "dsaupd";
	else
	{
		dseupd_c(1, "A", select, d, z, n, 0.0, "I", n, "LA", k, 0.0, resid, ncv, v, n,
				 iparam, ipntr, workd, workl, lworkl, &info);
		if (info != 0)
			res->solver_call = "dseupd";
		else if (iparam[4] < k)
		{
			res->solver_call = "dseupd";
			info = US_SPECTRAL_NOT_CONVERGED;
		}
	}
	if (info == 0)
	{
		/* d ascending (LA); the largest first */
		int		   *ord = UsAlloc(core, sizeof(int) * (size_t) k);

		for (int c = 0; c < k; c++)
			ord[c] = c;
		for (int c = 1; c < k; c++)
			for (int t = c; t > 0 && d[ord[t]] > d[ord[t - 1]]; t--)
			{
				int			s = ord[t];

				ord[t] = ord[t - 1];
				ord[t - 1] = s;
			}
		for (int c = 0; c < k; c++)
		{
			val[c] = d[ord[c]];
			memcpy(vec + (size_t) c * n, z + (size_t) ord[c] * n, sizeof(double) * (size_t) n);
		}
		UsFree(core, ord);
	}
	UsFree(core, z);
	UsFree(core, d);
	UsFree(core, select);
	UsFree(core, workl);
	UsFree(core, workd);
	UsFree(core, v);
	UsFree(core, resid);
	return info;
}

/* ARPACK's infos that say it did not converge (not a misuse of it) */
static bool
SpArpackNotConverged(int info)
{
	return info == 1 ||			/* dsaupd: the restarts ran out */
		info == 3 ||			/* dsaupd: no shifts could be applied */
		info == -9999 ||		/* dsaupd: no Arnoldi factorization */
		info == -14 ||			/* dseupd: no eigenvalue to full accuracy */
		info == US_SPECTRAL_NOT_CONVERGED;
}

/*
 * dsyevr's workspace for the k eigenvectors of the largest eigenvalues of an n x n
 * matrix (all of them when k = n), and the bytes SpLapack allocates with it: the full
 * matrix, the eigenvalues and eigenvectors, the workspace.  A query reads no matrix.
 * Returns dsyevr's info.
 */
static int
SpLapackQuery(int n, int k, int *lwork, int *liwork, size_t *bytes)
{
	bool		all = k >= n;
	int			il = all ? 1 : n - k + 1;
	int			m = all ? n : k;
	int			query = -1;
	int			got = 0;
	int			info = 0;
	int			iq = 0;
	int			idummy = 0;
	double		wq = 0.0;
	double		zero = 0.0;
	double		dummy = 0.0;
	double		b;

	dsyevr_("V", all ? "A" : "I", "L", &n, &dummy, &n, &zero, &zero, &il, &n, &zero,
			&got, &dummy, &dummy, &n, &idummy, &wq, &query, &iq, &query, &info);
	if (info != 0)
		return info;
	*lwork = (int) wq > 1 ? (int) wq : 1;
	*liwork = iq > 1 ? iq : 1;
	b = 8.0 * ((double) n * (double) n + (double) n + (double) n * (double) m +
			   (double) *lwork) + 4.0 * (2.0 * (double) n + (double) *liwork);
	*bytes = b >= (double) SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t) b;
	return 0;
}

/*
 * LAPACK's dsyevr for the dense S: every eigenvector (k = n, range 'A') or those of
 * the k largest eigenvalues (range 'I', il = n - k + 1, iu = n).  Its workspace is
 * queried first; with check_fits, params->fits is asked for the whole (the n x n
 * matrix, the eigenvectors, the workspace) before any of it is allocated, and
 * US_SPECTRAL_DENSE_TOO_LARGE returned if it does not fit.  The affinity is given
 * back once copied into the full matrix.  vec n x k, largest first; val[k].
 */
static int
SpLapack(const UsCore *core, SpAffinity *a, int k, const UsSpectralParams *p,
		 bool check_fits, double *vec, double *val, UsSpectralResult *res)
{
	int			n = (int) a->n;
	bool		all = k >= n;
	int			il = all ? 1 : n - k + 1;
	int			iu = n;
	int			m = all ? n : k;	/* eigenvectors dsyevr returns */
	int			lwork = 0;
	int			liwork = 0;
	int			got = 0;
	int			info;
	double		zero = 0.0;
	double	   *s;
	double	   *w;
	double	   *z;
	int		   *isuppz;
	double	   *work;
	int		   *iwork;

	info = SpLapackQuery(n, k, &lwork, &liwork, &res->dense_bytes);
	if (info != 0)
	{
		res->solver_call = "dsyevr";
		return info;
	}
	if (check_fits && p->fits && !p->fits(p->fits_arg, res->dense_bytes))
		return US_SPECTRAL_DENSE_TOO_LARGE;

	s = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) n);
	w = UsAlloc(core, sizeof(double) * (size_t) n);
	z = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) m);
	isuppz = UsAlloc(core, sizeof(int) * 2 * (size_t) n);

	/* S as a full column-major matrix (zeroed by UsAlloc) */
	for (int i = 0; i < n; i++)
	{
		if (a->dense)
		{
			const double *row = a->packed + (int64_t) i * (i + 1) / 2;

			for (int j = 0; j <= i; j++)
			{
				s[(size_t) j * n + i] = row[j];
				s[(size_t) i * n + j] = row[j];
			}
		}
		else
			for (int64_t t = a->rowptr[i]; t < a->rowptr[i + 1]; t++)
				s[(size_t) a->col[t] * n + i] = a->val[t];
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	/* only dd is needed from here on */
	UsFree(core, a->packed);
	UsFree(core, a->rowptr);
	UsFree(core, a->col);
	UsFree(core, a->val);
	a->packed = NULL;
	a->rowptr = NULL;
	a->col = NULL;
	a->val = NULL;

	work = UsAlloc(core, sizeof(double) * (size_t) lwork);
	iwork = UsAlloc(core, sizeof(int) * (size_t) liwork);
	UsCheck(core);
	dsyevr_("V", all ? "A" : "I", "L", &n, s, &n, &zero, &zero, &il, &iu, &zero, &got, w,
			z, &n, isuppz, work, &lwork, iwork, &liwork, &info);
	UsCheck(core);
	UsFree(core, work);
	UsFree(core, iwork);
	if (info == 0 && got != m)
		info = US_SPECTRAL_NOT_CONVERGED;
	if (info != 0)
		res->solver_call = "dsyevr";
	else
		/* w ascending: the largest first */
		for (int c = 0; c < k; c++)
		{
			val[c] = w[m - 1 - c];
			memcpy(vec + (size_t) c * n, z + (size_t) (m - 1 - c) * n, sizeof(double) * (size_t) n);
		}
	res->dense = true;
	UsFree(core, isuppz);
	UsFree(core, z);
	UsFree(core, w);
	UsFree(core, s);
	return info;
}

int
UsSpectralEmbedding(const UsCore *core, const UsMatrix *m, const UsSpectralParams *p,
					UsSpectralResult *res)
{
	int64_t		n = m->n;
	int			k = p->k;
	SpAffinity	a;
	double	   *vec;
	int			info;

	memset(res, 0, sizeof(*res));
	if (k < 1 || k > n || n < 1 ||
		(p->affinity == US_SPECTRAL_RBF && !(p->gamma > 0.0)) ||
		(p->affinity == US_SPECTRAL_KNN && (p->n_neighbors < 1)))
		return US_SPECTRAL_BAD_ARGUMENT;
	if (n > INT_MAX / (SpNcv(n, k) + 4) || (k >= n && n > 46340))
		return US_SPECTRAL_TOO_LARGE;
	if (openblas_set_num_threads)
		openblas_set_num_threads(1);

	memset(&a, 0, sizeof(a));
	a.n = n;
	if (p->affinity == US_SPECTRAL_RBF)
		SpBuildRbf(core, m, p->gamma, &a);
	else
		SpBuildKnn(core, m, p->n_neighbors, &a);
	SpNormalize(core, &a);

	res->k = k;
	res->n = n;
	res->eigenvalues = UsAlloc(core, sizeof(double) * (size_t) k);
	vec = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) k);
	if (k < n)
	{
		int64_t		cap = 0;
		int			lw;
		int			liw;
		size_t		dense_bytes;

		/*
		 * Where the dense solve fits, ARPACK gets the products that cost what it
		 * would: about (4/3) n^3 flops against 4 per stored entry of the affinity
		 */
		if (n <= 46340 && SpLapackQuery((int) n, k, &lw, &liw, &dense_bytes) == 0 &&
			(p->fits == NULL || p->fits(p->fits_arg, dense_bytes)))
		{
			double		entries = a.dense ? (double) n * ((double) n + 1.0) / 2.0 :
				(double) a.rowptr[n];
			double		c = (4.0 / 3.0) * (double) n * (double) n * (double) n /
				(4.0 * (entries > 1.0 ? entries : 1.0));

			cap = c < 2.0 * SpNcv(n, k) ? 2 * SpNcv(n, k) :
				c > (double) INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t) c;
		}
		info = SpArpack(core, &a, k, p, cap, vec, res->eigenvalues, res);
		if (SpArpackNotConverged(info) && n <= 46340)
		{
			/* the exact eigenvectors of the dense S instead, if they fit */
			res->arpack_info = info;
			res->arpack_call = res->solver_call;
			res->solver_call = NULL;
			info = SpLapack(core, &a, k, p, true, vec, res->eigenvalues, res);
		}
	}
	else
		info = SpLapack(core, &a, k, p, false, vec, res->eigenvalues, res);

	if (info == 0)
	{
		/* divide by dd, flip signs, as rows of the n x k embedding */
		res->embedding = UsAlloc(core, sizeof(double) * (size_t) n * (size_t) k);
		for (int c = 0; c < k; c++)
		{
			double	   *u = vec + (size_t) c * n;
			double		best = -1.0;
			double		sign = 1.0;

			for (int64_t i = 0; i < n; i++)
			{
				u[i] = u[i] / a.dd[i];
				if (fabs(u[i]) > best)
				{
					best = fabs(u[i]);
					sign = u[i] < 0 ? -1.0 : 1.0;
				}
			}
			for (int64_t i = 0; i < n; i++)
				res->embedding[i * k + c] = u[i] * sign;
		}
	}
	UsFree(core, vec);
	UsFree(core, a.dd);
	UsFree(core, a.packed);
	UsFree(core, a.rowptr);
	UsFree(core, a.col);
	UsFree(core, a.val);
	return info;
}

int
UsSpectral(const UsCore *core, const UsMatrix *m, const UsSpectralParams *p,
		   UsSpectralResult *res)
{
	UsKmeansParams kp;
	UsMatrix	em;
	int			info = UsSpectralEmbedding(core, m, p, res);

	if (info != 0)
		return info;
	memset(&kp, 0, sizeof(kp));
	kp.k = p->k;
	kp.n_init = p->n_init;
	kp.max_iter = 300;
	kp.tol = 1e-4;
	kp.uniform = p->uniform;
	kp.rng_arg = p->rng_arg;
	kp.verbose = p->verbose;
	em.n = m->n;
	em.d = p->k;
	em.x = res->embedding;
	UsKmeans(core, &em, &kp, &res->kmeans);
	res->labels = res->kmeans.labels;
	return 0;
}
