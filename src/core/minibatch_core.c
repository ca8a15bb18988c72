/*-------------------------------------------------------------------------
 *
 * minibatch_core.c
 *	  Mini-batch K-Means (D. Sculley, "Web-scale k-means clustering", WWW 2010) with
 *	  the semantics of scikit-learn 1.2's MiniBatchKMeans, over rows held in memory
 *	  (for a table: a uniform sample of it, see surface/kmeans_scan.c).
 *
 * As MiniBatchKMeans.fit: a validation set of init_size rows is drawn (uniformly, with
 * replacement); each of n_init initializations draws its own init_size rows and seeds
 * k-means++ on them (greedy, 2 + floor(ln k) candidates per center, as kmeans_core.c),
 * and the seeds with the least inertia on the validation set are kept.  Then
 * max_iter * n / batch_size steps at most, n being the rows of the data the rows stand
 * for (n_total); each step draws batch_size rows with replacement, assigns them to the
 * nearest center (ties to the lower one), and moves each center that got rows to the
 * running mean of all rows it got so far: (c w + sum) / (w + count), w its count.
 * Every time 10 k rows have been processed (or a center has count 0), centers whose
 * count is below reassignment_ratio times the largest are moved to rows of the batch
 * drawn without replacement (at most half the batch: the lowest counts first), and
 * their counts set to the least count of the others.  Early stopping: the mean batch
 * inertia is smoothed with alpha = 2 batch_size / (n_total + 1); the fit stops after
 * max_no_improvement steps without a new minimum, or when the sum of squared center
 * moves of a step is at most tol (absolute here; 0 turns it off, the default).  Given
 * initial centers replace the seeding (one initialization, as scikit-learn does).
 *
 * scikit-learn draws its random numbers from numpy's Mersenne Twister; this file draws
 * from the caller's generator (params->uniform), so the same seed gives the same fit
 * here but not scikit-learn's: the fits agree in distribution and quality, not row for
 * row.
 *
 * Cost: O(init_size k d n_init) seeding, O(batch_size k d) per step; memory O(batch d +
 * init_size + k d) beside the rows.  Interrupts are checked every step and every
 * US_CHECK_EVERY rows of the seeding.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "uscore.h"

static int64_t
Draw(const UsMiniBatchParams *p, int64_t n)
{
	int64_t		i = (int64_t) (p->uniform(p->rng_arg) * (double) n);

	return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Nearest of k centers to x, ties to the lower; *d2 its squared distance */
static int
Nearest(const double *centers, int k, int d, const double *x, double *d2)
{
	int			best = 0;
	double		bd = HUGE_VAL;

	for (int c = 0; c < k; c++)
	{
		double		dd = UsSqDist(x, centers + (size_t) c * d, d);

		if (dd < bd)
		{
			bd = dd;
			best = c;
		}
	}
	*d2 = bd;
	return best;
}

/*
 * Greedy k-means++ on the rows idx[0..m) of x into centers (k x d); dist is scratch of m
 */
static void
PlusPlus(const UsCore *core, const UsMatrix *x, const int64_t *idx, int64_t m,
		 const UsMiniBatchParams *p, double *centers, double *dist, double *cand)
{
	int			d = x->d;
	int			k = p->k;
	int			trials = 2 + (int) floor(log((double) k));
	double		pot = 0.0;
	const double *first = x->x + idx[Draw(p, m)] * d;

	memcpy(centers, first, sizeof(double) * d);
	for (int64_t i = 0; i < m; i++)
	{
		if (i % US_CHECK_EVERY == 0)
			UsCheck(core);
		dist[i] = UsSqDist(x->x + idx[i] * d, first, d);
		pot += dist[i];
	}
	for (int c = 1; c < k; c++)
	{
		int64_t		best_row = -1;
		double		best_pot = HUGE_VAL;

		for (int t = 0; t < trials; t++)
		{
			double		r = p->uniform(p->rng_arg) * pot;
			double		acc = 0.0;
			int64_t		pick = m - 1;
			double		newpot = 0.0;
			const double *cx;

			/* the first row whose cumulative potential exceeds r */
			for (int64_t i = 0; i < m; i++)
			{
				acc += dist[i];
				if (acc > r)
				{
					pick = i;
					break;
				}
			}
			cx = x->x + idx[pick] * d;
			for (int64_t i = 0; i < m; i++)
			{
				double		dd = UsSqDist(x->x + idx[i] * d, cx, d);

				if (i % US_CHECK_EVERY == 0)
					UsCheck(core);
				newpot += dd < dist[i] ? dd : dist[i];
			}
			if (newpot < best_pot)
			{
				best_pot = newpot;
				best_row = pick;
			}
		}
		memcpy(cand, x->x + idx[best_row] * d, sizeof(double) * d);
		memcpy(centers + (size_t) c * d, cand, sizeof(double) * d);
		pot = 0.0;
		for (int64_t i = 0; i < m; i++)
		{
			double		dd = UsSqDist(x->x + idx[i] * d, cand, d);

			if (dd < dist[i])
				dist[i] = dd;
			pot += dist[i];
		}
	}
}

