/*-------------------------------------------------------------------------
 *
 * kmeans_core.c
 *	  K-Means of the numeric core, with scikit-learn's semantics.
 *
 * Seeding is greedy k-means++ (Arthur & Vassilvitskii, "k-means++: the advantages
 * of careful seeding", SODA 2007): the first center is a uniformly drawn row; each
 * further center is the best of 2 + floor(ln k) candidates drawn with probability
 * proportional to the squared distance to the nearest chosen center, "best" being
 * the candidate that lowers the potential (sum of those squared distances) most.
 * Initial centroids may be given instead; then there is one run.
 *
 * Iterations are Lloyd's, with Hamerly's bounds (G. Hamerly, "Making k-means even
 * faster", SDM 2010; after C. Elkan, "Using the triangle inequality to accelerate
 * k-means", ICML 2003).  Each row keeps an upper bound u on the distance to its
 * center and one lower bound l on the distance to any other center; with
 * s(j) = half the distance from center j to its nearest other center, a row whose
 * u <= max(s(a), l) cannot change cluster and costs no distance computation.  After
 * the centers move by p(j), u grows by p(a) and l shrinks by the largest move of
 * another center.  Elkan's k lower bounds per row would need 8 n k bytes (64 MB for a
 * million rows and k = 8, on top of the 128 MB of a 16-column matrix); Hamerly's need
 * 16 n bytes, which is why they are used here.  A skip is taken only with a relative
 * margin of 1e-10, so rounding in the bounds never skips a row that plain Lloyd would
 * move: the labels are those of plain Lloyd iterations (params->plain runs those, for
 * checking), and ties between centers go to the lower center number as in
 * scikit-learn's argmin.
 *
 * Semantics follow scikit-learn 1.2's KMeans: tol is relative to the mean of the
 * column variances; an iteration converges strictly when no label changed (and no
 * empty cluster was refilled), or when the sum of the squared center shifts is at
 * most tol; a run that did not converge strictly gets a final assignment so labels
 * match the centers; an empty cluster takes the row farthest from its center (rows
 * by decreasing distance to their centers, ties to the lower row number; nothing
 * moves if all distances are 0 up to rounding, see KmeansRelocate); of
 * n_init runs, the one with the lowest inertia is kept (a later run replaces the
 * best only if it is lower and not the same partition).  Finally clusters are
 * renumbered by decreasing size (ties: lower number first).
 *
 * Complexity: seeding O(n d k log k); an iteration O(n d) plus O(n k d) for the rows
 * whose bounds fail (all of them in the first iteration, few on separated data) plus
 * O(k^2 d).  Memory beyond the matrix: 32 n bytes (two label arrays, two bounds, one
 * array of distances) and O(k d).  Interrupts are checked every US_CHECK_EVERY
 * rows of every pass over the rows.  Distances are the shared kernels of
 * distance_core.c (UsSqDist, and UsSqDistBlocks for all centers of a row at once);
 * the tolerance uses the column moments of moments_core.c.  Callers check first
 * that squared distances over the rows stay within float8
 * (UsDistanceOverflowColumn).  Randomness comes from the caller's generator
 * (params->uniform), so the same seed, data and row order give the same labels.
 *
 * Threads.  Every pass over the rows that costs O(n d) or more runs through
 * UsParallelRun (parallel_core.c) in chunks of KM_CHUNK rows: the assignment
 * (labels and bounds of a chunk's own rows, the chunk's per-cluster sums and counts),
 * the move of the bounds, the inertia, and the three passes of each k-means++ step
 * (first distances and potential, the candidates' potentials, the distances to the
 * chosen candidate).  Sums are per chunk and added in chunk order, so labels,
 * centers and inertia are the same to the last bit for any userseg.max_workers.
 * The relocation of empty clusters, the draw of candidates and the final numbering
 * stay on one thread (O(n) and rare, or O(n) without distances).  A chunk is never
 * cut short (it is US_CHECK_EVERY rows: the workers stop between chunks), since the
 * passes update labels and bounds in place; below KM_PARALLEL_MIN_ROWS rows every pass
 * runs on the calling thread.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "uscore.h"

/* A row is skipped only if its upper bound is below the threshold by this margin */
#define US_KMEANS_MARGIN (1.0 - 1e-10)

/* Above this many centers, a row whose bounds fail first tightens its upper bound */
#define KM_TIGHTEN_K 64

