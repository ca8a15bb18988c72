/*-------------------------------------------------------------------------
 *
 * usdata.h
 *	  The input and output layer: arrays, window partitions and relations read
 *	  through SPI into one contiguous n x d matrix, and results back out.
 *
 * Argument checks raise errors with precise SQLSTATEs:
 *	0A000 feature_not_supported		 a label table with an INSTEAD rule on UPDATE
 *	22000 data_exception			 NaN or Infinity, vectors of different lengths,
 *									 multi-dimensional arrays
 *	22004 null_value_not_allowed	 NULL element, or a NULL with nulls => 'error'
 *	22023 invalid_parameter_value	 unknown option values (with a hint listing the valid)
 *	2202E array_subscript_error		 (not used: ragged input is 22000)
 *	23505 unique_violation			 an id column with duplicates
 *	27000 triggered_data_change_violation  a trigger kept labels from being written
 *	42501 insufficient_privilege	 a relation the caller may not read (or update),
 *									 or row-level security kept labels from being written
 *	42703 undefined_column			 an unknown column
 *	42804 datatype_mismatch			 a column of a type that cannot be a feature,
 *									 or a label column that is not an integer
 *	42809 wrong_object_type			 a relation kind without rows, or without ctids
 *	54000 program_limit_exceeded	 over userseg.memory_limit (both sizes named), or
 *									 more categories than max_categories
 *
 *-------------------------------------------------------------------------
 */
#ifndef USDATA_H
#define USDATA_H

#include "userseg.h"

#include "access/attnum.h"
#include "storage/itemptr.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
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

/*
 * One memory budget per operation (datalayer.c).  An operation creates its run context
 * with UsRunContextCreate; what it holds is what is allocated in that context and its
 * children.  Every allocation that grows with the data (UsAllocChecked, UsAllocMatrix,
 * the core's allocator from UsCoreContextInit) and every size checked in advance
 * (UsCheckMemory) must fit, next to what is held, in userseg.memory_limit: 54000 naming
 * what is asked, what is held and the limit.  The budget ends with that context.
 */
#define UsRunContextCreate(name) \
	UsRunContextStart(AllocSetContextCreate(CurrentMemoryContext, (name), ALLOCSET_DEFAULT_SIZES))
extern MemoryContext UsRunContextStart(MemoryContext cxt);

/* 54000 unless bytes more fit in the operation's budget */
extern void UsCheckMemory(Size bytes, const char *what);

/* 54000 for data grown row by row that reached the limit after rows rows */
extern void UsBudgetFailGrowing(int64 rows, const char *what);

/* Bytes the operation holds now */
extern Size UsBudgetUsed(void);

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

/*
 * Draw a random subset of m of the n entries of idx into idx[0..m): a partial
 * Fisher-Yates shuffle with a local pg_prng_state seeded from seed.  The sampled
 * silhouettes of the aggregate, the sweep and the table form all draw this way.
 */
extern void UsSampleIndexes(int64 *idx, int64 n, int64 m, int32 seed);

/*
 * Fit a scaler on m, scale m in place, and check that the scaler and every scaled value
 * are finite (22003 when values too large for float8 arithmetic overflow the fit)
 */
extern void UsScaleFitApply(const UsCore *core, UsMatrix *m, UsScaleMethod method,
							double *center, double *scale);

/* 22003 naming a column when squared distances over the rows of m overflow */
extern void UsCheckDistanceRange(const UsMatrix *m, const char *fn);

/*
 * Set up the materialized result of a set-returning function declared RETURNS
 * TABLE (or with OUT parameters): a tuple store and a copy of the row descriptor in
 * the query's memory, returned through *desc.  0A000 when the caller cannot take a
 * materialized set.
 */
extern Tuplestorestate *UsMaterializeResult(FunctionCallInfo fcinfo, TupleDesc *desc);

/* A float8 result column: NULL where the value is NaN (not applicable) */
static inline Datum
UsFloat8OrNull(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(*isnull ? 0.0 : v);
}

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

/* The current row's value of window argument argno; 22004 naming it when NULL */
extern Datum UsWinArgNotNull(WindowObject winobj, int argno, const char *name);

/* Memory context that lives as long as the current partition */
extern MemoryContext UsWinPartitionContext(WindowObject winobj);