void
UsMiniBatchKmeans(const UsCore *core, const UsMatrix *x, const UsMiniBatchParams *p,
				  UsMiniBatchResult *out)
{
	int64_t		n = x->n;
	int			d = x->d;
	int			k = p->k;
	int			batch = p->batch_size;
	int64_t		init_size;
	int64_t    *valid;
	int64_t    *idx;
	int64_t    *bidx;
	double	   *dist;
	double	   *cand;
	double	   *centers = out->centers;
	double	   *trial;
	double	   *newc;
	double	   *w;
	double	   *sums;
	int64_t    *cnt;
	int32_t    *blab;
	double		best = HUGE_VAL;
	int64_t		n_steps;
	int64_t		since = 0;
	double		ewa = 0.0;
	double		ewa_min = 0.0;
	bool		have_ewa = false;
	bool		have_min = false;
	int			no_improvement = 0;
	int64_t		step;

	/* init_size as scikit-learn: 3 batch_size, at least 3 k, at most the rows */
	init_size = 3 * (int64_t) batch;
	if (init_size < k)
		init_size = 3 * (int64_t) k;
	if (init_size > n)
		init_size = n;
	valid = UsAlloc(core, sizeof(int64_t) * init_size);
	idx = UsAlloc(core, sizeof(int64_t) * init_size);
	dist = UsAlloc(core, sizeof(double) * init_size);
	cand = UsAlloc(core, sizeof(double) * d);
	trial = UsAlloc(core, sizeof(double) * (size_t) k * d);
	for (int64_t i = 0; i < init_size && !p->init; i++)
		valid[i] = Draw(p, n);
	if (p->init)
		memcpy(centers, p->init, sizeof(double) * (size_t) k * d);
	for (int r = 0; r < p->n_init && !p->init; r++)
	{
		double		inertia = 0.0;

		UsCheck(core);
		for (int64_t i = 0; i < init_size; i++)
			idx[i] = init_size < n ? Draw(p, n) : i;
		PlusPlus(core, x, idx, init_size, p, trial, dist, cand);
		for (int64_t i = 0; i < init_size; i++)
		{
			double		d2;

			(void) Nearest(trial, k, d, x->x + valid[i] * d, &d2);
			inertia += d2;
		}
		if (r == 0 || inertia < best)
		{
			best = inertia;
			memcpy(centers, trial, sizeof(double) * (size_t) k * d);
		}
	}

	newc = UsAlloc(core, sizeof(double) * (size_t) k * d);
	w = UsAlloc(core, sizeof(double) * k);
	sums = UsAlloc(core, sizeof(double) * (size_t) k * d);
	cnt = UsAlloc(core, sizeof(int64_t) * k);
	bidx = UsAlloc(core, sizeof(int64_t) * batch);
	blab = UsAlloc(core, sizeof(int32_t) * batch);
	n_steps = (int64_t) p->max_iter * p->n_total / batch;
	if (n_steps < 1)
		n_steps = 1;
	for (step = 0; step < n_steps; step++)
	{
		double		binertia = 0.0;
		double		shift = 0.0;
		bool		reassign;

		UsCheck(core);
		memset(sums, 0, sizeof(double) * (size_t) k * d);
		memset(cnt, 0, sizeof(int64_t) * k);
		for (int b = 0; b < batch; b++)
		{
			double		d2;
			const double *row;

			bidx[b] = Draw(p, n);
			row = x->x + bidx[b] * d;
			blab[b] = Nearest(centers, k, d, row, &d2);
			binertia += d2;
			for (int j = 0; j < d; j++)
				sums[(size_t) blab[b] * d + j] += row[j];
			cnt[blab[b]]++;
		}
		/* the running means */
		for (int c = 0; c < k; c++)
		{
			double	   *nc = newc + (size_t) c * d;
			const double *oc = centers + (size_t) c * d;

			if (cnt[c] == 0)
			{
				memcpy(nc, oc, sizeof(double) * d);
				continue;
			}
			{
				double		total = w[c] + (double) cnt[c];
				double		alpha = 1.0 / total;

				for (int j = 0; j < d; j++)
					nc[j] = (oc[j] * w[c] + sums[(size_t) c * d + j]) * alpha;
				w[c] = total;
			}
		}
		/* reassignment of centers with low counts */
		since += batch;
		reassign = false;
		for (int c = 0; c < k && !reassign; c++)
			reassign = w[c] == 0;
		if (reassign || since >= 10 * (int64_t) k)
		{
			double		wmax = 0.0;
			int			nre = 0;
			bool	   *to = UsAlloc(core, sizeof(bool) * k);

			since = 0;
			for (int c = 0; c < k; c++)
				wmax = w[c] > wmax ? w[c] : wmax;
			for (int c = 0; c < k; c++)
				if (w[c] < p->reassignment_ratio * wmax)
				{
					to[c] = true;
					nre++;
				}
			/* at most half the batch: keep the lowest counts (ties to the lower center) */
			while (nre > 0 && nre > (int) (0.5 * batch))
			{
				int			hi = -1;

				for (int c = 0; c < k; c++)
					if (to[c] && (hi < 0 || w[c] >= w[hi]))
						hi = c;
				to[hi] = false;
				nre--;
			}
			if (nre > 0 && p->reassignment_ratio > 0)
			{
				double		wmin = HUGE_VAL;
				int			pos = 0;

				/* nre distinct rows of the batch: a partial Fisher-Yates shuffle */
				for (int b = 0; b < nre; b++)
				{
					int			j = b + (int) Draw(p, batch - b);
					int64_t		t = bidx[b];

					bidx[b] = bidx[j];
					bidx[j] = t;
				}
				for (int c = 0; c < k; c++)
					if (to[c])
						memcpy(newc + (size_t) c * d, x->x + bidx[pos++] * d,
							   sizeof(double) * d);
				for (int c = 0; c < k; c++)
					if (!to[c] && w[c] < wmin)
						wmin = w[c];
				for (int c = 0; c < k; c++)
					if (to[c])
						w[c] = wmin;
				out->reassignments += nre;
			}
			UsFree(core, to);
		}
		if (p->tol > 0.0)
			for (int64_t i = 0; i < (int64_t) k * d; i++)
				shift += (newc[i] - centers[i]) * (newc[i] - centers[i]);
		memcpy(centers, newc, sizeof(double) * (size_t) k * d);

		/* early stopping, as MiniBatchKMeans._mini_batch_convergence */
		binertia /= batch;
		if (step == 0)
			continue;
		if (!have_ewa)
		{
			ewa = binertia;
			have_ewa = true;
		}
		else
		{
			double		alpha = batch * 2.0 / ((double) p->n_total + 1);

			alpha = alpha < 1 ? alpha : 1;
			ewa = ewa * (1 - alpha) + binertia * alpha;
		}
		if (p->tol > 0.0 && shift <= p->tol)
		{
			step++;
			break;
		}
		if (!have_min || ewa < ewa_min)
		{
			no_improvement = 0;
			ewa_min = ewa;
			have_min = true;
		}
		else
			no_improvement++;
		if (p->max_no_improvement > 0 && no_improvement >= p->max_no_improvement)
		{
			step++;
			break;
		}
	}
	out->steps = step < n_steps ? step : n_steps;
	UsFree(core, valid);
	UsFree(core, idx);
	UsFree(core, dist);
	UsFree(core, cand);
	UsFree(core, trial);
	UsFree(core, newc);
	UsFree(core, w);
	UsFree(core, sums);
	UsFree(core, cnt);
	UsFree(core, bidx);
	UsFree(core, blab);
}