/* Rows per chunk of a parallel pass: fixed, so that sums do not depend on threads */
#define KM_CHUNK US_CHECK_EVERY

/*
 * Fewer rows than this run their passes on the calling thread: a pass over them
 * (often O(n) once the bounds hold) costs about what starting the threads costs.
 * The chunks are the same either way, and so are the results.
 */
#define KM_PARALLEL_MIN_ROWS (16 * KM_CHUNK)

/* Work space of one K-Means fit */
typedef struct KmeansWork
{
	const UsCore *core;
	const UsMatrix *m;
	const UsKmeansParams *params;
	int			k;
	double		tol;			/* absolute tolerance */
	int32_t    *labels;			/* n */
	double	   *upper;			/* n */
	double	   *lower;			/* n */
	double	   *dist;			/* n: seeding and relocation scratch */
	double	   *centers;		/* k x d */
	double	   *ct;				/* kp x d: centers transposed in blocks (UsSqDistBlocks) */
	double	   *alld;			/* kp: distances of one row to every center */
	int			kp;				/* k rounded up to US_BLOCK */
	double	   *sums;			/* k x d */
	int64_t    *counts;			/* k */
	double	   *half;			/* k: half distance to the nearest other center */
	double	   *shift;			/* k */
	double		max1;			/* the largest shift */
	double		max2;			/* the second largest */
	int			arg1;			/* the center of the largest */
} KmeansWork;

static inline void
CheckEvery(const UsCore *core, int64_t i)
{
	if (i % US_CHECK_EVERY == 0)
		UsCheck(core);
}

/* Run a pass over the rows of w in chunks of KM_CHUNK rows (UsParallelRun) */
static void
KmPass(const KmeansWork *w, bool (*run) (void *, int64_t, int64_t, int64_t, void *,
										 void *, const UsParallel *),
	   void (*combine) (void *, int64_t, int64_t, int64_t, const void *),
	   size_t partial_bytes, size_t scratch_bytes, void *arg)
{
	UsParallelFor pf;
	UsCore		core = *w->core;

	if (w->m->n < KM_PARALLEL_MIN_ROWS)
		core.workers = 1;
	pf.n = w->m->n;
	pf.chunk = KM_CHUNK;
	pf.partial_bytes = partial_bytes;
	pf.scratch_bytes = scratch_bytes;
	pf.run = run;
	pf.combine = combine;
	pf.arg = arg;
	UsParallelRun(&core, &pf);
}

static void
Progress(const KmeansWork *w, const char *fmt, int a, int b, double x)
{
	char		buf[200];

	if (!w->params->verbose || w->core->progress == NULL)
		return;
	snprintf(buf, sizeof(buf), fmt, a, b, x);
	w->core->progress(w->core->arg, buf);
}

/*
 * Tolerance relative to the data: tol times the mean of the column variances
 */
static double
KmeansTolerance(const UsCore *core, const UsMatrix *m, double tol)
{
	int			d = m->d;
	UsMoments	mo;
	double		total = 0.0;

	if (tol == 0.0)
		return 0.0;
	mo.count = NULL;
	mo.mean = UsAlloc(core, sizeof(double) * d);
	mo.m2 = UsAlloc(core, sizeof(double) * d);
	mo.shift = UsAlloc(core, sizeof(int) * d);
	UsColumnMoments(core, m, false, &mo);
	for (int j = 0; j < d; j++)
		total += ldexp(mo.m2[j] / (double) m->n, -2 * mo.shift[j]);
	UsFree(core, mo.mean);
	UsFree(core, mo.m2);
	UsFree(core, mo.shift);
	return total / d * tol;
}

/*
 * Draw a row index in [0, n) from a uniform double
 */
static int64_t
DrawIndex(const UsKmeansParams *p, int64_t n)
{
	int64_t		i = (int64_t) (p->uniform(p->rng_arg) * (double) n);

	return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Most local trials of k-means++ (2 + ln k for k up to 2^31) */
#define US_KMEANS_MAX_TRIALS 24

/*
 * The passes of one k-means++ step, in chunks (KmPass): the distances to the first
 * center and their sum (SeedFirstChunk), each candidate's potential over a chunk's
 * rows (SeedPotentialChunk), the distances to the chosen candidate
 * (SeedUpdateChunk).
 */
typedef struct SeedPass
{
	KmeansWork *w;
	const double *cx;			/* the first center, or the chosen candidate */
	const double *candt;		/* tp x d: candidates transposed */
	const double *bound;		/* minq (potentials), or the chosen one's quarters */
	int			tp;				/* padded trials (potentials), or the new center */
	int			trials;
	double	   *cand_pot;		/* trials potentials, summed in chunk order */
} SeedPass;

static bool
SeedFirstChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
			   void *scratch, const UsParallel *par)
{
	SeedPass   *sp = arg;
	const UsMatrix *m = sp->w->m;
	int			d = m->d;
	double		pot = 0.0;

	for (int64_t i = begin; i < end; i++)
	{
		sp->w->dist[i] = UsSqDist(m->x + i * d, sp->cx, d);
		sp->w->labels[i] = 0;
		pot += sp->w->dist[i];
	}
	*(double *) partial = pot;
	return true;
}