/* ---- relation.c, readrows.c: relations read through SPI ---- */

/*
 * Reading a relation (UsRead)
 *
 * The relation arrives as a regclass; feature names arrive as text and are resolved
 * with get_attnum exactly as written (no case folding), then quoted: identifiers are
 * never spliced into queries.  The relation is read in ONE scan, under one snapshot
 * taken when the read starts (after its lock), each row taken from the executor as it
 * comes, checking interrupts: any relation the caller can SELECT from works, a view
 * over TABLESAMPLE, random() or clock_timestamp() included.  Memory: the n x d matrix (grown by an
 * eighth at a time and charged to the operation's budget, userseg.memory_limit, as it
 * grows), the categories and one batch.
 *
 * Encoding.  Numeric columns (int2, int4, int8, float4, float8, numeric, and domains
 * over them) are one column each, converted to float8.  text, varchar, char, enum and
 * boolean columns (and domains over them) are one-hot encoded: one column per distinct
 * non-NULL value, in the byte order of the values' text (COLLATE "C"; boolean: false,
 * true; enum: its labels' text, not the enum's declared order; char: without trailing
 * blanks), each 1 in rows of that value and 0 elsewhere.  With drop_first, each such
 * column's first category in that order has no encoded column (pandas' get_dummies
 * with drop_first=True): its rows are all zeros.  A categorical column whose values
 * are all NULL has no encoded column.  With nulls => 'skip', categories are taken from
 * the rows kept only (as pandas' get_dummies after dropna()).  A one-hot column with
 * more than max_categories distinct values is 54000, naming the column and its count;
 * a text, varchar or char column whose values all read as decimal numbers gets a
 * NOTICE with the ALTER TABLE that casts it.
 *
 * NULL policy.  US_NULLS_SKIP leaves out every row with a NULL in any feature and
 * raises a NOTICE saying how many rows were skipped and the NULLs per column;
 * US_NULLS_IMPUTE puts the column mean (over its non-NULL values) in numeric columns
 * and the most frequent category (ties to the first in sort order) in one-hot columns;
 * a column of only NULLs cannot be imputed (22000).  US_NULLS_ERROR raises 22004
 * naming the first column with NULLs.  US_NULLS_KEEP keeps every row: NaN marks a NULL
 * in a numeric column, a NULL category is all zeros (as pandas' get_dummies).
 *
 * Empty input.  An empty relation, or one whose rows are all skipped, is not an error
 * here: the result has n = 0 (and x = NULL).  Callers that need rows raise 22000
 * ("no rows to ...") themselves; describe shows counts of zero.
 *
 * Errors: 22004 NULL features array or element; 22023 empty features array, more than
 * one dimension, duplicate names, more than 1600 names, max_categories below 1; 42P01
 * a relation dropped meanwhile; 42809 a relation kind without rows (index, sequence,
 * composite type); 42501 without SELECT on the table or on every feature column; 42703
 * an unknown, dropped or system column; 42804 a column of another type (hint lists the
 * types); 22000 NaN or Infinity in a float or numeric column (naming it); 54000 over
 * userseg.memory_limit, or past max_categories.
 */

