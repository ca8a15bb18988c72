/*-------------------------------------------------------------------------
 *
 * usmodel.h
 *	  Saved models (model.c): the userseg_models row in C, its encoding, the
 *	  look-up with its cache, the save, and turning a row given as jsonb into the
 *	  model's encoded vector.
 *
 * One row per model name, for every algorithm that predicts.  What every algorithm
 * shares is in columns of their own (algorithm, parameters, features, encoded
 * columns, encoding, scaler, metrics, owner); an algorithm's state is the centroids
 * (K-Means, Mean Shift: k x d, scaled and in original units, with sizes) or, for
 * algorithms without centroids, the state jsonb (DBSCAN: core points and their
 * labels; Agglomerative: the points that label new rows; PCA: components, mean,
 * explained variance).  A new algorithm needs no new column and no new table.
 *
 * Ownership.  A model belongs to the role that fitted it (owner), whoever refits:
 * a name taken by another role is refused with 42501, also for a superuser or the
 * models table's owner, who bypass its row-level security.  The check is made
 * before any work (UsModelLockPrevious) and again when the row is written
 * (UsModelSave), so a concurrent fit by another role cannot take the row over.
 *
 * Names are 1 to US_MODEL_NAME_MAX bytes (22023 otherwise), checked before any work.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USMODEL_H
#define USMODEL_H

#include "usdata.h"

#include "utils/jsonb.h"

/* The longest model name, in bytes (as PostgreSQL's identifiers, NAMEDATALEN - 1) */
#define US_MODEL_NAME_MAX 63

/* One source column of a model, with its encoding */
typedef struct UsModelFeature
{
	char	   *name;			/* source column name */
	char	   *type;			/* its type, as format_type() writes it */
	bool		onehot;			/* one-hot encoded (categorical) */
	bool		trim;			/* blank-padded (char(n)): categories without trailing blanks */
	int			first;			/* first encoded column */
	int			ncols;			/* encoded columns: 1, or its categories */
	char	  **categories;		/* ncols categories, one per encoded column (onehot) */
	bool		has_imputed;	/* nulls = impute: the value a NULL stands for */
	double		imputed;		/* numeric: the column mean */
	char	   *imputed_category;	/* one-hot: the most frequent category */
} UsModelFeature;

typedef struct UsModel
{
	char	   *name;
	char	   *owner;
	char	   *algorithm;		/* "kmeans", ... */
	Jsonb	   *parameters;		/* the algorithm's parameters, as fitted */
	int			nfeatures;
	UsModelFeature *features;
	int			d;				/* encoded columns */
	char	  **columns;		/* d names: "source" or "source=category" */
	UsNullPolicy nulls;
	bool		drop_first;
	int			max_categories;
	UsScaleMethod scaler;
	double	   *center;			/* d */
	double	   *scale;			/* d */
	int			k;				/* centroids, or 0 */
	double	   *centroids;		/* k x d, scaled, or NULL */
	double	   *centroids_original; /* k x d, original units, or NULL */
	int64	   *sizes;			/* k, or NULL */
	Jsonb	   *state;			/* the algorithm's other state ({} for K-Means) */
	double		inertia;		/* NaN when not applicable */
	double		silhouette;		/* NaN when not scored */
	bool		silhouette_sampled;
	int64		rows;			/* rows fitted on */
} UsModel;

/* 22023 unless name is 1 to US_MODEL_NAME_MAX bytes */
extern void UsModelCheckName(const char *name);

/*
 * 22000 unless every element of a scaler's scale is a normal float8: not zero, not
 * denormal (dividing by a denormal overflows), not NaN or Infinity.  The one check of
 * a scaler's scale, for userseg_scale_apply, userseg_kmeans_nearest and predict.
 */
extern void UsCheckScale(const double *scale, int d, const char *what);

/*
 * The encoding part of a model (features, encoded columns, NULL policy, drop_first,
 * max_categories, imputed values) from a relation just read with opts, before its
 * matrix is scaled.  Allocates in the current memory context.
 */
extern UsModel *UsModelFromRel(const UsRelData *rel, const UsReadOptions *opts);

/*
 * The previous fit under name, locked (FOR UPDATE) until the transaction ends, or
 * NULL when the name is free.  42501 when another role owns the name.  nsp is the
 * extension's schema.
 */
extern UsModel *UsModelLockPrevious(Oid nsp, const char *name);

/* Insert or replace the model row (42501 if another role took the name meanwhile) */
extern void UsModelSave(Oid nsp, const UsModel *model);

/*
 * The model named name for the caller, parsed, cached with the calling expression
 * (fn_extra): looked up once per snapshot, parsed once per row version.  42704 for
 * an unknown model (or one of another role).
 */
extern const UsModel *UsModelLookup(FunctionCallInfo fcinfo, text *name);

/*
 * Encode a row given as a jsonb object (keys are the feature column names; other keys
 * are ignored) into x (model->d values) as the fit did: numbers for numeric
 * columns, one-hot for categorical ones (a category the fit did not see is all
 * zeros).  A JSON null or missing value follows the model's NULL policy: the imputed
 * value (impute), 22004 (error), or false is returned (skip: no label).
 */
extern bool UsModelEncodeJsonb(const UsModel *model, Jsonb *row, double *x);

/*
 * The same from a row of a table (or any composite value): its columns named as the
 * features, converted as the reader converts them (numbers cast to float8, categories
 * as their text).  42703 for a missing column, 42804 for a number of another type.
 */
extern bool UsModelEncodeRecord(const UsModel *model, HeapTupleHeader row, double *x);

/* "a, b, c": the model's feature columns in order, for messages */
extern char *UsModelFeatureList(const UsModel *model);

/* ---- dbscanmodel.c: DBSCAN models ---- */

/*
 * The state of a DBSCAN model: the core rows of m (scaled) with their labels, eps and
 * min_samples.  54000 when it would not fit in a saved model (naming both sizes) or
 * in the operation's budget.
 */
extern Jsonb *UsDbscanStateJsonb(const UsMatrix *m, const bool *is_core, const int32 *labels,
								 int64 ncore, double eps, double min_samples);

/*
 * The label of a new row x (scaled, model->d values) by a DBSCAN model: that of the
 * nearest core row within eps (ties to the lower-numbered core row), or -1.  The state
 * is parsed and indexed once and kept for the backend.  42809 for a model of another
 * algorithm, 22000 for a state that does not parse.
 */
extern int32 UsDbscanPredict(const UsModel *model, const double *x);

#endif							/* USMODEL_H */