static bool
SeedPotentialChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				   void *scratch, const UsParallel *par)
{
	SeedPass   *sp = arg;
	const UsMatrix *m = sp->w->m;
	int			d = m->d;
	int			trials = sp->trials;
	const double *closest = sp->w->dist;
	const int32_t *near = sp->w->labels;
	double	   *pot = partial;
	double	   *candd = scratch;

	for (int64_t i = begin; i < end; i++)
	{
		const double *x = m->x + i * d;
		double		ci = closest[i];

		if (ci > sp->bound[near[i]])
		{
			UsSqDistBlocks(x, sp->candt, d, sp->tp, candd);
			for (int t = 0; t < trials; t++)
				pot[t] += candd[t] < ci ? candd[t] : ci;
		}
		else
			for (int t = 0; t < trials; t++)
				pot[t] += ci;
	}
	return true;
}

static void
SeedPotentialCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	SeedPass   *sp = arg;
	const double *pot = partial;

	for (int t = 0; t < sp->trials; t++)
		sp->cand_pot[t] += pot[t];
}

static bool
SeedUpdateChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
				void *scratch, const UsParallel *par)
{
	SeedPass   *sp = arg;
	const UsMatrix *m = sp->w->m;
	int			d = m->d;
	double	   *closest = sp->w->dist;
	int32_t    *near = sp->w->labels;
	int32_t		center = sp->tp;

	for (int64_t i = begin; i < end; i++)
	{
		if (closest[i] > sp->bound[near[i]])
		{
			double		dc = UsSqDist(m->x + i * d, sp->cx, d);
			bool		lt = dc < closest[i];

			/* without branches: whether the row moves is random */
			closest[i] = lt ? dc : closest[i];
			near[i] = lt ? center : near[i];
		}
	}
	return true;
}

/*
 * Seed the centers with greedy k-means++.
 *
 * All candidates of one step are drawn first (as scikit-learn does), then one pass
 * over the rows sums each candidate's potential and a second pass updates the
 * distances with the best candidate: two passes over the matrix per center, whatever
 * the number of trials.  The labels hold each row's nearest chosen center meanwhile.
 * A candidate cannot come nearer to a row than its nearest center a when the
 * candidate is at least twice as far from a as the row is (triangle inequality);
 * such rows cost no distance computation.  The margin keeps the potentials exactly
 * those of computing every distance.
 */
