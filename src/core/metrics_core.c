/*-------------------------------------------------------------------------
 *
 * metrics_core.c
 *	  Scores of a clustering, with scikit-learn's semantics (sklearn 1.2,
 *	  sklearn/metrics/cluster/_unsupervised.py).
 *
 * Every function takes an n x d matrix and labels 0..k-1, each cluster with at
 * least one row (the caller leaves out noise and renumbers first).
 *
 * Silhouette (Rousseeuw 1987, "Silhouettes: a graphical aid to the interpretation
 * and validation of cluster analysis", J. Comput. Appl. Math. 20:53-65).  For row i
 * of cluster A, a(i) is the mean Euclidean distance to the other rows of A and b(i)
 * the smallest mean distance to the rows of another cluster; s(i) = (b - a) /
 * max(a, b).  As scikit-learn: a row alone in its cluster gets 0 (its a is 0/0,
 * which nan_to_num turns into 0), and so does a row with a = b = 0.  Distances are
 * computed as sqrt(sum((x_i - x_j)^2)), not with scikit-learn's dot-product
 * expansion, which loses digits for close pairs; the two agree to ~1e-12.
 *
 * Layout of the exact silhouette: O(n^2 d) time, O(n d) memory: a sorted copy
 * and its transpose (2 n d doubles) and n x k sums, the latter only while
 * k <= max(64, 4 d) (see below).
 *	- The rows are copied in label order (a stable counting sort), so that each
 *	  cluster is one contiguous range [start[c], start[c+1]) of the copy, and also
 *	  transposed (d x npad, npad = n rounded up to SIL_B, padded with zeros) so
 *	  that one row against SIL_B columns is a plain loop over j that the compiler
 *	  vectorizes (no reduction across lanes, no scatter by label).
 *	- Distances are computed in tiles of SIL_B rows by SIL_B columns over the
 *	  upper triangle of blocks: each unordered pair of rows is computed once.  A
 *	  tile row is summed over the contiguous cluster ranges of the column block
 *	  (S[i][c] += ..., four independent partial sums), and the tile's columns
 *	  are accumulated per cluster range of the row block with a vertical vector
 *	  add, then added to S[j][c] once per range.  S is n x k sums.
 *	- When k is large (more than max(64, 4 d) clusters) S would outgrow O(n d):
 *	  then each row is streamed against all columns instead and its per-cluster
 *	  sums are reduced to a(i), b(i) on the fly (each pair computed twice).
 *	- Interrupts are checked after every tile (SIL_B^2 = 4096 pairs) or row.
 *	- Threads (userseg.max_workers): the tiles are cut into SIL_CHUNKS chunks of
 *	  column blocks with about the same number of tiles each, the streamed rows into
 *	  chunks of SIL_STREAM_CHUNK rows (UsParallelRun, see SilPass).  Each chunk of
 *	  the symmetric form has a partial of n x k sums (one per thread and one
 *	  waiting beside it, n k doubles each, charged to the budget); partials are
 *	  added in chunk order, so the silhouette is the same to the last bit for any
 *	  number of threads.
 *	- The tile kernels are US_KERNEL (uscore.h: an AVX2 clone and the baseline,
 *	  picked at run time; the distances of a tile row come from UsSqDistTile,
 *	  distance_core.c); the square roots of a tile row use AVX or SSE2
 *	  intrinsics, picked the same way.  Every clone computes each sum in the same
 *	  order (no FMA contraction) and square roots are correctly rounded, so
 *	  results do not depend on the machine.
 *
 * Range.  Every score here is computed on the rows times a power of two when their
 * largest magnitude reaches 2^US_SAFE_EXP (UsSafeShift): the product is exact, so
 * the silhouette, Calinski-Harabasz and Davies-Bouldin, which do not change when
 * the data are scaled, are those of the rows themselves, finite even for rows near
 * the largest float8 (a silhouette stays in [-1, 1]); the thresholds of
 * Davies-Bouldin are compared in the data's units.  Rows below that magnitude are
 * not scaled: the results are those of the plain formulas, bit for bit.  The
 * inertia is given back in the data's units: Infinity when it is out of the range
 * of float8 (the caller raises 22003).
 *
 * Calinski-Harabasz (Calinski & Harabasz 1974, "A dendrite method for cluster
 * analysis", Commun. Stat. 3:1-27): between-cluster dispersion over within-cluster
 * dispersion, each divided by its degrees of freedom; 1.0 when the within-cluster
 * dispersion is 0, as scikit-learn.
 *
 * Davies-Bouldin (Davies & Bouldin 1979, "A cluster separation measure", IEEE
 * PAMI 1:224-227): mean over clusters of max over other clusters of (s_a + s_b) /
 * d(c_a, c_b), s the mean distance of a cluster's rows to its centroid.  As
 * scikit-learn: 0 when every s is within 1e-8 of 0 or every centroid distance is
 * (np.allclose), and a pair of clusters with identical centroids is skipped
 * (its distance counts as infinite).
 *
 * Inertia: sum of squared distances of rows to their cluster's mean (K-Means'
 * objective; scikit-learn's KMeans.inertia_ for the given labels).
 *
 * These three are O(n d + k^2 d) time, O(k d) memory; interrupts are checked
 * every US_CHECK_EVERY rows.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* Rows and columns of one distance tile */
