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
	const char *model;			/* must be NULL (0A000 otherwise) */
	KmeansMethod method;		/* KMEANS_SCAN or KMEANS_MINIBATCH */
	int			batch_size;		/* KMEANS_MINIBATCH */
	Oid			nsp;			/* the extension's schema */
} KmeansScanArgs;

/*
 * Whether method => 'auto' should scan: the matrix of the relation's estimated rows
 * (pg_class.reltuples) and K-Means' working arrays would exceed userseg.memory_limit
 * and every feature is numeric
 */
extern bool KmeansScanWanted(const TableFormArgs *table, int k, Size *need);

/* Run the table form by scan; returns the summary row (userseg_kmeans_summary) */
extern Datum KmeansScanTable(FunctionCallInfo fcinfo, const KmeansScanArgs *a);

#endif							/* KMEANS_SCAN_H */
