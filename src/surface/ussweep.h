/*-------------------------------------------------------------------------
 *
 * ussweep.h
 *	  Choosing k and comparing algorithms: what sweep.c shares with compare.c
 *	  (and, for scoring, with the K-Means table form).
 *
 * Both read a relation once (UsRead), scale it once, fit on the scaled
 * matrix and score every fit the same way (SweepScore), so that their numbers are
 * comparable between values of k and between algorithms.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USSWEEP_H
#define USSWEEP_H

#include "usdata.h"


/* Scores of one labelling of the scaled matrix; NaN where not applicable */
typedef struct SweepScores
{
	int			n_clusters;		/* distinct labels other than -1 */
	int64		noise;			/* rows labelled -1 */
	double		silhouette;		/* exact, or on the sample (sampled) */
	double		calinski_harabasz;
	double		davies_bouldin;
	double		inertia;		/* squared distances to the cluster means */
	bool		scored;			/* 2 <= n_clusters < rows that are not noise */
	bool		sampled;		/* silhouette on sample_rows drawn rows */
	int64		sample_rows;
} SweepScores;

/* ---- sweep.c ---- */

/* Raise 22004 if argument argno is NULL */
extern void SweepArgNotNull(FunctionCallInfo fcinfo, int argno, const char *name);

/* Raise 22023 unless sample_size >= 2 */
extern void SweepCheckSampleSize(int sample_size);

/*
 * Read the features of a relation (with the NULL policy) and scale them in place
 * with a scaler fitted on the rows read.  22000 when no rows (or no encoded
 * columns) are left.  Allocates in the current memory context.
 */
extern UsRelData *SweepReadScaled(Oid relid, ArrayType *features, UsNullPolicy nulls,
								  UsScaleMethod scale, UsMatrix *m);

/*
 * Score labels (0..c-1 or -1 for noise, one per row of m): silhouette (exact when
 * the rows that are not noise are at most sample_size, otherwise on sample_size of
 * them drawn with a generator seeded from seed), Calinski-Harabasz, Davies-Bouldin
 * and inertia, on the rows that are not noise.  Allocates in the current memory
 * context.
 */
extern void SweepScore(const UsMatrix *m, const int32 *labels, int sample_size, int seed,
					   SweepScores *out);

#endif							/* USSWEEP_H */