#define SIL_B US_TILE

/* Chunks of the symmetric silhouette (fixed: sums do not depend on threads) */
#define SIL_CHUNKS 64
/* Rows per chunk of the streamed silhouette */
#define SIL_STREAM_CHUNK 16

/* Use the n x k sums (each pair once) up to this many clusters */
#define SIL_MAX_K_SYMMETRIC(d) ((d) * 4 > 64 ? (d) * 4 : 64)

/*
 * The tile kernels are US_KERNEL (uscore.h).  The square roots of a tile row go
 * through SSE2 or AVX intrinsics picked once per call: GCC cannot drop sqrt's errno
 * handling per function, and that handling keeps the loop scalar.
 */
#if defined(__GNUC__) && defined(__x86_64__)
#define SIL_X86_SQRT 1
#include <immintrin.h>
#endif

typedef void (*SilSqrtFn) (double *out, const double *in);

/* Rows of a matrix in label order */
typedef struct SilData
{
	int64_t		n;
	int			d;
	int			k;
	int64_t		npad;			/* n rounded up to SIL_B */
	double	   *xs;				/* n x d rows, sorted by label */
	double	   *xt;				/* d x npad, transposed xs, zero padded */
	int32_t    *lab;			/* label of each sorted row */
	int64_t    *orig;			/* sorted row -> row of the input */
	int64_t    *start;			/* k + 1 cluster starts in sorted order */
	SilSqrtFn	sqrtrow;		/* SIL_B square roots */
} SilData;

static inline int64_t
Min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * SIL_B square roots, plain, with SSE2 and with AVX
 */
#ifndef SIL_X86_SQRT
static void
SilSqrtPlain(double *out, const double *in)
{
	for (int j = 0; j < SIL_B; j++)
		out[j] = sqrt(in[j]);
}
#else
static void
SilSqrtSse2(double *out, const double *in)
{
	for (int j = 0; j < SIL_B; j += 2)
		_mm_storeu_pd(out + j, _mm_sqrt_pd(_mm_loadu_pd(in + j)));
}

__attribute__((target("avx")))
static void
SilSqrtAvx(double *out, const double *in)
{
	for (int j = 0; j < SIL_B; j += 4)
		_mm256_storeu_pd(out + j, _mm256_sqrt_pd(_mm256_loadu_pd(in + j)));
}
#endif

static SilSqrtFn
SilPickSqrt(void)
{
#ifdef SIL_X86_SQRT
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx"))
		return SilSqrtAvx;
	return SilSqrtSse2;
#else
	return SilSqrtPlain;
#endif
}

