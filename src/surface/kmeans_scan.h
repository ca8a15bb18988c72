/*-------------------------------------------------------------------------
 *
 * kmeans_scan.h
 *	  K-Means of the table form over a relation pass by pass (kmeans_scan.c),
 *	  for method => 'scan' and for tables whose matrix would not fit in
 *	  userseg.memory_limit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef KMEANS_SCAN_H
#define KMEANS_SCAN_H

#include "tableform.h"

/* How the table form runs */
typedef enum KmeansMethod
{
	KMEANS_AUTO,				/* in memory, or by scan when the matrix would not fit */
	KMEANS_MEMORY,
	KMEANS_SCAN,
	KMEANS_MINIBATCH			/* mini-batch K-Means on a sample, then a label pass */
} KmeansMethod;

/* 22023 for an unknown method, with the valid ones */
extern KmeansMethod KmeansParseMethod(const char *name);

/* What the table form asks for */
typedef struct KmeansScanArgs
{
	TableFormArgs *table;		/* relation, features, read options, scaler */
	int			k;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	ArrayType  *init;			/* k x d in original units, or NULL */
	const char *model;			/* the name to save the model under, or NULL */
	KmeansMethod method;		/* KMEANS_SCAN or KMEANS_MINIBATCH */
	int			batch_size;		/* KMEANS_MINIBATCH */
	Oid			nsp;			/* the extension's schema */
} KmeansScanArgs;

/* What a K-Means model row records of a fit, in memory or by scan */
typedef struct KmeansFit
{
	const char *model;			/* the model's name */
	const TableFormArgs *table; /* relation, read options */
	int			k;
	int			seed;
	int			n_init;
	int			max_iter;
	double		tol;
	bool		init;			/* fitted from given initial centers */
	const char *method;			/* "scan" or "minibatch"; NULL in memory */
	int			batch_size;		/* "minibatch": its batch size; else 0 */
	double	   *centers;		/* k x d, scaled */
	int64	   *sizes;			/* k */
	double		inertia;
	int			iterations;
	bool		converged;
} KmeansFit;

/* ---- kmeans.c: the model of a fit, shared by the in-memory and scan paths ---- */

/*
 * Whether a refit keeps the previous fit's numbering: the same algorithm, k, features
 * and encoded columns; otherwise a NOTICE names what changed
 */
extern bool KmeansSameModel(const UsModel *prev, const UsModel *m, int k);

/*
 * Renumber clusters to match previous centers (k x d, original units) one to one,
 * at the least total squared distance in the new scaled space (center, scale):
 * centers (k x d, scaled), sizes (k) and labels (n, may be NULL with n = 0) in place
 */
extern void KmeansMatchPrevious(double *centers, int64 *sizes, int32 *labels, int64 n,
								int k, int d, const double *previous, const double *center,
								const double *scale);

/*
 * Fill the model row of a fit (m holds the encoding and the scaler): name, parameters,
 * centroids scaled and in original units, sizes, inertia, the silhouette of sc
 */
extern void KmeansModelFill(UsModel *m, const KmeansFit *f, const SweepScores *sc);

/* ---- kmeans_scan.c ---- */

/*
 * Whether method => 'auto' should scan: the matrix of the relation's estimated rows
 * (pg_class.reltuples) and K-Means' working arrays would exceed userseg.memory_limit
 * and every feature is numeric
 */
extern bool KmeansScanWanted(const TableFormArgs *table, int k, Size *need);

/* Run the table form by scan; returns the summary row (userseg_kmeans_summary) */
extern Datum KmeansScanTable(FunctionCallInfo fcinfo, const KmeansScanArgs *a);

#endif							/* KMEANS_SCAN_H */
