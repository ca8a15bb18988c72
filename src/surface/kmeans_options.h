/*-------------------------------------------------------------------------
 *
 * kmeans_options.h
 *	  Checks of the K-Means options (k, n_init, max_iter, tol, rows) and the
 *	  seeded generator, for every SQL entry point that runs K-Means.
 *
 * Header-only (static inline), so the entry points raise the same errors with the
 * same SQLSTATE (22023) and hints, and seed K-Means the same way: a local
 * pg_prng_state seeded from the seed argument as (uint64) (int64) seed, drawn by
 * UsKmeansUniform.  The same seed, data and row order then give the same labels
 * in the window form, the table form, the sweep and the comparison, which all fit
 * through UsKmeansRun.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KMEANS_OPTIONS_H
#define KMEANS_OPTIONS_H

#include "usdata.h"

#include <math.h>

#include "common/pg_prng.h"
#include "storage/shmem.h"

static inline void
UsKmeansCheckK(int k)
{
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("k is %d.", k),
				 errhint("Give the number of clusters wanted, 1 or more.")));
}

static inline void
UsKmeansCheckNInit(int n_init)
{
	if (n_init < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_init must be at least 1"),
				 errdetail("n_init is %d.", n_init),
				 errhint("n_init is the number of runs from different seeds; 10 is usual.")));
}

static inline void
UsKmeansCheckMaxIter(int max_iter)
{
	if (max_iter < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_iter must be at least 1"),
				 errdetail("max_iter is %d.", max_iter),
				 errhint("max_iter bounds the iterations of one run; 300 is usual.")));
}

static inline void
UsKmeansCheckTol(double tol)
{
	if (!(tol >= 0.0) || isinf(tol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tol must be a finite number of at least 0"),
				 errdetail("tol is %g.", tol),
				 errhint("tol is relative to the mean variance of the columns; 1e-4 is usual.")));
}

static inline void
UsKmeansCheckRows(int64 n, int k)
{
	if (n < k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k is greater than the number of rows"),
				 errdetail("There are " INT64_FORMAT " rows with features and k is %d.", n, k),
				 errhint("Use a k of at most the number of rows.")));
}

/* Uniform double in [0, 1) from a pg_prng_state (UsKmeansParams.uniform) */
static inline double
UsKmeansUniform(void *arg)
{
	return pg_prng_double((pg_prng_state *) arg);
}

/* Seed a K-Means generator from the seed argument */
static inline void
UsKmeansSeed(pg_prng_state *rng, int seed)
{
	pg_prng_seed(rng, (uint64) (int64) seed);
}

/*
 * Bytes K-Means needs beside the matrix, for the check before the work: per row its
 * labels, bounds and distance (5 x 8 bytes, the best run's labels included); per
 * center the k x d arrays (centers, transposed centers, sums, the best run's, the
 * result's) and the k-means++ trials (2 + log k distances per center, two blocks of
 * candidates); with a previous fit to match, the k x k cost matrix and two more
 * k x d arrays.  54000 on overflow.
 */
static inline Size
UsKmeansWorkBytes(int64 n, int d, int k, bool match)
{
	int			trials = 2 + (int) floor(log((double) Max(k, 1)));
	Size		bytes = UsMatrixBytes(n, 5);

	bytes = add_size(bytes, UsMatrixBytes(k, 5 * d + 8 + trials));
	bytes = add_size(bytes, UsMatrixBytes(2 * (trials + 16), d));
	if (match)
		bytes = add_size(add_size(bytes, UsMatrixBytes(k, 2 * d + 2)), UsMatrixBytes(k, k));
	return bytes;
}

/*
 * Fit K-Means on an already scaled matrix: check the memory budget, seed from the
 * seed argument, run the core.  init (k x d, scaled) or NULL for k-means++.
 * Allocates in the current memory context; reports nothing (callers say what a
 * run that did not converge means for them).
 */
static inline void
UsKmeansRun(const UsMatrix *m, int k, int seed, int n_init, int max_iter, double tol,
			const double *init, UsKmeansResult *result)
{
	UsCore		core;
	UsKmeansParams params;
	pg_prng_state rng;

	UsKmeansCheckRows(m->n, k);
	UsCheckDistanceRange(m, "k-means");
	/* the working arrays, next to the matrix the run already holds */
	UsCheckMemory(UsKmeansWorkBytes(m->n, m->d, k, false), "k-means on this data");

	UsCoreContextInit(&core);
	UsKmeansSeed(&rng, seed);
	memset(&params, 0, sizeof(params));
	params.k = k;
	params.n_init = n_init;
	params.max_iter = max_iter;
	params.tol = tol;
	params.init = init;
	params.uniform = UsKmeansUniform;
	params.rng_arg = &rng;
	params.verbose = userseg_progress;
	params.plain = false;
	UsKmeans(&core, m, &params, result);
}

#endif							/* KMEANS_OPTIONS_H */