/*
 * Bytes the exact silhouette allocates for n rows, d columns and k clusters
 */
size_t
UsSilhouetteWorkBytes(int64_t n, int d, int k)
{
	int64_t		npad = (n + SIL_B - 1) / SIL_B * SIL_B;
	double		bytes;

	bytes = (double) n * d * sizeof(double) +	/* xs */
		(double) npad * d * sizeof(double) +	/* xt */
		(double) n * (sizeof(int32_t) + sizeof(int64_t) + 2 * sizeof(double)) +
		(double) (k + 1) * 2 * sizeof(int64_t);
	if (k <= SIL_MAX_K_SYMMETRIC(d))
		bytes += 2.0 * n * k * sizeof(double);	/* S and one chunk's partial */
	if (bytes > (double) SIZE_MAX / 2)
		return SIZE_MAX / 2;
	return (size_t) bytes;
}

/*
 * Copy the rows in label order, row-major and transposed
 */
static void
SilPrepare(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k,
		   SilData *s)
{
	int64_t		n = m->n;
	int			d = m->d;
	int64_t    *next;
	double		f = ldexp(1.0, UsSafeShift(core, m->x, n * d));

	s->n = n;
	s->d = d;
	s->k = k;
	s->npad = (n + SIL_B - 1) / SIL_B * SIL_B;
	s->sqrtrow = SilPickSqrt();
	s->xs = UsAlloc(core, sizeof(double) * (size_t) n * d);
	s->xt = UsAlloc(core, sizeof(double) * (size_t) s->npad * d);
	s->lab = UsAlloc(core, sizeof(int32_t) * (size_t) n);
	s->orig = UsAlloc(core, sizeof(int64_t) * (size_t) n);
	s->start = UsAlloc(core, sizeof(int64_t) * (size_t) (k + 1));
	next = UsAlloc(core, sizeof(int64_t) * (size_t) (k + 1));

	/* stable counting sort */
	for (int64_t i = 0; i < n; i++)
	{
		s->start[labels[i] + 1]++;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	for (int c = 0; c < k; c++)
		s->start[c + 1] += s->start[c];
	memcpy(next, s->start, sizeof(int64_t) * (size_t) (k + 1));
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		p = next[labels[i]]++;

		s->orig[p] = i;
		s->lab[p] = labels[i];
		for (int c = 0; c < d; c++)
		{
			/* times a power of two (1 unless huge): exact */
			double		v = m->x[i * d + c] * f;

			s->xs[p * d + c] = v;
			s->xt[(int64_t) c * s->npad + p] = v;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	UsFree(core, next);
}

/*
 * Sum of len doubles in four interleaved partial sums
 */
US_KERNEL_INLINE static inline double
SilSum(const double *x, int64_t len)
{
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	int64_t		j = 0;

	for (; j + 4 <= len; j += 4)
	{
		s0 += x[j];
		s1 += x[j + 1];
		s2 += x[j + 2];
		s3 += x[j + 3];
	}
	for (; j < len; j++)
		s0 += x[j];
	return (s0 + s1) + (s2 + s3);
}

/*
 * Distances of row xi to SIL_B consecutive columns of the transposed matrix
 */
static inline void
SilDistRow(const double *xi, const double *xt, int64_t stride, int d, SilSqrtFn sqrtrow,
		   double *out)
{
	double		acc[SIL_B];

	UsSqDistTile(xi, xt, stride, d, acc);
	sqrtrow(out, acc);
}

/*
 * One tile: rows [i0, i1) against columns [j0, j0 + SIL_B) of the sorted rows.
 * Adds each row's sums over the column block's clusters to R, and, unless the
 * tile is on the diagonal, each column's sums over the row block's clusters to S.
 */
US_KERNEL static void
SilTile(const SilData *s, int64_t i0, int64_t i1, int64_t j0, int diag, double *R, double *S)
{
	const int	d = s->d;
	const int	k = s->k;
	const int64_t jn = Min64(SIL_B, s->n - j0);
	double		drow[SIL_B];
	double		colacc[SIL_B];
	int32_t		cur = -1;

	for (int64_t i = i0; i < i1; i++)
	{
		int64_t		j = 0;

		SilDistRow(s->xs + i * d, s->xt + j0, s->npad, d, s->sqrtrow, drow);

		/* this row against the clusters of the column block */
		while (j < jn)
		{
			int32_t		c = s->lab[j0 + j];
			int64_t		e = Min64(s->start[c + 1] - j0, jn);

			R[i * k + c] += SilSum(drow + j, e - j);
			j = e;
		}
		if (diag)
			continue;

		/* the columns against this row's cluster */
		if (s->lab[i] != cur)
		{
			if (cur >= 0)
				for (int64_t jj = 0; jj < jn; jj++)
					S[(j0 + jj) * k + cur] += colacc[jj];
			cur = s->lab[i];
			for (int jj = 0; jj < SIL_B; jj++)
				colacc[jj] = 0.0;
		}
		for (int jj = 0; jj < SIL_B; jj++)
			colacc[jj] += drow[jj];
	}
	if (cur >= 0)
		for (int64_t jj = 0; jj < jn; jj++)
			S[(j0 + jj) * k + cur] += colacc[jj];
}

/*
 * One row against all rows: its mean distance to its own cluster (a) and the
 * smallest mean distance to another cluster (b)
 */
US_KERNEL static void
SilStreamRow(const SilData *s, int64_t i, double *a_out, double *b_out)
{
	const int	d = s->d;
	const int32_t own = s->lab[i];
	double		drow[SIL_B];
	double		a = 0.0;
	double		b = INFINITY;
	double		sum = 0.0;

	for (int64_t j0 = 0; j0 < s->n; j0 += SIL_B)
	{
		int64_t		jn = Min64(SIL_B, s->n - j0);
		int64_t		j = 0;

		SilDistRow(s->xs + i * d, s->xt + j0, s->npad, d, s->sqrtrow, drow);
		while (j < jn)
		{
			int32_t		c = s->lab[j0 + j];
			int64_t		e = Min64(s->start[c + 1] - j0, jn);

			sum += SilSum(drow + j, e - j);
			if (j0 + e == s->start[c + 1])
			{
				/* cluster c ends here */
				int64_t		cnt = s->start[c + 1] - s->start[c];

				if (c == own)
					a = cnt > 1 ? sum / (double) (cnt - 1) : NAN;
				else if (sum / (double) cnt < b)
					b = sum / (double) cnt;
				sum = 0.0;
			}
			j = e;
		}
	}
	*a_out = a;
	*b_out = b;
}

/*
 * Silhouette of one row from a and b, as scikit-learn (NaN becomes 0)
 */
static inline double
SilValue(double a, double b)
{
	double		mx;

	if (isnan(a))
		return 0.0;
	mx = a > b ? a : b;
	if (!(mx > 0.0))
		return 0.0;
	return (b - a) / mx;
}

/*
 * The exact silhouette's passes in chunks (UsParallelRun).  Symmetric form: chunk c
 * is the column blocks [bounds[c], bounds[c + 1]) with every tile above them; the
 * sums of a tile's columns go straight to S (the rows of those column blocks belong
 * to this chunk alone), the sums of its rows to the chunk's partial (rows below
 * bounds[c + 1] SIL_B), which SilCombine adds to S in chunk order.  A row of block J
 * thus gets its column sums first, in tile order, then the partials of the chunks
 * from J's own on, in chunk order: the same additions for any number of threads.
 * The partials of earlier chunks hold zeros for that row, and SilCombine of chunk c
 * touches only rows of chunks up to c, which are done.  Streamed form: chunks of
 * SIL_STREAM_CHUNK rows, each row's silhouette summed per chunk.
 */
typedef struct SilPass
{
	const SilData *s;
	double	   *S;				/* n x k sums (symmetric form) */
	const int64_t *bounds;		/* chunks + 1 column blocks */
	double	   *per_row;		/* streamed form: each row's silhouette, or NULL */
	double		total;			/* streamed form: the sum, in chunk order */
} SilPass;

static bool
SilChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
		 void *scratch, const UsParallel *par)
{
	SilPass    *sp = arg;
	const SilData *s = sp->s;
	int64_t		n = s->n;
	int64_t		r0 = sp->bounds[c] * SIL_B;
	int64_t		r1 = Min64(sp->bounds[c + 1] * SIL_B, n);

	/* this chunk's rows of S hold only its own sums yet (of a run cut short) */
	if (r1 > r0)
		memset(sp->S + r0 * s->k, 0, sizeof(double) * (size_t) (r1 - r0) * s->k);

	for (int64_t jbk = sp->bounds[c]; jbk < sp->bounds[c + 1]; jbk++)
	{
		int64_t		jb = jbk * SIL_B;

		for (int64_t ib = 0; ib <= jb; ib += SIL_B)
		{
			SilTile(s, ib, Min64(ib + SIL_B, n), jb, ib == jb, partial, sp->S);
			if (UsParallelStopping(par))
				return false;
		}
	}
	return true;
}

static void
SilCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	SilPass    *sp = arg;
	const double *p = partial;
	int64_t		rows = Min64(sp->bounds[c + 1] * SIL_B, sp->s->n);
	int64_t		cells = rows * sp->s->k;

	for (int64_t j = 0; j < cells; j++)
		sp->S[j] += p[j];
}