/* One source column asked for */
typedef struct UsFeature
{
	char	   *name;			/* column name as written */
	AttrNumber	attnum;
	Oid			typid;			/* declared type (a domain stays a domain) */
	bool		onehot;			/* one-hot encoded (text, varchar, char, enum, bool) */
	int			first;			/* first encoded column */
	int			ncols;			/* encoded columns: 1, or its categories (maybe 0) */
} UsFeature;

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
	char	   *relname;		/* schema-qualified, quoted: for queries and messages */
	int			nfeatures;		/* source columns asked for */
	UsFeature  *features;		/* nfeatures of them */
	int			d;				/* encoded columns */
	UsColumn   *cols;			/* d of them */
	int64		nrows;			/* rows read */
	int64		n;				/* rows in the matrix */
	int64		nskipped;		/* rows left out for NULLs (nulls => 'skip') */
	int64	   *nulls;			/* per source feature: rows where it is NULL */
	double	   *x;				/* n x d; NaN marks NULL with US_NULLS_KEEP */

	/*
	 * What encoding a new row the way this read did needs (with features and cols):
	 * the NULL policy, drop_first, and per encoded column the value a NULL became
	 * with US_NULLS_IMPUTE (the mean of a numeric column; 1 in the most frequent
	 * category's column and 0 in the others of a one-hot column), NaN otherwise.
	 */
	UsNullPolicy nullpolicy;
	bool		drop_first;
	double	   *imputed;		/* d of them */

	/*
	 * Row identities, when asked for (want_tids, or read for labels): tids[i] and
	 * tableoids[i] identify matrix row i; skipped_tids / skipped_tableoids the
	 * nskipped rows left out.  The table oid tells partitions and inheritance
	 * children apart (their ctids overlap).  A ctid stays valid only while no one
	 * else may update the table: see label_column in UsReadOptions.
	 */
	ItemPointerData *tids;		/* n ctids */
	Oid		   *tableoids;		/* n table oids */
	ItemPointerData *skipped_tids;	/* nskipped ctids */
	Oid		   *skipped_tableoids;	/* nskipped table oids */
	bool		for_labels;		/* read with a label column */

	/* The id column of an ordered read (UsReadOptions.id_column), else NULL / 0 */
	char	   *id_column;
	AttrNumber	id_attnum;
	Oid			id_typid;		/* declared type */
	Oid			id_collation;	/* "C" for collatable types, else InvalidOid */
} UsRelData;

/*
 * Column names of a text[] argument: one dimension, no NULL elements, no duplicates
 * (22023, 22004); with required, NULL (22004) and empty (22023) are refused too
 */
extern char **UsColumnNames(ArrayType *arr, const char *argname, const char *what,
							bool required, int *n);

/*
 * 42P01 for a relation dropped meanwhile, 42809 for a kind without rows (an index, a
 * sequence) or, with want_tids, without ctids (views, foreign tables)
 */
extern void UsCheckRelationKind(Oid relid, bool want_tids);

/*
 * How to read a relation: UsRead's options (UsReadOptionsInit sets the defaults)
 *
 * id_column: the rows in the order of this column, so that the matrix, and every
 * result computed from it, does not depend on the relation's physical order.  It must
 * exist (42703; not a system column), be readable (42501), be of a type with a default
 * btree operator class (42804), and not be the label column (22023); it may also be a
 * feature.  Rows are sorted with ORDER BY id_column, COLLATE "C" for collatable types
 * (so the order does not depend on the database's locale either).  While reading,
 * every row (those skipped for NULL features included) must have an id: a NULL id is
 * 22004, two rows with equal ids (equal by the sort's comparison) are 23505
 * unique_violation, as for CREATE UNIQUE INDEX on such data.  The sort costs
 * O(n log n) (work_mem, then temporary files), done by the executor.
 *
 * label_column: read for writing labels into that column afterwards with
 * UsWriteLabels, in the same transaction.  Before locking, checks UPDATE privilege on
 * the table (or on the label column when it exists) and, when the column does not
 * exist yet, that the caller owns the table so it can be added (42501).  Then takes a
 * ShareRowExclusiveLock, held until the transaction ends: concurrent readers go on,
 * concurrent writers (and VACUUM, other label writers) wait, so the ctids read stay
 * valid until the labels are written.  The read's snapshot is taken after the lock is
 * granted, so it sees every row a writer committed before.  Checks the label column:
 * an existing column must be int2, int4 or int8 (42804), may not be a system column, a
 * generated column or a feature (22023).  A table with an INSTEAD rule on UPDATE is
 * refused (0A000, naming the rule).  Records row identities.  Tables and partitioned
 * tables only (42809).
 *
 * Without a label column the read takes an AccessShareLock (as a SELECT would), so
 * concurrent writers may change rows afterwards: the ctids recorded with want_tids
 * name rows as they were in the read's snapshot, fine for reporting but not for
 * writing labels.  Works on tables, partitioned tables, views, materialized views and
 * foreign tables; want_tids needs a table or a partitioned table (42809).
 *
 * The result is allocated in the current memory context.
 */