static void
KmeansPlusPlus(KmeansWork *w)
{
	const UsCore *core = w->core;
	const UsMatrix *m = w->m;
	const UsKmeansParams *p = w->params;
	int64_t		n = m->n;
	int			d = m->d;
	int			k = w->k;
	int			trials = 2 + (int) floor(log((double) k));
	double	   *closest = w->dist;
	double	   *quarter;		/* trials x k: a quarter of the squared distances */
	double	   *minq;			/* k: the smallest quarter over the trials */
	int			tp;				/* trials rounded up to US_BLOCK */
	double	   *candt;			/* tp x d: candidates transposed (UsSqDistBlocks) */
	double	   *candx;			/* tp x d: the candidates' rows, zero padded */
	double		pot = 0.0;
	const double *c0 = m->x + DrawIndex(p, n) * d;

	if (trials > US_KMEANS_MAX_TRIALS)
		trials = US_KMEANS_MAX_TRIALS;
	quarter = UsAlloc(core, sizeof(double) * trials * k);
	minq = UsAlloc(core, sizeof(double) * k);
	tp = (trials + US_BLOCK - 1) / US_BLOCK * US_BLOCK;
	candt = UsAlloc(core, sizeof(double) * tp * d);
	candx = UsAlloc(core, sizeof(double) * tp * d);
	memcpy(w->centers, c0, sizeof(double) * d);
	{
		SeedPass	sp = {w, c0, NULL, NULL, 0, 1, &pot};

		KmPass(w, SeedFirstChunk, SeedPotentialCombine, sizeof(double), 0, &sp);
	}

	for (int c = 1; c < k; c++)
	{
		int64_t		cand[US_KMEANS_MAX_TRIALS] = {0};
		double		cand_pot[US_KMEANS_MAX_TRIALS];
		int			best = 0;
		const double *bx;
		const double *bq;

		UsCheck(core);
		/* draw every candidate, then find them all in one scan of the cumulative sum */
		{
			double		r[US_KMEANS_MAX_TRIALS];
			int			ord[US_KMEANS_MAX_TRIALS];
			int			next = 0;
			double		cum = 0.0;

			for (int t = 0; t < trials; t++)
			{
				int			pos = t;

				r[t] = p->uniform(p->rng_arg) * pot;
				cand[t] = n - 1;
				/* ord: trials by increasing r (insertion sort, a few elements) */
				while (pos > 0 && r[ord[pos - 1]] > r[t])
				{
					ord[pos] = ord[pos - 1];
					pos--;
				}
				ord[pos] = t;
			}
			/* first row whose cumulative sum reaches r (numpy's searchsorted) */
			for (int64_t i = 0; i < n && next < trials; i++)
			{
				cum += closest[i];
				while (next < trials && cum >= r[ord[next]])
					cand[ord[next++]] = i;
			}
		}
		for (int a = 0; a < c; a++)
			minq[a] = HUGE_VAL;
		for (int t = 0; t < trials; t++)
		{
			const double *cx = m->x + cand[t] * d;

			memcpy(candx + (size_t) t * d, cx, sizeof(double) * d);
			for (int a = 0; a < c; a++)
			{
				double		q = p->plain ? -1.0 :
					0.25 * UsSqDist(cx, w->centers + (size_t) a * d, d) * US_KMEANS_MARGIN;

				quarter[t * k + a] = q;
				if (q < minq[a])
					minq[a] = q;
			}
			cand_pot[t] = 0.0;
		}
		UsTransposeBlocks(candx, trials, d, candt);

		/*
		 * Potential of each candidate.  A row that no candidate can come nearer to
		 * adds its distance to every potential; any other computes its distance to
		 * every candidate in one vectorized pass, which gives the same potentials:
		 * a candidate the bound excludes is not nearer than the row's center.
		 */
		{
			SeedPass	sp = {w, NULL, candt, minq, tp, trials, cand_pot};

			KmPass(w, SeedPotentialChunk, SeedPotentialCombine,
				   sizeof(double) * trials, sizeof(double) * tp, &sp);
		}
		for (int t = 1; t < trials; t++)
			if (cand_pot[t] < cand_pot[best])
				best = t;

		/* distances to the chosen center, exactly as computed above */
		bx = m->x + cand[best] * d;
		bq = quarter + best * k;
		{
			SeedPass	sp = {w, bx, NULL, bq, c, 0, NULL};

			KmPass(w, SeedUpdateChunk, NULL, 0, 0, &sp);
		}
		pot = cand_pot[best];
		memcpy(w->centers + (size_t) c * d, bx, sizeof(double) * d);
	}
	UsFree(core, quarter);
	UsFree(core, minq);
	UsFree(core, candt);
	UsFree(core, candx);
}

/*
 * Half the distance from each center to its nearest other center
 */
static void
CenterHalfDistances(KmeansWork *w)
{
	int			k = w->k;
	int			d = w->m->d;

	for (int a = 0; a < k; a++)
		w->half[a] = HUGE_VAL;
	for (int a = 0; a < k; a++)
		for (int b = a + 1; b < k; b++)
		{
			double		h = 0.5 * sqrt(UsSqDist(w->centers + (size_t) a * d,
											  w->centers + (size_t) b * d, d));

			if (h < w->half[a])
				w->half[a] = h;
			if (h < w->half[b])
				w->half[b] = h;
		}
}

/*
 * One pass of the assignment over a chunk's rows: labels and bounds of those rows,
 * and, with sums, the chunk's partial: changed rows, counts (k), sums (k x d)
 */
typedef struct AssignPass
{
	KmeansWork *w;
	bool		full;
	bool		sums;
	int64_t		changed;
} AssignPass;

