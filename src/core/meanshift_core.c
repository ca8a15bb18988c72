/*-------------------------------------------------------------------------
 *
 * meanshift_core.c
 *	  Mean Shift with a flat kernel, scikit-learn 1.2's MeanShift and
 *	  estimate_bandwidth (sklearn/cluster/_mean_shift.py), over the neighbour index.
 *
 * The fit, step by step as scikit-learn's:
 *	1. Seeds: every row, or with bin seeding the bins of side bandwidth (each value
 *	   rounded half to even, numpy's np.round, after dividing by the bandwidth) that
 *	   hold at least min_bin_freq rows, each seed stored as float32 times the
 *	   bandwidth in float32 arithmetic (numpy 1.24 keeps a float32 array float32 when
 *	   multiplied by a scalar).  When every row is a bin of its own, every row is a
 *	   seed (scikit-learn warns and does the same).  Bins are found by sorting row
 *	   numbers by their rounded coordinates; a seed is kept as the row number of the
 *	   bin's first row, so seeds take n int32 and no copy of the matrix.
 *	2. Each seed climbs: the mean of the rows within the bandwidth (inclusive), until
 *	   the mean moves less than 1e-3 bandwidth or after max_iter steps (max_iter + 1
 *	   means at most, as scikit-learn counts).  A seed with no row within the
 *	   bandwidth is dropped.  n_iter is the most steps of any seed.
 *	3. The distinct final means (equal coordinates are one centre, as the keys of
 *	   scikit-learn's dict; the number of rows of the last step is its intensity) are
 *	   sorted by intensity, then by coordinates, both descending; a centre within the
 *	   bandwidth of an earlier kept one is suppressed.  The centres kept are numbered
 *	   in that order.
 *	   An estimated bandwidth may be 0 (quantile of the rows are duplicates of each
 *	   row): every row is a seed, no step moves less than 0, so each runs max_iter
 *	   steps, and every distinct row is a centre, as in scikit-learn.
 *	4. Each row takes the label of its nearest centre (ties to the lower number);
 *	   with cluster_all false a row farther than the bandwidth from every centre is
 *	   US_NOISE.
 *
 * Means.  On a k-d tree a mean walks the index's nodes itself (MsTreeMean): each
 * node's coordinate sums are computed once after the build, so a node that lies within
 * the bandwidth adds its sums at once and a mean costs the nodes and the boundary
 * leaves' rows, not every row within the bandwidth; on a grid or by brute force it is
 * a radius query of the index.  Sums are compensated (Neumaier), so a mean does not depend on the
 * order rows are visited in (scikit-learn sums in its tree's order, plainly; the two
 * agree to a few units in the last place).
 *
 * estimate_bandwidth: the mean over the rows (or a sample of n_samples rows drawn as
 * numpy's RandomState(seed).permutation: MT19937 and its bounded draws, so the sample
 * is scikit-learn's) of the distance to the k-th nearest row, itself included, with
 * k = int(rows * quantile) (at least 1).  The distances are summed as scikit-learn
 * does: numpy's pairwise sum per batch of 500 rows, the batches one after another.
 * The k-th distance of a row is a selection, not a k-NN query (k is 30% of the rows
 * by default, where no index prunes): its distances to every row, squared and summed
 * in column order as scikit-learn's k-d tree sums them, bracketed by a sample of them
 * so that one branch-free pass (four rows at a time) keeps only the few near the k-th
 * (MsKthBlock).
 *
 * Threads (UsParallelRun, parallel_core.c): estimate_bandwidth's rows in batches of
 * MS_BATCH, each batch's k-th distances computed on any thread and the batches summed
 * in order by the loop's combine (MsEstimateChunk); the seeds' climbs in chunks of
 * MS_SEED_CHUNK seeds, their final means recorded in seed order by the combine
 * (MsClimbChunk).  Each seed's and each row's work reads only the matrix and the
 * index, so the bandwidth, the centres and the labels are the same for every number
 * of threads, bit for bit.  The sort of bins, the suppression and the labels run on
 * the calling thread (O(n log n), and O(n k) with few centres).
 *
 * Complexity: seeds x steps radius queries; labels one nearest-centre query per row;
 * estimate_bandwidth rows^2 distances.  Memory beyond the matrix: the index (n int32
 * and 2 d doubles and 4 int32 per node, a node per 16 rows or so), n int32 for seeds
 * and n int32 labels, the node sums (d doubles per node), the distinct centres (d
 * doubles each, with room for the MS_SEED_ROUND more of a round), per thread 5 d
 * doubles and two chunks of final means; and for estimate_bandwidth the permutation
 * (n int64), the sample (a copy of n_samples rows when fewer than n) and per thread
 * 1.5 doubles per row of it (every distance of one row, and the kept ones of four
 * rows) and two batches of k-th distances.
 *
 * Interrupts: the index checks every US_CHECK_EVERY distances; the loops over seeds,
 * rows, bins and centres check every US_CHECK_EVERY steps, the k-th distance loop
 * every US_CHECK_EVERY distances; on threads, the chunks poll UsParallelStopping as
 * often instead (radius queries through a UsNeighborPoll).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "uscore.h"

/* Rows per batch of estimate_bandwidth's sum (scikit-learn's gen_batches(n, 500)) */
#define MS_BATCH 500

/* ---- numpy's RandomState: MT19937 (Matsumoto & Nishimura 1998) ---- */

typedef struct MsMt
{
	uint32_t	key[624];
	int			pos;
} MsMt;

