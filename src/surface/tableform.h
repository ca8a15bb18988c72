/*-------------------------------------------------------------------------
 *
 * tableform.h
 *	  The one path of every table form (tableform.c): read, encode, scale, then
 *	  the caller fits, scores (SweepScore), writes labels and saves its model;
 *	  parameters given as jsonb; the algorithm registry's entry type.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TABLEFORM_H
#define TABLEFORM_H

#include "ussweep.h"
#include "usmodel.h"

/* What every table form reads: the relation, its features, how, and the scaler */
typedef struct TableFormArgs
{
	Oid			relid;
	ArrayType  *features;
	UsReadOptions read;			/* nulls, id_column, label_column, max_categories, ... */
	UsScaleMethod scale;
} TableFormArgs;

/* The rows read, encoded and scaled */
typedef struct TableFormData
{
	UsRelData  *rel;
	UsModel    *model;			/* the encoding of a model fitted on these rows */
	UsMatrix	m;				/* n x d, scaled in place */
	double	   *center;			/* the scaler: d each */
	double	   *scale;
} TableFormData;

/*
 * Parse the arguments every table form takes, by position: source, features, scale,
 * nulls, max_categories, drop_first (22004 for NULL ones, 22023 for bad values)
 */
extern void TableFormParse(FunctionCallInfo fcinfo, int source, int features, int scale,
						   int nulls, int max_categories, int drop_first,
						   const char *caller, TableFormArgs *args);

/*
 * Read (the one place that calls the relation reader), record the encoding, check that
 * there are rows to cluster (22000), fit the scaler and scale in place.  Allocates in
 * the current memory context, charged to the operation's budget.
 */
extern void TableFormRead(const TableFormArgs *args, TableFormData *data);

/*
 * TableFormRead with a weight column (DBSCAN's sample_weight): read in the same scan,
 * *weight gets one value per matrix row, and the matrix, the encoding and the scaler
 * are the features' alone.  22023 when the column is also a feature, 42804 when it is
 * not numeric, 22004 when a row read has a NULL weight (whatever the NULL policy:
 * with nulls => 'skip' the NOTICE of the skipped rows comes first); NaN and Infinity
 * are refused by the reader (22000).
 */
extern void TableFormReadWeighted(const TableFormArgs *args, const char *weight_column,
								  TableFormData *data, double **weight);

/*
 * Give the matrix back once the fit is scored: writing labels and saving the model need
 * only the row identities, the labels and the model, so the operation's peak is the
 * matrix plus the fit's working arrays, not the matrix plus the label write's arrays
 */
extern void TableFormDropMatrix(TableFormData *data);

/* ---- parameters as jsonb objects ---- */

/*
 * 22023 unless c (an object, or NULL for none) has only keys among valid
 * (NULL-terminated); what names the object in messages ("params", "params.kmeans"),
 * noun and nouns its keys ("algorithm", "algorithms")
 */
extern void TableFormCheckKeys(JsonbContainer *c, const char *what, const char *noun,
							   const char *nouns, const char *const *valid);

/* The object under key, or NULL; 22023 when it is not an object */
extern JsonbContainer *TableFormParamObject(JsonbContainer *c, const char *what,
											const char *key);

/* An integer or a number under key, or def when absent (22023 for another type) */
extern int	TableFormParamInt(JsonbContainer *c, const char *what, const char *key, int def);
extern double TableFormParamFloat(JsonbContainer *c, const char *what, const char *key,
								  double def);

/* "a, b, c": the names of a NULL-terminated list */
extern char *TableFormNameList(const char *const *names);

/* ---- the algorithm registry (compare.c) ---- */

/* What every algorithm is given in a comparison */
typedef struct CompareArgs
{
	int			k;				/* clusters wanted, for algorithms that take k */
	int			seed;			/* for algorithms that draw random numbers */
	JsonbContainer *params;		/* this algorithm's object of params, or NULL */
} CompareArgs;

/* What an algorithm returns */
typedef struct CompareFit
{
	int32	   *labels;			/* one per row: 0, 1, ... or -1 for noise */
	double		inertia;		/* the algorithm's own inertia, or NaN: the scores' */
	char	   *note;			/* what to tell about the fit, or NULL */
} CompareFit;

typedef void (*CompareFitFn) (const UsMatrix *m, const CompareArgs *args, CompareFit *fit);

/*
 * One algorithm of userseg_compare, exported by its surface file: its name (the
 * algorithm column and its key in params), its fit on the scaled matrix with its
 * defaults (scikit-learn's) for parameters not given, and the keys it takes
 */
typedef struct CompareAlgorithm
{
	const char *name;
	CompareFitFn fit;
	const char *const *params;	/* NULL-terminated */
} CompareAlgorithm;

/* kmeans.c */
extern const CompareAlgorithm kmeans_compare;

/* dbscan.c */
extern const CompareAlgorithm dbscan_compare;

/* agglomerative.c */
extern const CompareAlgorithm agglomerative_compare;
/* meanshift.c */
extern const CompareAlgorithm meanshift_compare;
/* spectral.c */
extern const CompareAlgorithm spectral_compare;

#endif							/* TABLEFORM_H */