static bool
AssignChunk(void *arg, int64_t chunk, int64_t begin, int64_t end, void *partial,
			void *scratch, const UsParallel *par)
{
	AssignPass *ap = arg;
	KmeansWork *w = ap->w;
	const UsMatrix *m = w->m;
	int			d = m->d;
	int			k = w->k;
	const double *centers = w->centers;
	double	   *alld = scratch;
	int64_t    *changed = partial;
	int64_t    *counts = changed + 1;
	double	   *sums = (double *) (counts + k);
	bool		full = ap->full;

	for (int64_t i = begin; i < end; i++)
	{
		const double *x = m->x + i * d;
		int32_t		a = w->labels[i];

		if (!full)
		{
			double		bound = w->half[a] > w->lower[i] ? w->half[a] : w->lower[i];

			/* strictly nearer: a tie must go to the lower center, as in plain Lloyd */
			bound *= US_KMEANS_MARGIN;
			if (w->upper[i] < bound)
				goto assigned;
			/*
			 * Tighten the upper bound only when all distances cost much more than
			 * one: up to KM_TIGHTEN_K centers, the vectorized pass over all of them
			 * costs less than one distance, a square root and a branch that often
			 * fails
			 */
			if (k > KM_TIGHTEN_K)
			{
				w->upper[i] = sqrt(UsSqDist(x, centers + (size_t) a * d, d));
				if (w->upper[i] < bound)
					goto assigned;
			}
		}
		/* all distances: nearest and second nearest */
		{
			double		d1 = HUGE_VAL;
			double		d2 = HUGE_VAL;
			int32_t		b1 = 0;

			UsSqDistBlocks(x, w->ct, d, w->kp, alld);
			/* selections without branches: the order of the centers is random */
			for (int c = 0; c < k; c++)
			{
				double		dd = alld[c];
				bool		lt = dd < d1;
				double		hi = lt ? d1 : dd;

				d2 = hi < d2 ? hi : d2;
				d1 = lt ? dd : d1;
				b1 = lt ? c : b1;
			}
			if (b1 != a)
			{
				(*changed)++;
				w->labels[i] = a = b1;
			}
			w->upper[i] = sqrt(d1);
			w->lower[i] = sqrt(d2);
		}
assigned:
		if (ap->sums)
		{
			double	   *s = sums + (size_t) a * d;

			for (int j = 0; j < d; j++)
				s[j] += x[j];
			counts[a]++;
		}
	}
	return true;
}

/* Add a chunk's partial to the totals, in chunk order */
static void
AssignCombine(void *arg, int64_t chunk, int64_t begin, int64_t end, const void *partial)
{
	AssignPass *ap = arg;
	KmeansWork *w = ap->w;
	int			k = w->k;
	size_t		kd = (size_t) k * w->m->d;
	const int64_t *changed = partial;
	const int64_t *counts = changed + 1;
	const double *sums = (const double *) (counts + k);

	ap->changed += *changed;
	if (!ap->sums)
		return;
	for (int c = 0; c < k; c++)
		w->counts[c] += counts[c];
	for (size_t j = 0; j < kd; j++)
		w->sums[j] += sums[j];
}

/*
 * Assign every row to its nearest center (E-step), using and updating the bounds.
 * With full, every row computes all distances (first pass, or plain Lloyd).  With
 * sums, accumulates each cluster's sum and count (per chunk, added in chunk order).
 * Returns the number of rows whose label changed.
 */
static int64_t
KmeansAssign(KmeansWork *w, bool full, bool sums)
{
	int			k = w->k;
	int			d = w->m->d;
	AssignPass	ap;

	CenterHalfDistances(w);
	UsTransposeBlocks(w->centers, k, d, w->ct);
	memset(w->sums, 0, sizeof(double) * (size_t) k * d);
	memset(w->counts, 0, sizeof(int64_t) * k);
	ap.w = w;
	ap.full = full;
	ap.sums = sums;
	ap.changed = 0;
	KmPass(w, AssignChunk, AssignCombine,
		   sizeof(int64_t) * (1 + (size_t) k) + (sums ? sizeof(double) * (size_t) k * d : 0),
		   sizeof(double) * w->kp, &ap);
	return ap.changed;
}

/*
 * Give each empty cluster the row farthest from its center, as scikit-learn's
 * _relocate_empty_clusters_dense does: the row's values move from its cluster's sum
 * to the empty cluster's, its label stays.  Nothing moves when every row sits on its
 * center: scikit-learn tests for distances of exactly 0, here distances at the
 * rounding level of a mean (below (1000 eps)^2 times the largest squared norm) count
 * as 0, so duplicated rows do not make clusters hop between copies of one point.
 * Returns whether a row moved.
 */