static void
MsMtSeed(MsMt *mt, uint32_t seed)
{
	for (int i = 0; i < 624; i++)
	{
		mt->key[i] = seed;
		seed = 1812433253U * (seed ^ (seed >> 30)) + (uint32_t) (i + 1);
	}
	mt->pos = 624;
}

static uint32_t
MsMtNext(MsMt *mt)
{
	uint32_t	y;

	if (mt->pos == 624)
	{
		for (int i = 0; i < 624; i++)
		{
			y = (mt->key[i] & 0x80000000U) | (mt->key[(i + 1) % 624] & 0x7fffffffU);
			mt->key[i] = mt->key[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1U) ? 0x9908b0dfU : 0U);
		}
		mt->pos = 0;
	}
	y = mt->key[mt->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

/* numpy's legacy random_interval: uniform in [0, max] by masked rejection */
static uint64_t
MsMtInterval(MsMt *mt, uint64_t max)
{
	uint64_t	mask = max;
	uint64_t	v;

	if (max == 0)
		return 0;
	mask |= mask >> 1;
	mask |= mask >> 2;
	mask |= mask >> 4;
	mask |= mask >> 8;
	mask |= mask >> 16;
	mask |= mask >> 32;
	if (max <= 0xffffffffU)
	{
		while ((v = (MsMtNext(mt) & mask)) > max)
			;
	}
	else
	{
		for (;;)
		{
			uint64_t	hi = MsMtNext(mt);

			v = ((hi << 32) | MsMtNext(mt)) & mask;
			if (v <= max)
				break;
		}
	}
	return v;
}

void
UsRandomStatePermutation(const UsCore *core, uint32_t seed, int64_t n, int64_t *perm)
{
	MsMt	   *mt = UsAlloc(core, sizeof(MsMt));

	MsMtSeed(mt, seed);
	for (int64_t i = 0; i < n; i++)
		perm[i] = i;
	for (int64_t i = n - 1; i >= 1; i--)
	{
		int64_t		j = (int64_t) MsMtInterval(mt, (uint64_t) i);
		int64_t		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
		if (i % US_CHECK_EVERY == 0)
			UsCheck(core);
	}
	UsFree(core, mt);
}

/* ---- estimate_bandwidth ---- */

/* numpy's pairwise summation of doubles (pairwise_sum_DOUBLE, blocks of 128) */
static double
MsPairwiseSum(const double *a, int64_t n)
{
	if (n < 8)
	{
		double		s = 0.0;

		for (int64_t i = 0; i < n; i++)
			s += a[i];
		return s;
	}
	if (n <= 128)
	{
		double		r[8];
		int64_t		i;
		double		s;

		for (int j = 0; j < 8; j++)
			r[j] = a[j];
		for (i = 8; i < n - (n % 8); i += 8)
			for (int j = 0; j < 8; j++)
				r[j] += a[i + j];
		s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			s += a[i];
		return s;
	}
	{
		int64_t		n2 = n / 2;

		n2 -= n2 % 8;
		return MsPairwiseSum(a, n2) + MsPairwiseSum(a + n2, n - n2);
	}
}

/* Squared distance summed in column order (as scikit-learn's k-d tree, the index) */
static inline double
MsSqDist(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/* The k-th smallest (1-based) of v[0..n), reordering v (Hoare's selection) */
static double
MsSelect(double *v, int64_t n, int64_t k)
{
	int64_t		lo = 0;
	int64_t		hi = n - 1;
	int64_t		want = k - 1;

	while (hi > lo)
	{
		int64_t		mid = lo + (hi - lo) / 2;
		double		a = v[lo];
		double		b = v[mid];
		double		c = v[hi];
		double		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		int64_t		i = lo;
		int64_t		j = hi;

		while (i <= j)
		{
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j)
			{
				double		t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			return v[want];
	}
	return v[want];
}

/*
 * The k-th distance of a row: a sample of MS_SAMPLE of its distances brackets the
 * k-th one in [lo, hi] (ranks three standard deviations and two either side of k's),
 * one branch-free pass over every row counts the rows within lo and keeps those
 * between lo and hi, and the k-th is selected from those kept.  The pass takes
 * MS_LANES rows at a time, one per vector lane, each lane summing its squared
 * differences in column order (the same sums, bit for bit, as one row alone).  When
 * the bracket misses or more rows fall in it than its buffer holds (rarely), the
 * k-th is selected from every distance of that row.
 */
#define MS_SAMPLE 1024
#define MS_LANES 4

typedef struct MsKthWork
{
	int64_t		cap;			/* values each lane's buffer keeps (it has cap + 1) */
	double	   *lane[MS_LANES];
	double	   *all;			/* n: every distance of one row */
	double	   *sample;			/* MS_SAMPLE */
	double	   *qt;				/* d x MS_LANES: the block's rows, transposed */
} MsKthWork;

/*
 * One pass over every row of s for MS_LANES query rows (qt, transposed): per lane
 * the rows within lo2 are counted, those above it up to hi2 kept in lane[l] (writes
 * past cap land on its spare last slot; kept[l] > cap then says it overflowed)
 */
#if defined(__GNUC__)
/* MS_LANES doubles, one vector (GCC's and Clang's vector extension) */
typedef double MsLanes __attribute__((vector_size(MS_LANES * sizeof(double))));
#endif

static US_KERNEL bool
MsKthScan(const UsParallel *par, const UsMatrix *s, const double *qt, const double *lo2,
		  const double *hi2, double *const *lane, int64_t cap, int64_t *below, int64_t *kept)
{
	int			d = s->d;
	int64_t		nb[MS_LANES] = {0};
	int64_t		nk[MS_LANES] = {0};

	for (int64_t j = 0; j < s->n; j++)
	{
		const double *x = s->x + j * d;
		double		acc[MS_LANES];

#if defined(__GNUC__)
		MsLanes		v = {0.0, 0.0, 0.0, 0.0};

		for (int c = 0; c < d; c++)
		{
			MsLanes		q;
			MsLanes		t;

			memcpy(&q, qt + c * MS_LANES, sizeof(q));
			t = x[c] - q;
			v += t * t;
		}
		memcpy(acc, &v, sizeof(acc));
#else
		for (int l = 0; l < MS_LANES; l++)
			acc[l] = 0.0;
		for (int c = 0; c < d; c++)
			for (int l = 0; l < MS_LANES; l++)
			{
				double		t = x[c] - qt[c * MS_LANES + l];

				acc[l] += t * t;
			}
#endif
		for (int l = 0; l < MS_LANES; l++)
		{
			nb[l] += acc[l] <= lo2[l];
			lane[l][nk[l] < cap ? nk[l] : cap] = acc[l];
			nk[l] += (acc[l] > lo2[l]) & (acc[l] <= hi2[l]);
		}
		if (j % (US_CHECK_EVERY / MS_LANES) == US_CHECK_EVERY / MS_LANES - 1 &&
			UsParallelStopping(par))
			return false;
	}
	for (int l = 0; l < MS_LANES; l++)
	{
		below[l] = nb[l];
		kept[l] = nk[l];
	}
	return true;
}

/*
 * The k-th smallest squared distance from q to every row of s, from all of them, into
 * *out; false when par says stop (every US_CHECK_EVERY distances)
 */
static bool
MsKthAll(const UsParallel *par, const UsMatrix *s, const double *q, int64_t k, double *all,
		 double *out)
{
	for (int64_t j = 0; j < s->n; j++)
	{
		all[j] = MsSqDist(q, s->x + j * s->d, s->d);
		if (j % US_CHECK_EVERY == US_CHECK_EVERY - 1 && UsParallelStopping(par))
			return false;
	}
	*out = MsSelect(all, s->n, k);
	return true;
}

/*
 * The k-th smallest squared distances (1 <= k <= s->n) from nq <= MS_LANES rows q[]
 * to the rows of s, into out[nq]; false when par says stop
 */
static bool
MsKthBlock(const UsParallel *par, const UsMatrix *s, const double *const *q, int nq,
		   int64_t k, MsKthWork *w, double *out)
{
	int			d = s->d;
	int64_t		n = s->n;
	double		f = (double) k / (double) n;
	double		sd = sqrt((double) MS_SAMPLE * f * (1.0 - f));
	int64_t		rlo = (int64_t) floor(f * (double) MS_SAMPLE - 3.0 * sd - 2.0);
	int64_t		rhi = (int64_t) ceil(f * (double) MS_SAMPLE + 3.0 * sd + 2.0);
	double		lo2[MS_LANES];
	double		hi2[MS_LANES];
	int64_t		below[MS_LANES];
	int64_t		kept[MS_LANES];

	if (n <= MS_SAMPLE)
	{
		for (int l = 0; l < nq; l++)
			if (!MsKthAll(par, s, q[l], k, w->all, &out[l]))
				return false;
		return true;
	}
	for (int l = 0; l < MS_LANES; l++)
	{
		/* lanes past nq repeat the first row */
		const double *ql = q[l < nq ? l : 0];

		for (int c = 0; c < d; c++)
			w->qt[c * MS_LANES + l] = ql[c];
		for (int64_t i = 0; i < MS_SAMPLE; i++)
			w->sample[i] = MsSqDist(ql, s->x + (i * n / MS_SAMPLE) * d, d);
		lo2[l] = rlo >= 1 ? MsSelect(w->sample, MS_SAMPLE, rlo) : -1.0;
		hi2[l] = rhi <= MS_SAMPLE ? MsSelect(w->sample, MS_SAMPLE, rhi) : INFINITY;
	}
	if (!MsKthScan(par, s, w->qt, lo2, hi2, w->lane, w->cap, below, kept))
		return false;
	for (int l = 0; l < nq; l++)
	{
		if (kept[l] <= w->cap && below[l] < k && below[l] + kept[l] >= k)
			out[l] = MsSelect(w->lane[l], kept[l], k - below[l]);
		else if (!MsKthAll(par, s, q[l], k, w->all, &out[l]))
			return false;
	}
	return true;
}

/*
 * estimate_bandwidth's rows in chunks of MS_BATCH (UsParallelRun): a chunk computes
 * the k-th distances of its batch of rows into its partial (MS_BATCH doubles), with
 * MsKthWork in its thread's scratch; the batches' pairwise sums are added in chunk
 * order by the combine, as scikit-learn adds them one batch after another.
 * Chunks start at multiples of MS_BATCH, a multiple of MS_LANES, so the blocks of
 * MS_LANES rows are those of one pass over every row.  A chunk writes only its partial
 * and its scratch: cut short, it runs again to the same values.
 */
typedef struct MsEstimate
{
	const UsMatrix *s;			/* the rows (or the sample) */
	const int64_t *perm;		/* the order of the rows, or NULL */
	int64_t		k;
	int64_t		cap;			/* MsKthWork.cap */
	double		total;
} MsEstimate;

/* Doubles of one thread's MsKthWork for s->n rows of d columns, with cap */
static size_t
MsKthWorkDoubles(int64_t n, int d, int64_t cap)
{
	return (size_t) MS_LANES * (size_t) (cap + 1) + (size_t) n + MS_SAMPLE +
		(size_t) d * MS_LANES;
}

static bool
MsEstimateChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				void *scratch, const UsParallel *par)
{
	const MsEstimate *e = arg;
	const UsMatrix *s = e->s;
	double	   *kth = partial;
	double	   *buf = scratch;
	MsKthWork	w;

	w.cap = e->cap;
	for (int l = 0; l < MS_LANES; l++)
		w.lane[l] = buf + (size_t) l * (size_t) (e->cap + 1);
	w.all = buf + (size_t) MS_LANES * (size_t) (e->cap + 1);
	w.sample = w.all + s->n;
	w.qt = w.sample + MS_SAMPLE;
	for (int64_t p = begin; p < end; p += MS_LANES)
	{
		/* the rows in the sample's order (the permutation's when it is every row) */
		const double *q[MS_LANES];
		int			nq = (int) (end - p < MS_LANES ? end - p : MS_LANES);

		for (int l = 0; l < nq; l++)
			q[l] = s->x + (e->perm ? e->perm[p + l] : p + l) * s->d;
		if (!MsKthBlock(par, s, q, nq, e->k, &w, kth + (p - begin)))
			return false;
		for (int l = 0; l < nq; l++)
			kth[p - begin + l] = sqrt(kth[p - begin + l]);
		/* a small s: the pass polled too seldom */
		if (s->n < US_CHECK_EVERY && UsParallelStopping(par))
			return false;
	}
	return true;
}

static void
MsEstimateCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	MsEstimate *e = arg;

	e->total += MsPairwiseSum(partial, end - begin);
}

size_t
UsEstimateBandwidthBytes(int64_t n, int d, int64_t n_samples, int workers)
{
	int64_t		ns = n_samples > 0 && n_samples < n ? n_samples : n;
	int64_t		nchunks = ns / MS_BATCH + 1;
	size_t		w = (size_t) (workers > 1 ? workers : 1);
	size_t		b = sizeof(int64_t) * (size_t) n;

	if (w > (size_t) nchunks)
		w = (size_t) nchunks;
	if (ns < n)
		b += sizeof(double) * (size_t) ns * (size_t) d;
	/*
	 * per thread: every distance of a row and the lanes' buffers (1.5 rows doubles);
	 * two batches of k-th distances per thread, and the chunks' states
	 */
	return b + w * (sizeof(double) * MsKthWorkDoubles(ns, d, ns / 8 + 64) + 64) +
		2 * w * (sizeof(double) * MS_BATCH + 64) + (size_t) nchunks * 8 + 4096;
}

double
UsEstimateBandwidth(const UsCore *core, const UsMatrix *m, double quantile,
					int64_t n_samples, uint32_t seed)
{
	int			d = m->d;
	int64_t		n = m->n;
	int64_t    *perm = NULL;
	UsMatrix	s = *m;
	MsEstimate	e;
	UsParallelFor pf;

	if (n < 1)
		return NAN;
	if (n_samples > 0)
	{
		perm = UsAlloc(core, sizeof(int64_t) * (size_t) n);
		UsRandomStatePermutation(core, seed, n, perm);
		if (n_samples < n)
		{
			/* X[idx[:n_samples]]: a copy, in the permutation's order */
			s.n = n_samples;
			s.x = UsAlloc(core, sizeof(double) * (size_t) n_samples * (size_t) d);
			for (int64_t i = 0; i < n_samples; i++)
			{
				memcpy(s.x + i * d, m->x + perm[i] * d, sizeof(double) * (size_t) d);
				if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
					UsCheck(core);
			}
			UsFree(core, perm);
			perm = NULL;
		}
	}
	e.s = &s;
	e.perm = perm;
	e.k = (int64_t) ((double) s.n * quantile);
	if (e.k < 1)
		e.k = 1;
	if (e.k > s.n)
		e.k = s.n;
	e.cap = s.n / 8 + 64;
	e.total = 0.0;
	memset(&pf, 0, sizeof(pf));
	pf.n = s.n;
	pf.chunk = MS_BATCH;
	pf.partial_bytes = sizeof(double) * MS_BATCH;
	pf.scratch_bytes = sizeof(double) * MsKthWorkDoubles(s.n, d, e.cap);
	pf.run = MsEstimateChunk;
	pf.combine = MsEstimateCombine;
	pf.arg = &e;
	UsParallelRun(core, &pf);
	if (s.x != m->x)
		UsFree(core, s.x);
	UsFree(core, perm);
	return e.total / (double) s.n;
}

/* ---- the fit ---- */

/* One radius query's mean: a compensated sum per column and the count */
typedef struct MsMeanAcc
{
	const UsMatrix *m;
	const double *node_sum;		/* per k-d tree node: d sums, or NULL */
	double	   *sum;
	double	   *comp;
	int64_t		count;
} MsMeanAcc;

static bool
MsVisitRow(void *arg, int64_t j, double sqdist)
{
	MsMeanAcc  *a = arg;
	int			d = a->m->d;
	const double *x = a->m->x + j * d;

	(void) sqdist;
	for (int c = 0; c < d; c++)
		UsNeumaierAdd(&a->sum[c], &a->comp[c], x[c]);
	a->count++;
	return true;
}

static bool
MsVisitNode(void *arg, int64_t node, const int32_t *rows, int64_t count)
{
	MsMeanAcc  *a = arg;
	int			d = a->m->d;
	const double *s = a->node_sum + node * d;

	(void) rows;
	for (int c = 0; c < d; c++)
		UsNeumaierAdd(&a->sum[c], &a->comp[c], s[c]);
	a->count += count;
	return true;
}

/* Sums of each k-d tree node's rows, d per node (children have higher ids) */
static double *
MsNodeSums(const UsCore *core, const UsNeighbors *ix)
{
	int			d = ix->m->d;
	double	   *ns = UsAlloc(core, sizeof(double) * (size_t) ix->nnodes * (size_t) d);
	double	   *comp = UsAlloc(core, sizeof(double) * (size_t) d);

	for (int64_t id = ix->nnodes - 1; id >= 0; id--)
	{
		double	   *s = ns + id * d;

		if (ix->node_left[id] < 0)
		{
			memset(comp, 0, sizeof(double) * (size_t) d);
			for (int64_t p = ix->node_start[id]; p < ix->node_end[id]; p++)
			{
				const double *x = ix->m->x + (int64_t) ix->order[p] * d;

				for (int c = 0; c < d; c++)
					UsNeumaierAdd(&s[c], &comp[c], x[c]);
			}
			for (int c = 0; c < d; c++)
				s[c] += comp[c];
		}
		else
		{
			const double *l = ns + ix->node_left[id] * d;
			const double *r = ns + ix->node_right[id] * d;

			for (int c = 0; c < d; c++)
				s[c] = l[c] + r[c];
		}
		if (id % US_CHECK_EVERY == 0)
			UsCheck(core);
	}
	UsFree(core, comp);
	return ns;
}

/*
 * A radius query's sum over the k-d tree's nodes, without visitors: a node farther than
 * r is pruned, a node within r (its box's farthest corner is) adds its sums, a leaf
 * adds its rows within r.  Both box bounds come from one pass over the columns, summed
 * in column order as the index sums them, so the rows counted are the index's exactly.
 * Leaves' rows are summed plainly, each leaf's sum then compensated into the total.
 */
static bool
MsTreeMean(const UsNeighbors *ix, int64_t id, const double *q, double r2, MsMeanAcc *a,
		   double *leaf, UsNeighborPoll *poll)
{
	int			d = ix->m->d;
	const double *lo = ix->box + (size_t) id * 2 * d;
	const double *hi = lo + d;
	double		near = 0.0;
	double		far = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		u = q[j] - lo[j];
		double		v = hi[j] - q[j];
		double		t = u < 0.0 ? -u : (v < 0.0 ? -v : 0.0);
		double		f = u > v ? u : v;

		near += t * t;
		far += f * f;
	}
	poll->work += d;
	if (near > r2)
		return true;
	if (far <= r2)
	{
		const double *s = a->node_sum + id * d;

		for (int c = 0; c < d; c++)
			UsNeumaierAdd(&a->sum[c], &a->comp[c], s[c]);
		a->count += ix->node_end[id] - ix->node_start[id];
		return true;
	}
	if (ix->node_left[id] < 0)
	{
		int64_t		got = 0;

		for (int c = 0; c < d; c++)
			leaf[c] = 0.0;
		for (int64_t p = ix->node_start[id]; p < ix->node_end[id]; p++)
		{
			const double *x = ix->m->x + (int64_t) ix->order[p] * d;

			if (MsSqDist(q, x, d) <= r2)
			{
				for (int c = 0; c < d; c++)
					leaf[c] += x[c];
				got++;
			}
		}
		if (got > 0)
		{
			for (int c = 0; c < d; c++)
				UsNeumaierAdd(&a->sum[c], &a->comp[c], leaf[c]);
			a->count += got;
		}
		return UsNeighborPollWork(poll, (ix->node_end[id] - ix->node_start[id]) * d);
	}
	return MsTreeMean(ix, ix->node_left[id], q, r2, a, leaf, poll) &&
		MsTreeMean(ix, ix->node_right[id], q, r2, a, leaf, poll);
}