typedef struct UsReadOptions
{
	UsNullPolicy nulls;			/* default US_NULLS_SKIP */
	const char *id_column;		/* rows in this unique column's order, or NULL */
	const char *label_column;	/* read for writing labels into it (UsWriteLabels), or NULL */
	bool		want_tids;		/* record row identities (implied by label_column) */
	int			max_categories; /* most distinct values of a one-hot column (54000 past
								 * it; below 1 is 22023) */
	bool		drop_first;		/* one-hot: leave out each column's first category */
	const char *caller;			/* the SQL function the user called, for messages */
} UsReadOptions;

#define US_DEFAULT_MAX_CATEGORIES 100

extern void UsReadOptionsInit(UsReadOptions *opts);

/* Read a relation with the given options (see above and UsReadOptions) */
extern UsRelData *UsRead(Oid relid, ArrayType *features, const UsReadOptions *opts);

/* ---- labels.c: label columns ---- */

/*
 * Write labels[i] for matrix row i into label_column of a relation read with that
 * label column, and NULL into the rows left out (skipped), in ONE UPDATE
 * statement joining on (tableoid, ctid) from arrays bound as parameters: concurrent
 * readers see all old or all new labels, and a rollback restores the old ones.  Adds
 * the column as integer when it does not exist (ALTER TABLE ... ADD COLUMN, which
 * takes an AccessExclusiveLock until the transaction ends; it does not rewrite the
 * table, so ctids stay valid).  Rows whose label does not change are not rewritten
 * (a nightly re-run with stable labels writes little).  Returns the rows whose label
 * changed.  Row-level security policies and triggers of the table apply as to any
 * UPDATE, and all labels are written or none: when the UPDATE changes fewer rows than
 * the labels that change (an UPDATE policy that leaves rows out, a BEFORE UPDATE
 * trigger returning NULL), the write fails, with 42501 when row-level security applies
 * to the table and 27000 triggered_data_change_violation otherwise; the error aborts
 * the statement, so the UPDATE is rolled back.
 */
extern int64 UsWriteLabels(const UsRelData *rel, const char *label_column,
						   const int32 *labels);

/*
 * 22000 when a read left no rows (all skipped, or an empty relation) or no encoded
 * columns (every feature categorical and all NULL): for callers that cluster
 */
extern void UsCheckRowsToCluster(const UsRelData *rel);

/* ---- reportread.c: the rows behind profiles, crosstabs and segment sentences ---- */

/*
 * A report's relation read once with the relation reader (US_NULLS_KEEP), the label
 * column with the features.  Every integer label is a cluster, -1 (noise) included;
 * rows with a NULL label are in none.  Errors: see reportread.c; 22000 when no row has
 * a label.
 */
typedef struct UsReportData
{
	UsRelData  *rel;			/* the features named first, then maybe the label */
	int			nfeatures;		/* features named by the caller */
	int64		nrows;			/* rows of the source */
	int			k;				/* clusters */
	int32	   *clusters;		/* k labels, ascending */
	int64	   *sizes;			/* k rows per cluster */
	int64		total;			/* labelled rows */
	int32	   *group;			/* rel->n: index into clusters, -1 without a label */
} UsReportData;

/* Counts per cluster and category (the text of a column of any type) */
typedef struct UsCrosstab
{
	int			k;
	int32	   *clusters;		/* k labels, ascending */
	int64	   *sizes;			/* k rows per cluster */
	int			ncat;
	char	  **cats;			/* ncat categories COLLATE "C"; a NULL one last */
	int64	   *catcounts;		/* ncat labelled rows per category */
	int64	   *counts;			/* k x ncat */
	int64		total;			/* labelled rows */
} UsCrosstab;

/* Check the source and its label column (42P01, 42809, 42501, 42703, 42804) */
extern Oid	UsReportCheckSource(Oid relid, const char *label_column);
extern UsReportData *UsReportRead(Oid relid, const char *label_column, ArrayType *features);
extern UsCrosstab *UsReportCrosstab(Oid relid, const char *label_column,
									const char *category_column);

/* ---- projection.c: projection tables ---- */

/*
 * Before any work: the projection table's name (target, schema-qualified or not) as
 * UsWriteProjection takes it, quoted; 22023 for a name that does not parse, 42P07
 * when it exists, 3F000 for an unknown schema; 22023 without an id column, 42703 for
 * a column the relation lacks, 42804 for a segment (label) column not an integer
 */