static bool
KmeansRelocate(KmeansWork *w)
{
	const UsCore *core = w->core;
	const UsMatrix *m = w->m;
	int64_t		n = m->n;
	int			d = m->d;
	int			k = w->k;
	int			nempty = 0;
	int64_t    *far;
	double		maxd = 0.0;
	double		maxnorm = 0.0;

	for (int c = 0; c < k; c++)
		if (w->counts[c] == 0)
			nempty++;
	if (nempty == 0)
		return false;

	for (int64_t i = 0; i < n; i++)
	{
		const double *x = m->x + i * d;
		double		norm = 0.0;

		CheckEvery(core, i);
		w->dist[i] = UsSqDist(x, w->centers + (size_t) w->labels[i] * d, d);
		if (w->dist[i] > maxd)
			maxd = w->dist[i];
		for (int j = 0; j < d; j++)
			norm += x[j] * x[j];
		if (norm > maxnorm)
			maxnorm = norm;
	}
	if (maxd <= (1000.0 * DBL_EPSILON) * (1000.0 * DBL_EPSILON) * maxnorm)
		return false;

	/* the nempty farthest rows, by decreasing distance, ties to the lower row */
	far = UsAlloc(core, sizeof(int64_t) * nempty);
	for (int e = 0; e < nempty; e++)
		far[e] = -1;
	for (int64_t i = 0; i < n; i++)
	{
		double		di = w->dist[i];
		int			pos;

		if (far[nempty - 1] >= 0 && !(di > w->dist[far[nempty - 1]]))
			continue;
		pos = nempty - 1;
		while (pos > 0 && (far[pos - 1] < 0 || di > w->dist[far[pos - 1]]))
		{
			far[pos] = far[pos - 1];
			pos--;
		}
		far[pos] = i;
	}

	for (int c = 0, e = 0; c < k && e < nempty; c++)
	{
		int64_t		row;
		int32_t		old;
		const double *x;

		if (w->counts[c] != 0)
			continue;
		row = far[e++];
		if (row < 0)
			break;
		old = w->labels[row];
		x = m->x + row * d;
		for (int j = 0; j < d; j++)
		{
			w->sums[(size_t) old * d + j] -= x[j];
			w->sums[(size_t) c * d + j] = x[j];
		}
		w->counts[c] = 1;
		w->counts[old]--;
	}
	UsFree(core, far);
	return true;
}

/* Move the bounds of a chunk's rows by the shifts of the centers */
static bool
BoundsChunk(void *arg, int64_t chunk, int64_t begin, int64_t end, void *partial,
			void *scratch, const UsParallel *par)
{
	KmeansWork *w = arg;

	for (int64_t i = begin; i < end; i++)
	{
		int32_t		a = w->labels[i];

		w->upper[i] += w->shift[a];
		w->lower[i] -= (a == w->arg1) ? w->max2 : w->max1;
	}
	return true;
}

/*
 * M-step: new centers are the means; empty clusters sit on the largest cluster's
 * center.  Moves the bounds by the shifts and returns the sum of squared shifts.
 */
static double
KmeansUpdate(KmeansWork *w)
{
	const UsMatrix *m = w->m;
	int			d = m->d;
	int			k = w->k;
	int			biggest = 0;
	double		total = 0.0;
	double		max1 = 0.0;
	double		max2 = 0.0;
	int			arg1 = -1;

	for (int c = 1; c < k; c++)
		if (w->counts[c] > w->counts[biggest])
			biggest = c;
	/* means into sums, in place */
	for (int c = 0; c < k; c++)
	{
		double	   *s = w->sums + (size_t) c * d;

		if (w->counts[c] > 0)
		{
			double		alpha = 1.0 / (double) w->counts[c];

			for (int j = 0; j < d; j++)
				s[j] *= alpha;
		}
	}
	for (int c = 0; c < k; c++)
		if (w->counts[c] <= 0)
			memcpy(w->sums + (size_t) c * d, w->sums + (size_t) biggest * d,
				   sizeof(double) * d);

	for (int c = 0; c < k; c++)
	{
		double		sq = UsSqDist(w->sums + (size_t) c * d, w->centers + (size_t) c * d, d);
		double		p = sqrt(sq);

		w->shift[c] = p;
		total += p * p;
		if (p > max1)
		{
			max2 = max1;
			max1 = p;
			arg1 = c;
		}
		else if (p > max2)
			max2 = p;
	}
	memcpy(w->centers, w->sums, sizeof(double) * (size_t) k * d);

	w->max1 = max1;
	w->max2 = max2;
	w->arg1 = arg1;
	KmPass(w, BoundsChunk, NULL, 0, 0, w);
	return total;
}