/* The distinct final means: open addressing on their bits */
typedef struct MsCenters
{
	const UsCore *core;
	int			d;
	int64_t		count;
	int64_t		cap;			/* a power of 2, centres at most cap / 2 */
	double	   *x;				/* count x d, in order of first appearance */
	int64_t    *intensity;		/* count */
	int64_t    *slot;			/* cap: a centre + 1, or 0 */
} MsCenters;

static uint64_t
MsHash(const double *x, int d)
{
	uint64_t	h = 1469598103934665603ULL;

	for (int c = 0; c < d; c++)
	{
		double		v = x[c] == 0.0 ? 0.0 : x[c];	/* -0 is 0, as in a tuple */
		uint64_t	b;

		memcpy(&b, &v, sizeof(b));
		h = (h ^ b) * 1099511628211ULL;
		h ^= h >> 29;
	}
	return h;
}

static void
MsCentersGrow(MsCenters *c)
{
	int64_t		cap = c->cap ? c->cap * 2 : 64;
	double	   *x = UsAlloc(c->core, sizeof(double) * (size_t) (cap / 2) * (size_t) c->d);
	int64_t    *in = UsAlloc(c->core, sizeof(int64_t) * (size_t) (cap / 2));
	int64_t    *slot = UsAlloc(c->core, sizeof(int64_t) * (size_t) cap);

	if (c->count > 0)
	{
		memcpy(x, c->x, sizeof(double) * (size_t) c->count * (size_t) c->d);
		memcpy(in, c->intensity, sizeof(int64_t) * (size_t) c->count);
	}
	for (int64_t i = 0; i < c->count; i++)
	{
		uint64_t	h = MsHash(x + i * c->d, c->d) & (uint64_t) (cap - 1);

		while (slot[h])
			h = (h + 1) & (uint64_t) (cap - 1);
		slot[h] = i + 1;
	}
	UsFree(c->core, c->x);
	UsFree(c->core, c->intensity);
	UsFree(c->core, c->slot);
	c->x = x;
	c->intensity = in;
	c->slot = slot;
	c->cap = cap;
}

