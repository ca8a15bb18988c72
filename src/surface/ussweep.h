/*-------------------------------------------------------------------------
 *
 * ussweep.h
 *	  Scoring a labelling, shared by the sweep, the comparison and every table
 *	  form (sweep.c), and argument checks they share.
 *
 * Every table form reads and scales through tableform.c and scores its fit the same
 * way (SweepScore), so that numbers are comparable between values of k, between
 * algorithms and with the table forms' summaries.
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
 * Score labels (0..c-1 or -1 for noise, one per row of m): silhouette (exact when
 * the rows that are not noise are at most sample_size, otherwise on sample_size of
 * them drawn with a generator seeded from seed), Calinski-Harabasz, Davies-Bouldin
 * and inertia, on the rows that are not noise.  Allocates in the current memory
 * context.
 */
extern void SweepScore(const UsMatrix *m, const int32 *labels, int sample_size, int seed,
					   SweepScores *out);

#endif							/* USSWEEP_H */