/* Sum of squared distances of the rows to their centers */
typedef struct InertiaPass
{
	const KmeansWork *w;
	double		total;			/* chunk sums added in chunk order */
} InertiaPass;

static bool
InertiaChunk(void *arg, int64_t chunk, int64_t begin, int64_t end, void *partial,
			 void *scratch, const UsParallel *par)
{
	const KmeansWork *w = ((InertiaPass *) arg)->w;
	const UsMatrix *m = w->m;
	int			d = m->d;
	double		total = 0.0;

	for (int64_t i = begin; i < end; i++)
	{
		total += UsSqDist(m->x + i * d, w->centers + (size_t) w->labels[i] * d, d);
	}
	*(double *) partial = total;
	return true;
}

static void
InertiaCombine(void *arg, int64_t chunk, int64_t begin, int64_t end, const void *partial)
{
	((InertiaPass *) arg)->total += *(const double *) partial;
}

static double
KmeansInertia(const KmeansWork *w)
{
	InertiaPass ip = {w, 0.0};

	KmPass(w, InertiaChunk, InertiaCombine, sizeof(double), 0, &ip);
	return ip.total;
}

/*
 * One run from the centers in w->centers.  Returns the iterations done; sets
 * *converged and *inertia.
 */
static int
KmeansSingle(KmeansWork *w, int run, bool *converged, double *inertia)
{
	int64_t		n = w->m->n;
	int			max_iter = w->params->max_iter;
	bool		strict = false;
	bool		done = false;
	int			it;

	for (int64_t i = 0; i < n; i++)
	{
		CheckEvery(w->core, i);
		w->labels[i] = -1;
	}

	for (it = 0; it < max_iter; it++)
	{
		int64_t		changed;
		bool		relocated;
		double		shift;

		changed = KmeansAssign(w, it == 0 || w->params->plain, true);
		relocated = KmeansRelocate(w);
		shift = KmeansUpdate(w);
		if (w->params->verbose)
			Progress(w, "k-means run %d, iteration %d: inertia %.17g", run + 1, it + 1,
					 KmeansInertia(w));
		/* a relocation moved centers away from unchanged labels: not converged */
		if (changed == 0 && !relocated)
		{
			strict = true;
			done = true;
			break;
		}
		if (shift <= w->tol)
		{
			done = true;
			break;
		}
	}
	if (it == max_iter)
		it = max_iter - 1;
	if (!strict)
		(void) KmeansAssign(w, w->params->plain, false);
	*converged = done;
	*inertia = KmeansInertia(w);
	return it + 1;
}

/* Whether two labelings are the same partition up to renumbering */
static bool
SameClustering(const UsCore *core, const int32_t *a, const int32_t *b, int64_t n, int k)
{
	int32_t    *map = UsAlloc(core, sizeof(int32_t) * k);
	bool		same = true;

	for (int c = 0; c < k; c++)
		map[c] = -1;
	for (int64_t i = 0; i < n; i++)
	{
		CheckEvery(core, i);
		if (map[a[i]] == -1)
			map[a[i]] = b[i];
		else if (map[a[i]] != b[i])
		{
			same = false;
			break;
		}
	}
	UsFree(core, map);
	return same;
}

/*
 * Fit K-Means; see the head of this file
 */