/* Room for extra more centres, so that the next extra MsCentersPut allocate nothing */
static void
MsCentersReserve(MsCenters *c, int64_t extra)
{
	while (c->count + extra > c->cap / 2)
		MsCentersGrow(c);
}

/* Record a final mean (a later equal mean's intensity replaces the earlier one's) */
static void
MsCentersPut(MsCenters *c, const double *mean, int64_t intensity)
{
	uint64_t	h;

	if (c->count + 1 > c->cap / 2)
		MsCentersGrow(c);
	h = MsHash(mean, c->d) & (uint64_t) (c->cap - 1);
	while (c->slot[h])
	{
		const double *o = c->x + (c->slot[h] - 1) * c->d;
		bool		same = true;

		for (int j = 0; j < c->d && same; j++)
			same = o[j] == mean[j];
		if (same)
		{
			c->intensity[c->slot[h] - 1] = intensity;
			return;
		}
		h = (h + 1) & (uint64_t) (c->cap - 1);
	}
	memcpy(c->x + c->count * c->d, mean, sizeof(double) * (size_t) c->d);
	c->intensity[c->count] = intensity;
	c->slot[h] = ++c->count;
}

/* Descending by intensity, then by coordinates (Python's tuple order, reversed) */
static int
MsCenterCmp(int64_t a, int64_t b, void *arg)
{
	const MsCenters *c = arg;

	if (c->intensity[a] != c->intensity[b])
		return c->intensity[a] > c->intensity[b] ? -1 : 1;
	for (int j = 0; j < c->d; j++)
	{
		double		va = c->x[a * c->d + j];
		double		vb = c->x[b * c->d + j];

		if (va != vb)
			return va > vb ? -1 : 1;
	}
	return a < b ? -1 : (a > b);
}