static bool
SilStreamChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
			   void *scratch, const UsParallel *par)
{
	SilPass    *sp = arg;
	double		total = 0.0;

	for (int64_t i = begin; i < end; i++)
	{
		double		a,
					b,
					v;

		SilStreamRow(sp->s, i, &a, &b);
		v = SilValue(a, b);
		if (sp->per_row)
			sp->per_row[sp->s->orig[i]] = v;
		total += v;
		if (UsParallelStopping(par))
			return false;
	}
	*(double *) partial = total;
	return true;
}

static void
SilStreamCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	((SilPass *) arg)->total += *(const double *) partial;
}

/*
 * Mean silhouette of all rows; per_row[n] receives each row's if not NULL
 */
double
UsSilhouette(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k,
			 double *per_row)
{
	SilData		s;
	double		total = 0.0;
	int64_t		n = m->n;

	if (n < 1 || k < 1)
		return NAN;
	SilPrepare(core, m, labels, k, &s);

	if (k <= SIL_MAX_K_SYMMETRIC(m->d))
	{
		double	   *S = UsAlloc(core, sizeof(double) * (size_t) n * k);
		int64_t		nb = (n + SIL_B - 1) / SIL_B;
		int64_t		nchunks = nb < SIL_CHUNKS ? nb : SIL_CHUNKS;
		int64_t    *bounds = UsAlloc(core, sizeof(int64_t) * (size_t) (nchunks + 1));
		SilPass		sp;
		UsParallelFor pf;

		/* column blocks per chunk, about the same number of tiles in each */
		{
			double		tiles = (double) nb * (double) (nb + 1) / 2.0;
			double		cum = 0.0;
			int64_t		c = 1;

			bounds[0] = 0;
			for (int64_t jb = 0; jb < nb && c < nchunks; jb++)
			{
				cum += (double) (jb + 1);
				if (cum >= tiles * (double) c / (double) nchunks)
					bounds[c++] = jb + 1;
			}
			for (; c <= nchunks; c++)
				bounds[c] = nb;
		}
		sp.s = &s;
		sp.S = S;
		sp.bounds = bounds;
		sp.total = 0.0;
		pf.n = nchunks;
		pf.chunk = 1;
		pf.partial_bytes = sizeof(double) * (size_t) n * k;
		pf.scratch_bytes = 0;
		pf.run = SilChunk;
		pf.combine = SilCombine;
		pf.arg = &sp;
		UsParallelRun(core, &pf);
		UsFree(core, bounds);

		for (int64_t i = 0; i < n; i++)
		{
			int32_t		own = s.lab[i];
			int64_t		cnt = s.start[own + 1] - s.start[own];
			double		a = cnt > 1 ? S[i * k + own] / (double) (cnt - 1) : NAN;
			double		b = INFINITY;
			double		v;

			for (int c = 0; c < k; c++)
			{
				double		mc;

				if (c == own)
					continue;
				mc = S[i * k + c] / (double) (s.start[c + 1] - s.start[c]);
				if (mc < b)
					b = mc;
			}
			v = SilValue(a, b);
			if (per_row)
				per_row[s.orig[i]] = v;
			total += v;
			if (i % 64 == 63)
				UsCheck(core);
		}
		UsFree(core, S);
	}
	else
	{
		SilPass		sp;
		UsParallelFor pf;

		sp.s = &s;
		sp.S = NULL;
		sp.bounds = NULL;
		sp.per_row = per_row;
		sp.total = 0.0;
		pf.n = n;
		pf.chunk = SIL_STREAM_CHUNK;
		pf.partial_bytes = sizeof(double);
		pf.scratch_bytes = 0;
		pf.run = SilStreamChunk;
		pf.combine = SilStreamCombine;
		pf.arg = &sp;
		UsParallelRun(core, &pf);
		total = sp.total;
	}

	UsFree(core, s.xs);
	UsFree(core, s.xt);
	UsFree(core, s.lab);
	UsFree(core, s.orig);
	UsFree(core, s.start);
	return total / (double) n;
}