void
UsKmeans(const UsCore *core, const UsMatrix *m, const UsKmeansParams *params,
		 UsKmeansResult *result)
{
	KmeansWork	w;
	int64_t		n = m->n;
	int			d = m->d;
	int			k = params->k;
	int			n_init = params->init ? 1 : params->n_init;
	int32_t    *best_labels;
	double	   *best_centers;
	double		best_inertia = HUGE_VAL;
	bool		have_best = false;
	int64_t    *sizes;
	int		   *order;
	int		   *rank;

	memset(&w, 0, sizeof(w));
	w.core = core;
	w.m = m;
	w.params = params;
	w.k = k;
	w.tol = KmeansTolerance(core, m, params->tol);
	w.labels = UsAlloc(core, sizeof(int32_t) * n);
	w.upper = UsAlloc(core, sizeof(double) * n);
	w.lower = UsAlloc(core, sizeof(double) * n);
	w.dist = UsAlloc(core, sizeof(double) * n);
	w.centers = UsAlloc(core, sizeof(double) * k * d);
	w.kp = (k + US_BLOCK - 1) / US_BLOCK * US_BLOCK;
	w.ct = UsAlloc(core, sizeof(double) * w.kp * d);
	w.alld = UsAlloc(core, sizeof(double) * w.kp);
	w.sums = UsAlloc(core, sizeof(double) * k * d);
	w.counts = UsAlloc(core, sizeof(int64_t) * k);
	w.half = UsAlloc(core, sizeof(double) * k);
	w.shift = UsAlloc(core, sizeof(double) * k);
	best_labels = UsAlloc(core, sizeof(int32_t) * n);
	best_centers = UsAlloc(core, sizeof(double) * k * d);

	result->converged = true;
	result->runs_not_converged = 0;
	for (int run = 0; run < n_init; run++)
	{
		bool		converged;
		double		inertia;
		int			iters;

		UsCheck(core);
		if (params->init)
			memcpy(w.centers, params->init, sizeof(double) * k * d);
		else
			KmeansPlusPlus(&w);
		iters = KmeansSingle(&w, run, &converged, &inertia);
		Progress(&w, "k-means run %d done after %d iterations: inertia %.17g",
				 run + 1, iters, inertia);
		if (!converged)
			result->runs_not_converged++;
		if (!have_best ||
			(inertia < best_inertia && !SameClustering(core, w.labels, best_labels, n, k)))
		{
			int32_t    *tmp = best_labels;

			best_labels = w.labels;
			w.labels = tmp;
			memcpy(best_centers, w.centers, sizeof(double) * k * d);
			best_inertia = inertia;
			result->iterations = iters;
			result->converged = converged;
			have_best = true;
		}
	}

	/* renumber by decreasing size, ties to the lower number */
	result->centers = UsAlloc(core, sizeof(double) * k * d);
	result->sizes = UsAlloc(core, sizeof(int64_t) * k);
	sizes = UsAlloc(core, sizeof(int64_t) * k);
	order = UsAlloc(core, sizeof(int) * k);
	rank = UsAlloc(core, sizeof(int) * k);
	for (int64_t i = 0; i < n; i++)
	{
		CheckEvery(core, i);
		sizes[best_labels[i]]++;
	}
	for (int c = 0; c < k; c++)
	{
		int			pos = c;

		/* insertion sort: k is small */
		while (pos > 0 && sizes[order[pos - 1]] < sizes[c])
		{
			order[pos] = order[pos - 1];
			pos--;
		}
		order[pos] = c;
	}
	result->nonempty = 0;
	for (int r = 0; r < k; r++)
	{
		rank[order[r]] = r;
		memcpy(result->centers + (size_t) r * d, best_centers + (size_t) order[r] * d,
			   sizeof(double) * d);
		result->sizes[r] = sizes[order[r]];
		if (sizes[order[r]] > 0)
			result->nonempty++;
	}
	for (int64_t i = 0; i < n; i++)
	{
		CheckEvery(core, i);
		best_labels[i] = rank[best_labels[i]];
	}
	result->labels = best_labels;
	result->inertia = best_inertia;

	UsFree(core, sizes);
	UsFree(core, order);
	UsFree(core, rank);
	UsFree(core, best_centers);
	UsFree(core, w.labels);
	UsFree(core, w.upper);
	UsFree(core, w.lower);
	UsFree(core, w.dist);
	UsFree(core, w.centers);
	UsFree(core, w.ct);
	UsFree(core, w.alld);
	UsFree(core, w.sums);
	UsFree(core, w.counts);
	UsFree(core, w.half);
	UsFree(core, w.shift);
}

/*
 * Nearest of k centers to x (ties to the lower number)
 */
int
UsKmeansNearest(const double *centers, int k, int d, const double *x, double *sqdist)
{
	int			best = 0;
	double		bestd = HUGE_VAL;

	for (int c = 0; c < k; c++)
	{
		double		dd = UsSqDist(x, centers + (size_t) c * d, d);

		if (dd < bestd)
		{
			bestd = dd;
			best = c;
		}
	}
	if (sqdist)
		*sqdist = bestd;
	return best;
}