/* Suppression: every centre within the bandwidth of a kept one is not unique */
static bool
MsSuppress(void *arg, int64_t j, double sqdist)
{
	(void) sqdist;
	((bool *) arg)[j] = false;
	return true;
}

/* Bins: by the rounded coordinates, then by row */
typedef struct MsBinArg
{
	const UsMatrix *m;
	double		bw;
} MsBinArg;

static int
MsBinCmp(int64_t a, int64_t b, void *arg)
{
	const MsBinArg *s = arg;
	int			d = s->m->d;

	for (int j = 0; j < d; j++)
	{
		double		va = rint(s->m->x[a * d + j] / s->bw);
		double		vb = rint(s->m->x[b * d + j] / s->bw);

		if (va != vb)
			return va < vb ? -1 : 1;
	}
	return a < b ? -1 : (a > b);
}

/* A bin seed's coordinates: float32(round(x / bw)) * float32(bw) in float32 */
static void
MsBinSeed(const UsMatrix *m, int64_t row, double bw, double *out)
{
	float		fbw = (float) bw;

	for (int j = 0; j < m->d; j++)
	{
		float		b = (float) rint(m->x[row * m->d + j] / bw);

		out[j] = (double) (float) (b * fbw);
	}
}

/*
 * The seeds of bin seeding: *seeds (row numbers of each kept bin's first row, in
 * order of the bins); returns their count, or -1 when every row is a seed
 */