extern char *UsCheckProjection(Oid relid, const char *target, const char *id_column,
							   const char *segment_column);

/*
 * Create the new table (its quoted name from UsCheckProjection) with columns id (as id_column is declared), segment (int4, the source's
 * segment_column, when given) and pc1 ... pck (float8), and fill it with one row per
 * matrix row of rel (read with row identities) from coords (n x k), in the caller's
 * transaction.  40001 when rows of the source moved meanwhile (nothing is left
 * behind: the error aborts the statement).  Returns the rows written.
 */
extern int64 UsWriteProjection(const UsRelData *rel, const char *table,
							   const char *id_column, const char *segment_column,
							   const double *coords, int k);

/* ---- relation.c, scanpass.c: a relation read pass after pass (K-Means by scan) ---- */

/*
 * What UsRead checks and locks, without reading: features, id and label columns
 * resolved (its errors), the lock held until the transaction ends
 */
extern UsRelData *UsResolve(Oid relid, ArrayType *features, const UsReadOptions *opts);

#include "utils/snapshot.h"

/* A relation scanned pass after pass under one snapshot (scanpass.c) */
typedef struct UsScanRel
{
	UsRelData  *rel;			/* resolved; nrows, n, nskipped, nulls after UsScanStats */
	int			d;				/* numeric features, one column each */
	UsScaleMethod method;
	const char *schema;			/* the extension's schema, quoted */
	Oid			scaler_type;	/* its userseg_scaler type */
	char	   *vector;			/* SQL: the features as a float8[] */
	char	   *complete;		/* SQL: no feature is NULL */
	Snapshot	snap;			/* of every read pass */
	double	   *center;			/* d: the scaler, after UsScanStats */
	double	   *scale;			/* d */
	double	   *var;			/* d: population variance of each raw column */
} UsScanRel;

/*
 * Resolve (UsResolve) and take the scan's snapshot; rel's encoded columns are laid out
 * as the reader's (one per numeric feature), so that UsModelFromRel describes them.
 * 0A000 for what a scan does not do: categorical features, the robust scaler.  nsp is
 * the extension's schema.
 */
extern UsScanRel *UsScanOpen(Oid relid, ArrayType *features, const UsReadOptions *opts,
							 Oid nsp, UsScaleMethod method);

/*
 * The statistics pass: counts, NULLs (NOTICE, or 22004), the scaler; 22000 without rows.
 * With nulls => 'impute', rel->imputed holds each column's mean over its non-NULL values
 * (22000 for a column of NULLs only) and the scaler is fitted with them in place of the
 * NULLs, in a second pass.
 */
extern void UsScanStats(UsScanRel *s);

/*
 * A uniform sample of min(size, n) complete rows, scaled (reservoir sampling, Vitter's
 * Algorithm R, with a local generator seeded from seed, in id_column's order if given)
 */
extern void UsScanSample(UsScanRel *s, int64 size, int32 seed, UsMatrix *out);

/* One Lloyd pass from k x d scaled centers: means (k x d), sizes (k), inertia */
extern void UsScanStep(UsScanRel *s, const double *centers, int k, double *means,
					   int64 *sizes, double *inertia);

/*
 * Write the nearest of k x d scaled centers into label_column (NULL for skipped rows),
 * adding the column as integer if needed, in one UPDATE of the rows whose label
 * changes; 42501 / 27000 as UsWriteLabels when row-level security or a trigger keeps
 * rows from being written.  Returns the rows written.
 */
extern int64 UsScanWriteLabels(UsScanRel *s, const char *label_column,
							   const double *centers, int k);

/* Release the scan's snapshot */
extern void UsScanClose(UsScanRel *s);

/* ---- plotread.c: rows of another SQL function, for plots ---- */

/* A query's rows as text: cells[r * ncols + c], NULL for an SQL NULL */
typedef struct UsQueryRows
{
	int64		n;
	int			ncols;
	char	  **cells;
} UsQueryRows;

/* Run a read query with parameters (values of types[nargs], none NULL) */
extern UsQueryRows *UsQueryText(const char *sql, int nargs, Oid *types, Datum *values);

#endif							/* USDATA_H */
