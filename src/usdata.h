/*-------------------------------------------------------------------------
 *
 * usdata.h
 *	  The input and output layer: arrays, window partitions and relations read
 *	  through SPI into one contiguous n x d matrix, and results back out.
 *
 * Argument checks raise errors with precise SQLSTATEs:
 *	22000 data_exception			 NaN or Infinity, vectors of different lengths,
 *									 multi-dimensional arrays
 *	22004 null_value_not_allowed	 NULL element, or a NULL with nulls => 'error'
 *	22023 invalid_parameter_value	 unknown option values (with a hint listing the valid)
 *	2202E array_subscript_error		 (not used: ragged input is 22000)
 *	42501 insufficient_privilege	 a relation the caller may not read
 *	42703 undefined_column			 an unknown column
 *	42804 datatype_mismatch			 a column of a type that cannot be a feature
 *	54000 program_limit_exceeded	 over userseg.memory_limit (both sizes named)
 *
 *-------------------------------------------------------------------------
 */
#ifndef USDATA_H
#define USDATA_H

#include "userseg.h"

#include "storage/itemptr.h"
#include "utils/array.h"
#include "windowapi.h"

/* ---- datalayer.c: options, memory budget, arrays ---- */

typedef enum UsNullPolicy
{
	US_NULLS_SKIP,				/* leave the row out (its label is NULL), NOTICE */
	US_NULLS_IMPUTE,			/* column mean; most frequent category */
	US_NULLS_ERROR,				/* 22004 */
	US_NULLS_KEEP				/* internal: keep NaN in the matrix (describe) */
} UsNullPolicy;

extern UsNullPolicy UsParseNullPolicy(const char *name);
extern UsScaleMethod UsParseScaleMethod(const char *name);
extern const char *UsScaleMethodName(UsScaleMethod method);

/* n * d * sizeof(double), overflow-checked (54000 on overflow) */
extern Size UsMatrixBytes(int64 n, int d);

/* 54000 if bytes exceed userseg.memory_limit; "what" names the data in the message */
extern void UsCheckMemory(Size bytes, const char *what);

/* Check the budget, then allocate (zeroed, huge allowed) in CurrentMemoryContext */
extern double *UsAllocMatrix(int64 n, int d, const char *what);
extern void *UsAllocChecked(Size bytes, const char *what);

/*
 * Length of a feature vector: a one-dimensional float8[] with at least one element.
 * Errors: 22000 for more than one dimension or an empty array.
 */
extern int	UsVectorDims(ArrayType *a);

/*
 * Copy a feature vector of d elements into out.  Errors: 22000 if its length is not d
 * ("what" names the argument), 22004 for a NULL element, 22000 for NaN or Infinity.
 */
extern void UsVectorToDoubles(ArrayType *a, int d, double *out, const char *what);

/* Same checks, but returns false instead of raising 22004 on a NULL element */
extern bool UsVectorToDoublesOrNull(ArrayType *a, int d, double *out, const char *what);

extern ArrayType *UsDoublesToArray(const double *x, int d);

/* ---- datalayer.c: window partitions ---- */

/*
 * All rows of the current window partition.  Rows whose feature argument is NULL (or
 * has a NULL element) are not in the matrix: row_of[r] is -1 for them.  When a label
 * argument is asked for, rows with a NULL label are left out the same way and labels[]
 * holds the label of each matrix row.
 */
typedef struct UsWinData
{
	int64		nrows;			/* rows in the partition */
	int64	   *row_of;			/* partition row -> matrix row, or -1 */
	UsMatrix	m;				/* the rows with features (and a label, if asked) */
	int32	   *labels;			/* m.n labels, or NULL when not asked */
} UsWinData;

/*
 * Read the current partition into memory of the partition's lifetime, once per
 * partition: later calls in the same partition return the same object.  extra_size
 * bytes (zeroed) follow the struct for the caller's cached results (UsWinExtra).
 */
extern UsWinData *UsWinReadPartition(WindowObject winobj, int feature_argno,
									 int label_argno, Size extra_size,
									 bool *first_call);

/* The caller's cached results after a UsWinData */
#define UsWinExtra(w) ((void *) (((char *) (w)) + MAXALIGN(sizeof(UsWinData))))

/* Memory context that lives as long as the current partition */
extern MemoryContext UsWinPartitionContext(WindowObject winobj);

/* ---- datalayer.c: relations through SPI ---- */

/* One column of the encoded matrix */
typedef struct UsColumn
{
	char	   *source;			/* source column name */
	char	   *category;		/* category of a one-hot column; NULL if numeric */
	Oid			typid;			/* type of the source column */
	int			feature;		/* index of the source column in the features list */
} UsColumn;

typedef struct UsRelData
{
	Oid			relid;
	int			nfeatures;		/* source columns asked for */
	int			d;				/* encoded columns */
	UsColumn   *cols;			/* d of them */
	int64		nrows;			/* rows read */
	int64		n;				/* rows in the matrix */
	int64		nskipped;		/* rows left out for NULLs (nulls => 'skip') */
	int64	   *nulls;			/* per source feature: rows where it is NULL */
	double	   *x;				/* n x d; NaN marks NULL with US_NULLS_KEEP */
	ItemPointerData *tids;		/* n ctids, when asked for */
} UsRelData;

/*
 * Read the named columns of a relation into a matrix.  Numeric columns (int2, int4,
 * int8, float4, float8, numeric) are one column each; text, varchar, char, enum and
 * boolean columns are one-hot encoded, one column per distinct non-NULL value, in the
 * byte order of the values' text (boolean: false, true).  Checks SELECT privilege
 * (42501), resolves every name exactly as written (42703), rejects other types
 * (42804), empty feature lists (22023), NaN or Infinity in a float column (22000) and
 * checks the budget before allocating.  With want_tids, records each row's ctid so
 * results can be written back.
 */
extern UsRelData *UsReadRelation(Oid relid, ArrayType *features, UsNullPolicy nulls,
								 bool want_tids);

#endif							/* USDATA_H */