static int64_t
MsBinSeeds(const UsCore *core, const UsMatrix *m, double bw, int min_bin_freq,
		   int32_t **seeds)
{
	int64_t		n = m->n;
	int32_t    *idx = UsAlloc(core, sizeof(int32_t) * (size_t) n);
	MsBinArg	ba = {m, bw};
	int64_t		kept = 0;
	int64_t		p = 0;

	for (int64_t i = 0; i < n; i++)
		idx[i] = (int32_t) i;
	UsSortIndexes32(core, idx, n, MsBinCmp, &ba);
	while (p < n)
	{
		int64_t		q = p + 1;

		while (q < n)
		{
			bool		same = true;

			for (int j = 0; j < m->d && same; j++)
				same = rint(m->x[idx[p] * m->d + j] / bw) == rint(m->x[idx[q] * m->d + j] / bw);
			if (!same)
				break;
			q++;
		}
		if (q - p >= min_bin_freq)
			idx[kept++] = idx[p];	/* kept <= p: no row yet to read is overwritten */
		p = q;
		if (kept % US_CHECK_EVERY == 0)
			UsCheck(core);
	}
	if (kept == n)
	{
		UsFree(core, idx);
		*seeds = NULL;
		return -1;
	}
	*seeds = idx;
	return kept;
}

/*
 * The seeds' climbs in chunks of MS_SEED_CHUNK seeds (UsParallelRun).  Each seed's
 * climb reads only the matrix, the index and the node sums, and writes its final
 * mean, its intensity and its steps into the chunk's partial; the final means are
 * recorded in seed order, one chunk at a time (MsClimbCombine), so the distinct
 * centres, their order and intensities are those of one thread.  Each thread's
 * scratch holds its running mean, the previous one, a leaf's sum and the compensated
 * sums (5 d doubles).  A chunk cut short runs again from its first seed.
 *
 * The combine must not allocate (an allocation may raise an error, and the combine
 * runs while other threads do, possibly on one of them): the seeds go in rounds of
 * MS_SEED_ROUND, and before each round the table of centres makes room for as many
 * more (MsCentersReserve), so that recording them allocates nothing.  Rounds are
 * whole chunks: the chunks, and so the results, are the same for every number of
 * threads.
 */
