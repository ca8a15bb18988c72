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
 * in the window form, the sweep and the comparison.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KMEANS_OPTIONS_H
#define KMEANS_OPTIONS_H

#include "userseg.h"

#include <math.h>

#include "common/pg_prng.h"

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

#endif							/* KMEANS_OPTIONS_H */
