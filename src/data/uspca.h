/*-------------------------------------------------------------------------
 *
 * uspca.h
 *	  PCA and box statistics in and out of PostgreSQL (pcadata.c): the entry points
 *	  the SQL functions, plots and reports share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USPCA_H
#define USPCA_H

#include "usmodel.h"

/* 22023 unless 1 <= k <= d (d encoded columns; -1 before they are known) */
extern void UsPcaCheckComponents(int k, int d);

/* That, and 22000 unless there are at least max(k, 2) rows */
extern void UsPcaCheckRows(int64 n, int d, int k);

/*
 * PCA of m (centred; overwritten when it has fewer rows than columns) with k components, as scikit-learn's
 * PCA(svd_solver='full', whiten): checks the rows and the budget first; 22000 when
 * LAPACK does not converge or a whitened component has no variance, 22003 when a
 * variance overflows, 54000 past the budget or LAPACK's int.  Result arrays in the
 * current memory context.
 */
extern void UsPcaRun(UsMatrix *m, int k, bool whiten, bool want_coords, UsPcaResult *res);

/* The model's state of a fit */
extern Jsonb *UsPcaStateJsonb(const UsPcaResult *res);

/* 42809 unless the model is a PCA */
extern void UsPcaCheckModel(const UsModel *model);

/*
 * The fit of a saved PCA model (coords NULL): 42809 for a model of another
 * algorithm, 22000 for a state that does not parse
 */
extern void UsPcaFromModel(const UsModel *model, UsPcaResult *res);

/*
 * The same, parsed once per state and kept for the backend (the last one used): for
 * projecting row after row.  The result must not be changed or freed.
 */
extern const UsPcaResult *UsPcaModelCached(const UsModel *model);

/* rd->k x rd->rel->d boxes of a report's rows, per cluster (budget checked first) */
extern UsBox *UsBoxPerCluster(const UsReportData *rd);

#endif							/* USPCA_H */