#define MS_SEED_CHUNK 16
#define MS_SEED_ROUND (16 * MS_SEED_CHUNK)

typedef struct MsClimbs
{
	const UsMatrix *m;
	const UsMeanShiftParams *params;
	const UsNeighbors *ix;
	const double *node_sum;		/* k-d tree node sums, or NULL */
	const int32_t *seeds;		/* bin seeds' rows, or NULL: every row */
	int64_t		first;			/* the round's first seed */
	double		bw;
	MsCenters  *cs;
	int			n_iter;
} MsClimbs;

/* Partial of a chunk: means (MS_SEED_CHUNK x d), then intensities, then steps */
static size_t
MsClimbPartialBytes(int d)
{
	return MS_SEED_CHUNK * ((size_t) d * sizeof(double) + sizeof(int64_t) + sizeof(int64_t));
}

static bool
MsClimbChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
			 void *scratch, const UsParallel *par)
{
	const MsClimbs *cl = arg;
	const UsMatrix *m = cl->m;
	int			d = m->d;
	double		bw = cl->bw;
	double		stop = 1e-3 * bw;
	double	   *means = partial;
	int64_t    *counts = (int64_t *) (means + (size_t) MS_SEED_CHUNK * d);
	int64_t    *steps = counts + MS_SEED_CHUNK;
	double	   *mean = scratch;
	double	   *old = mean + d;
	double	   *leaf = old + d;
	MsMeanAcc	acc;
	UsNeighborVisitor vis;
	UsNeighborPoll poll = {par, 0, false};

	acc.m = m;
	acc.node_sum = cl->node_sum;
	acc.sum = leaf + d;
	acc.comp = acc.sum + d;
	vis.row = MsVisitRow;
	vis.node = cl->node_sum ? MsVisitNode : NULL;
	vis.skip = NULL;
	vis.arg = &acc;
	vis.poll = &poll;
	for (int64_t s = begin; s < end; s++)
	{
		int64_t		seed = cl->first + s;
		int			it = 0;
		bool		finite = true;

		if (cl->seeds)
			MsBinSeed(m, cl->seeds[seed], bw, mean);
		else
			memcpy(mean, m->x + seed * d, sizeof(double) * (size_t) d);
		for (int j = 0; j < d; j++)
			finite = finite && isfinite(mean[j]);
		acc.count = 0;
		while (finite)
		{
			double		moved = 0.0;

			acc.count = 0;
			memset(acc.sum, 0, sizeof(double) * (size_t) d);
			memset(acc.comp, 0, sizeof(double) * (size_t) d);
			if (cl->node_sum)
				(void) MsTreeMean(cl->ix, 0, mean, bw * bw, &acc, leaf, &poll);
			else
				(void) UsNeighborsRadiusVisit(cl->ix, mean, bw, &vis);
			if (poll.stopped)
				return false;
			if (acc.count == 0)
				break;
			memcpy(old, mean, sizeof(double) * (size_t) d);
			for (int j = 0; j < d; j++)
			{
				double		t;

				mean[j] = (acc.sum[j] + acc.comp[j]) / (double) acc.count;
				t = mean[j] - old[j];
				moved += t * t;
				finite = finite && isfinite(mean[j]);
			}
			if (!finite)
			{
				/* sums past float8's range: the seed is dropped (callers check ranges) */
				acc.count = 0;
				break;
			}
			if (sqrt(moved) < stop || it == cl->params->max_iter)
				break;
			it++;
			/* a step over few rows ticks little: count the step itself */
			poll.work += d;
		}
		memcpy(means + (s - begin) * d, mean, sizeof(double) * (size_t) d);
		counts[s - begin] = acc.count;
		steps[s - begin] = it;
		if (poll.work >= US_CHECK_EVERY)
		{
			poll.work %= US_CHECK_EVERY;
			if (UsParallelStopping(par))
				return false;
		}
	}
	return true;
}

/* Record the chunk's final means in seed order (a later equal mean's intensity wins) */
static void
MsClimbCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	MsClimbs   *cl = arg;
	int			d = cl->m->d;
	const double *means = partial;
	const int64_t *counts = (const int64_t *) (means + (size_t) MS_SEED_CHUNK * d);
	const int64_t *steps = counts + MS_SEED_CHUNK;

	for (int64_t s = 0; s < end - begin; s++)
	{
		if (counts[s] > 0)
			MsCentersPut(cl->cs, means + s * d, counts[s]);
		if (steps[s] > cl->n_iter)
			cl->n_iter = (int) steps[s];
	}
}

/*
 * The index, the node sums (counted for 4 (n / US_NN_LEAF + 1) + 1 nodes, more than a
 * tree has), n int64 for the seeds and n int32 labels.  The seeds take n int32: the 4
 * bytes a row and the nodes counted beyond the tree's cover the climbs' threads (per
 * thread two partials and 5 d doubles, 8 bytes per chunk), and every allocation is
 * checked against the budget when it is made anyway.
 */
size_t
UsMeanShiftWorkBytes(int64_t n, int d)
{
	size_t		nodes = 4 * ((size_t) n / US_NN_LEAF + 1) + 1;

	return UsNeighborsBytes(n, d) + nodes * (size_t) d * sizeof(double) +
		(size_t) n * (sizeof(int64_t) + sizeof(int32_t)) +
		64 * ((size_t) d + 2) * sizeof(double);
}