/*
 * Cluster means (k x d) and sizes of the rows times f (a power of two)
 */
static void
Centroids(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k, double f,
		  double *cent, int64_t *cnt)
{
	int			d = m->d;

	for (int64_t i = 0; i < m->n; i++)
	{
		const double *x = m->x + i * d;
		double	   *c = cent + (int64_t) labels[i] * d;

		for (int j = 0; j < d; j++)
			c[j] += x[j] * f;
		cnt[labels[i]]++;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	for (int c = 0; c < k; c++)
		for (int j = 0; j < d; j++)
			cent[(int64_t) c * d + j] /= (double) cnt[c];
}

/*
 * Sum of squared distances of rows times f to their cluster's mean
 */
static double
WithinSquares(const UsCore *core, const UsMatrix *m, const int32_t *labels, double f,
			  const double *cent)
{
	int			d = m->d;
	double		sum = 0.0;

	for (int64_t i = 0; i < m->n; i++)
	{
		const double *x = m->x + i * d;
		const double *c = cent + (int64_t) labels[i] * d;

		for (int j = 0; j < d; j++)
		{
			double		t = x[j] * f - c[j];

			sum += t * t;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	return sum;
}

/*
 * Inertia in the data's units: Infinity when it is out of the range of float8
 * (the caller reports that); computed on the rows times 2^shift, then scaled back
 */
double
UsInertia(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k)
{
	double	   *cent;
	int64_t    *cnt;
	double		r;
	int			shift;

	if (m->n < 1 || k < 1)
		return NAN;
	shift = UsSafeShift(core, m->x, m->n * m->d);
	cent = UsAlloc(core, sizeof(double) * (size_t) k * m->d);
	cnt = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	Centroids(core, m, labels, k, ldexp(1.0, shift), cent, cnt);
	r = WithinSquares(core, m, labels, ldexp(1.0, shift), cent);
	UsFree(core, cent);
	UsFree(core, cnt);
	return ldexp(r, -2 * shift);
}

double
UsCalinskiHarabasz(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k)
{
	int			d = m->d;
	int64_t		n = m->n;
	double	   *cent;
	double	   *mean;
	int64_t    *cnt;
	double		extra = 0.0;
	double		intra;
	double		f;

	if (n < 1 || k < 1)
		return NAN;
	/* a ratio of squared distances: the same on the rows times a power of two */
	f = ldexp(1.0, UsSafeShift(core, m->x, n * d));
	cent = UsAlloc(core, sizeof(double) * (size_t) k * d);
	mean = UsAlloc(core, sizeof(double) * (size_t) d);
	cnt = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	Centroids(core, m, labels, k, f, cent, cnt);
	for (int64_t i = 0; i < n; i++)
	{
		for (int j = 0; j < d; j++)
			mean[j] += m->x[i * d + j] * f;
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	for (int j = 0; j < d; j++)
		mean[j] /= (double) n;
	for (int c = 0; c < k; c++)
	{
		double		ss = 0.0;

		for (int j = 0; j < d; j++)
		{
			double		t = cent[(int64_t) c * d + j] - mean[j];

			ss += t * t;
		}
		extra += (double) cnt[c] * ss;
	}
	intra = WithinSquares(core, m, labels, f, cent);
	UsFree(core, cent);
	UsFree(core, mean);
	UsFree(core, cnt);
	if (intra == 0.0)
		return 1.0;
	return extra * (double) (n - k) / (intra * ((double) k - 1.0));
}

static inline double
Dist(const double *x, const double *y, int d)
{
	return sqrt(UsSqDist(x, y, d));
}

/* Distance of row x times f to center c */
static inline double
DistScaled(const double *x, double f, const double *c, int d)
{
	double		s0 = 0.0;
	double		s1 = 0.0;
	int			j = 0;

	/* summed as UsSqDist sums */
	for (; j + 1 < d; j += 2)
	{
		double		t0 = x[j] * f - c[j];
		double		t1 = x[j + 1] * f - c[j + 1];

		s0 += t0 * t0;
		s1 += t1 * t1;
	}
	if (j < d)
	{
		double		t = x[j] * f - c[j];

		s0 += t * t;
	}
	return sqrt(s0 + s1);
}

double
UsDaviesBouldin(const UsCore *core, const UsMatrix *m, const int32_t *labels, int k)
{
	int			d = m->d;
	double	   *cent;
	double	   *intra;
	int64_t    *cnt;
	bool		intra_zero = true;
	bool		cdist_zero = true;
	double		total = 0.0;
	int			shift;
	double		f;

	if (m->n < 1 || k < 1)
		return NAN;
	/* ratios of distances, on the rows times 2^shift; thresholds in data units */
	shift = UsSafeShift(core, m->x, m->n * d);
	f = ldexp(1.0, shift);
	cent = UsAlloc(core, sizeof(double) * (size_t) k * d);
	intra = UsAlloc(core, sizeof(double) * (size_t) k);
	cnt = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	Centroids(core, m, labels, k, f, cent, cnt);
	for (int64_t i = 0; i < m->n; i++)
	{
		intra[labels[i]] += DistScaled(m->x + i * d, f, cent + (int64_t) labels[i] * d, d);
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	for (int c = 0; c < k; c++)
	{
		intra[c] /= (double) cnt[c];
		if (ldexp(fabs(intra[c]), -shift) > 1e-8)
			intra_zero = false;
	}

	for (int a = 0; a < k; a++)
	{
		double		worst = 0.0;

		for (int b = 0; b < k; b++)
		{
			double		cd;
			double		r;

			if (b == a)
				continue;
			cd = Dist(cent + (int64_t) a * d, cent + (int64_t) b * d, d);
			if (ldexp(cd, -shift) > 1e-8)
				cdist_zero = false;
			if (cd == 0.0)
				continue;		/* counts as infinitely far: ratio 0 */
			r = (intra[a] + intra[b]) / cd;
			if (r > worst)
				worst = r;
		}
		total += worst;
		if (a % 64 == 63)
			UsCheck(core);
	}
	UsFree(core, cent);
	UsFree(core, intra);
	UsFree(core, cnt);
	if (intra_zero || cdist_zero)
		return 0.0;
	return total / (double) k;
}