int
UsMeanShift(const UsCore *core, const UsMatrix *m, const UsMeanShiftParams *params,
			UsMeanShiftResult *result)
{
	int			d = m->d;
	int64_t		n = m->n;
	double		bw = params->bandwidth;
	UsNeighbors ix;
	double	   *node_sum = NULL;
	int32_t    *seeds = NULL;
	int64_t		nseeds = n;
	MsCenters	cs;
	MsClimbs	cl;
	UsParallelFor pf;
	int64_t    *order;
	bool	   *unique;
	UsMatrix	sorted;
	UsMatrix	kept;
	UsNeighbors cix;
	int64_t		k = 0;

	memset(result, 0, sizeof(*result));
	memset(&cs, 0, sizeof(cs));
	cs.core = core;
	cs.d = d;
	result->labels = UsAlloc(core, sizeof(int32_t) * (size_t) (n > 0 ? n : 1));
	if (n == 0)
		return US_MEANSHIFT_NO_SEED;

	/* seeds */
	if (params->bin_seeding && bw > 0.0)
	{
		nseeds = MsBinSeeds(core, m, bw, params->min_bin_freq, &seeds);
		if (nseeds < 0)
			nseeds = n;
		else
			result->seeds_binned = true;
	}
	result->nseeds = nseeds;

	/* the index over the rows, with its nodes' sums */
	UsNeighborsBuild(core, m, params->index, bw, &ix);
	if (ix.kind == US_NN_KDTREE)
		node_sum = MsNodeSums(core, &ix);

	/* each seed climbs */
	cl.m = m;
	cl.params = params;
	cl.ix = &ix;
	cl.node_sum = node_sum;
	cl.seeds = result->seeds_binned ? seeds : NULL;
	cl.bw = bw;
	cl.cs = &cs;
	cl.n_iter = 0;
	memset(&pf, 0, sizeof(pf));
	pf.chunk = MS_SEED_CHUNK;
	pf.partial_bytes = MsClimbPartialBytes(d);
	pf.scratch_bytes = 5 * (size_t) d * sizeof(double);
	pf.run = MsClimbChunk;
	pf.combine = MsClimbCombine;
	pf.arg = &cl;
	for (cl.first = 0; cl.first < nseeds; cl.first += MS_SEED_ROUND)
	{
		pf.n = nseeds - cl.first < MS_SEED_ROUND ? nseeds - cl.first : MS_SEED_ROUND;
		MsCentersReserve(&cs, pf.n);
		UsParallelRun(core, &pf);
	}
	result->n_iter = cl.n_iter;
	if (node_sum)
		UsFree(core, node_sum);
	UsFree(core, seeds);
	if (cs.count == 0)
	{
		UsFree(core, cs.x);
		UsFree(core, cs.intensity);
		UsFree(core, cs.slot);
		UsNeighborsFree(&ix);
		return US_MEANSHIFT_NO_SEED;
	}

	/* sort the distinct centres, suppress those within the bandwidth of a kept one */
	order = UsAlloc(core, sizeof(int64_t) * (size_t) cs.count);
	for (int64_t i = 0; i < cs.count; i++)
		order[i] = i;
	UsSortIndexes(core, order, cs.count, MsCenterCmp, &cs);
	sorted.n = cs.count;
	sorted.d = d;
	sorted.x = UsAlloc(core, sizeof(double) * (size_t) cs.count * (size_t) d);
	for (int64_t i = 0; i < cs.count; i++)
		memcpy(sorted.x + i * d, cs.x + order[i] * d, sizeof(double) * (size_t) d);
	unique = UsAlloc(core, sizeof(bool) * (size_t) cs.count);
	for (int64_t i = 0; i < cs.count; i++)
		unique[i] = true;
	UsNeighborsBuild(core, &sorted, US_NN_AUTO, bw, &cix);
	for (int64_t i = 0; i < cs.count; i++)
	{
		if (unique[i])
		{
			UsNeighborsRadius(&cix, sorted.x + i * d, bw, MsSuppress, unique);
			unique[i] = true;
			k++;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	UsNeighborsFree(&cix);
	result->k = (int) k;
	result->centers = UsAlloc(core, sizeof(double) * (size_t) k * (size_t) d);
	result->intensity = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	result->sizes = UsAlloc(core, sizeof(int64_t) * (size_t) k);
	k = 0;
	for (int64_t i = 0; i < cs.count; i++)
		if (unique[i])
		{
			memcpy(result->centers + k * d, sorted.x + i * d, sizeof(double) * (size_t) d);
			result->intensity[k] = cs.intensity[order[i]];
			k++;
		}
	UsFree(core, sorted.x);
	UsFree(core, unique);
	UsFree(core, order);
	UsFree(core, cs.x);
	UsFree(core, cs.intensity);
	UsFree(core, cs.slot);

	/* labels: the nearest centre */
	kept.n = k;
	kept.d = d;
	kept.x = result->centers;
	UsNeighborsBuild(core, &kept, US_NN_AUTO, 0.0, &cix);
	for (int64_t i = 0; i < n; i++)
	{
		int64_t		c;
		double		sq;

		UsNeighborsKnn(&cix, m->x + i * d, 1, &c, &sq);
		if (params->cluster_all || sqrt(sq) <= bw)
		{
			result->labels[i] = (int32_t) c;
			result->sizes[c]++;
		}
		else
		{
			result->labels[i] = US_NOISE;
			result->noise++;
		}
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			UsCheck(core);
	}
	UsNeighborsFree(&cix);
	UsNeighborsFree(&ix);
	return 0;
}
