/*-------------------------------------------------------------------------
 *
 * relation.c
 *	  Relations read through SPI into one contiguous matrix, and labels written
 *	  back into a column of the relation.
 *
 * A read runs, under one snapshot taken when it starts:
 *	1. one aggregate query counting the rows, the NULLs of each feature and the rows
 *	   without any NULL, so that the matrix is sized (and checked against
 *	   userseg.memory_limit) before it is allocated;
 *	2. per one-hot feature, its distinct values COLLATE "C" with their counts, read
 *	   through a cursor in batches: the encoded columns, and the most frequent value
 *	   for imputation;
 *	3. a NO SCROLL cursor over the features (numeric ones cast to float8, categorical
 *	   ones to text, plus tableoid and ctid when row identities are asked for, plus
 *	   the id column of an ordered read, sorted by it), fetched US_FETCH_ROWS rows
 *	   at a time, each batch decoded straight into the matrix and freed, with an
 *	   interrupt check per batch; ids are checked for NULLs and duplicates as they
 *	   come (sorted, a duplicate follows its twin).
 * Memory: the n x d matrix, the categories, and one batch.  Time: three scans (one
 * more per one-hot feature) plus O(n d log c) for the category look-ups.
 *
 * Identifiers are never spliced: the relation arrives as a regclass and is named with
 * quote_qualified_identifier of its namespace and name; each feature name is resolved
 * with get_attnum exactly as written and quoted with quote_identifier.  Label values
 * travel as arrays bound as SPI parameters.
 *
 * See usdata.h for the contract (encoding, NULL policy, locks, errors).
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

/* pg_class_ownercheck became object_ownercheck in PostgreSQL 16 */
#if PG_VERSION_NUM >= 160000
#define UsOwnsRelation(relid) object_ownercheck(RelationRelationId, (relid), GetUserId())
#else
#define UsOwnsRelation(relid) pg_class_ownercheck((relid), GetUserId())
#endif

/* Rows per cursor fetch */
#define US_FETCH_ROWS 10000

/* Per-feature state of one read */
typedef struct FeatureRead
{
	int			ncat;			/* categories of a one-hot feature */
	char	  **cats;			/* sorted COLLATE "C" */
	int		   *catlen;			/* their lengths in bytes */
	int			mode;			/* most frequent category, -1 if none */
	double		sum;			/* sum of the non-NULL values (numeric) */
} FeatureRead;

/* Types encoded as one numeric column */
static inline bool
IsNumericType(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return true;
		default:
			return false;
	}
}

/* Types encoded one-hot */
static inline bool
IsCategoricalType(Oid typid)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case BOOLOID:
			return true;
		default:
			return type_is_enum(typid);
	}
}

/* Integer types a label column may have */
static inline bool
IsLabelType(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/*
 * The feature names of a text[]: one dimension, not empty, no NULLs, no duplicates
 */
static char **
ParseFeatureNames(ArrayType *features, int *nfeatures)
{
	Datum	   *elems;
	bool	   *isnull;
	int			n;
	char	  **names;

	if (features == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not be NULL"),
				 errhint("Pass the column names as a text array, such as ARRAY['age', 'platform'].")));
	if (ARR_ELEMTYPE(features) != TEXTOID)
		elog(ERROR, "feature names must be text[], please report a bug");
	if (ARR_NDIM(features) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a one-dimensional array"),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(features))));
	deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT, &elems, &isnull, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be empty"),
				 errhint("Name at least one column of the relation.")));
	if (n > MaxHeapAttributeNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many features: %d", n),
				 errdetail("A relation has at most %d columns.", MaxHeapAttributeNumber)));

	names = palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		if (isnull[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL elements"),
					 errdetail("Element %d is NULL.", i + 1)));
		names[i] = TextDatumGetCString(elems[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("feature \"%s\" is named more than once", names[i]),
						 errdetail("Elements %d and %d are the same column.", j + 1, i + 1)));
	}
	*nfeatures = n;
	return names;
}

/*
 * Check the relation kind: one with rows, and with ctids when they are needed
 */
static inline void
CheckRelationKind(Oid relid, bool want_tids)
{
	char		relkind = get_rel_relkind(relid);

	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
		relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view, materialized view or foreign table",
						get_rel_name(relid))));
	if (want_tids && relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", get_rel_name(relid)),
				 errdetail("Labels can be written only into tables and partitioned tables.")));
}

/*
 * Raise 42501 for a relation the caller may not read
 */
static inline void
DenySelect(Oid relid, const char *column)
{
	if (column)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errdetail("Reading the features needs SELECT on the table or on column \"%s\".",
						   column)));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for table %s", get_rel_name(relid)),
			 errdetail("Reading the features needs SELECT on the table or on the feature columns.")));
}

/*
 * Resolve the feature names, check column privileges and types, fill rel->features
 */
static void
ResolveFeatures(UsRelData *rel, char **names, bool table_select)
{
	for (int f = 0; f < rel->nfeatures; f++)
	{
		UsFeature  *feat = &rel->features[f];
		AttrNumber	attnum = get_attnum(rel->relid, names[f]);
		Oid			base;

		feat->name = names[f];
		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist",
							names[f], get_rel_name(rel->relid)),
					 errhint("Column names are matched exactly as written, case included.")));
		if (attnum < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" is a system column",
							names[f], get_rel_name(rel->relid)),
					 errdetail("System columns cannot be features.")));
		if (!table_select &&
			pg_attribute_aclcheck(rel->relid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			DenySelect(rel->relid, names[f]);

		feat->attnum = attnum;
		feat->typid = get_atttype(rel->relid, attnum);
		base = getBaseType(feat->typid);
		if (IsNumericType(base))
			feat->onehot = false;
		else if (IsCategoricalType(base))
			feat->onehot = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" has type %s, which cannot be a feature",
							names[f], format_type_be(feat->typid)),
					 errhint("Features are numeric (smallint, integer, bigint, real, double precision, numeric), "
							 "or categorical (text, varchar, char, enum, boolean), one-hot encoded. "
							 "Cast other columns in a view.")));
	}
}

/*
 * Check the label column before anything is read
 */
static void
CheckLabelColumn(UsRelData *rel, const char *label_column)
{
	AttrNumber	attnum;
	Oid			typid;

	if (label_column == NULL || label_column[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the label column name must not be empty")));
	if (strlen(label_column) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("label column name \"%s\" is too long", label_column),
				 errdetail("Names have at most %d bytes.", NAMEDATALEN - 1)));
	for (int f = 0; f < rel->nfeatures; f++)
		if (strcmp(rel->features[f].name, label_column) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("label column \"%s\" is also a feature", label_column),
					 errhint("Write the labels into another column.")));

	attnum = get_attnum(rel->relid, label_column);
	if (attnum == InvalidAttrNumber)
		return;					/* UsWriteLabels adds it */
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" is a system column", label_column)));
	if (get_attgenerated(rel->relid, attnum) != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" is a generated column", label_column)));
	typid = get_atttype(rel->relid, attnum);
	if (!IsLabelType(getBaseType(typid)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label column \"%s\" has type %s, not an integer type",
						label_column, format_type_be(typid)),
				 errhint("Use a smallint, integer or bigint column, or a name that does not exist yet "
						 "to have an integer column added.")));
}

/*
 * Resolve the id column of an ordered read: exists, readable, sortable, not the label
 */
static void
ResolveIdColumn(UsRelData *rel, const char *id_column, const char *label_column,
				bool table_select)
{
	AttrNumber	attnum;
	Oid			typid;
	TypeCacheEntry *tce;

	if (id_column[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the id column name must not be empty")));
	attnum = get_attnum(rel->relid, id_column);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("id column \"%s\" of relation \"%s\" does not exist",
						id_column, get_rel_name(rel->relid)),
				 errhint("Column names are matched exactly as written, case included.")));
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("id column \"%s\" of relation \"%s\" is a system column",
						id_column, get_rel_name(rel->relid)),
				 errdetail("System columns change when rows are updated; they cannot order the rows."),
				 errhint("Name a key column of the table, such as its primary key.")));
	if (label_column && strcmp(id_column, label_column) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("id column \"%s\" is also the label column", id_column),
				 errhint("Write the labels into another column.")));
	if (!table_select &&
		pg_attribute_aclcheck(rel->relid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(rel->relid)),
				 errdetail("Ordering the rows needs SELECT on the table or on column \"%s\".",
						   id_column)));
	typid = get_atttype(rel->relid, attnum);
	tce = lookup_type_cache(getBaseType(typid), TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tce->cmp_proc))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("id column \"%s\" has type %s, which cannot be sorted",
						id_column, format_type_be(typid)),
				 errhint("Use a column of a type with a default btree operator class, "
						 "such as integer, bigint, text or uuid: the table's key.")));
	rel->id_column = pstrdup(id_column);
	rel->id_attnum = attnum;
	rel->id_typid = typid;
	rel->id_collation = type_is_collatable(typid) ? C_COLLATION_OID : InvalidOid;
}

/*
 * Check, before locking, that the caller may read (and, for labels, write) the relation
 *
 * Returns whether SELECT is granted on the whole table; otherwise column privileges
 * are checked per feature once the names are resolved.
 */
static bool
CheckPrivileges(Oid relid, const char *label_column)
{
	Oid			user = GetUserId();
	bool		table_select;

	table_select = pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK;
	if (!table_select &&
		pg_attribute_aclcheck_all(relid, user, ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK)
		DenySelect(relid, NULL);

	if (label_column)
	{
		AttrNumber	attnum = get_attnum(relid, label_column);

		if (attnum == InvalidAttrNumber)
		{
			if (!UsOwnsRelation(relid))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("must be owner of table %s to add label column \"%s\"",
								get_rel_name(relid), label_column),
						 errhint("Ask the owner to add the column as integer, then grant UPDATE on it.")));
		}
		else if (pg_class_aclcheck(relid, user, ACL_UPDATE) != ACLCHECK_OK &&
				 (attnum < 0 ||
				  pg_attribute_aclcheck(relid, attnum, user, ACL_UPDATE) != ACLCHECK_OK))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", get_rel_name(relid)),
					 errdetail("Writing labels needs UPDATE on the table or on column \"%s\".",
							   label_column)));
		/* writing labels joins on ctid, which only table-wide SELECT lets us read */
		if (!table_select)
			DenySelect(relid, NULL);
	}
	return table_select;
}

/*
 * Run a read-only query under the active snapshot, expecting SELECT
 */
static void
ExecSelect(const char *sql)
{
	int			rc = SPI_execute(sql, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql);
}

/* Open a NO SCROLL cursor on a read-only query under the active snapshot */
static Portal
OpenCursor(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, 0, NULL, CURSOR_OPT_NO_SCROLL);
	Portal		portal;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(SPI_result), sql);
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	if (portal == NULL)
		elog(ERROR, "SPI_cursor_open failed for \"%s\", please report a bug", sql);
	return portal;
}

/* "c1 IS NOT NULL AND c2 IS NOT NULL ..." over all features */
static void
AppendAllNotNull(StringInfo sql, const UsRelData *rel)
{
	for (int f = 0; f < rel->nfeatures; f++)
		appendStringInfo(sql, "%s%s IS NOT NULL", f > 0 ? " AND " : "",
						 quote_identifier(rel->features[f].name));
}

static inline int64
GetInt64(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		v = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(v);
}

/*
 * Count the rows, the NULLs per feature and the rows without NULLs
 */
static void
CountRows(UsRelData *rel, int64 *complete)
{
	StringInfoData sql;
	HeapTuple	tup;
	TupleDesc	desc;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.count(*)");
	for (int f = 0; f < rel->nfeatures; f++)
		appendStringInfo(&sql, ", pg_catalog.count(%s)",
						 quote_identifier(rel->features[f].name));
	appendStringInfoString(&sql, ", pg_catalog.count(*) FILTER (WHERE ");
	AppendAllNotNull(&sql, rel);
	appendStringInfo(&sql, ") FROM %s", rel->relname);

	ExecSelect(sql.data);
	if (SPI_processed != 1)
		elog(ERROR, "counting rows returned " UINT64_FORMAT " rows, please report a bug",
			 (uint64) SPI_processed);
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	rel->nrows = GetInt64(tup, desc, 1);
	for (int f = 0; f < rel->nfeatures; f++)
		rel->nulls[f] = rel->nrows - GetInt64(tup, desc, f + 2);
	*complete = GetInt64(tup, desc, rel->nfeatures + 2);
	SPI_freetuptable(SPI_tuptable);
	pfree(sql.data);
}

/*
 * Read the categories of a one-hot feature, sorted COLLATE "C", with the most
 * frequent one (ties to the first in sort order)
 *
 * With skip, only rows without NULLs count.  Checks the budget of the matrix as the
 * categories accumulate (d_before columns come before this feature), so that a column
 * of unique values fails early.
 */
static void
ReadCategories(UsRelData *rel, int f, FeatureRead *fr, UsNullPolicy nulls,
			   int64 n, int64 d_before, MemoryContext resultcxt)
{
	const char *col = quote_identifier(rel->features[f].name);
	StringInfoData sql;
	Portal		portal;
	int			cap = 16;
	int64		best = -1;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT (%s)::pg_catalog.text COLLATE pg_catalog.\"C\", pg_catalog.count(*) "
					 "FROM %s WHERE ",
					 col, rel->relname);
	if (nulls == US_NULLS_SKIP)
		AppendAllNotNull(&sql, rel);
	else
		appendStringInfo(&sql, "%s IS NOT NULL", col);
	appendStringInfoString(&sql, " GROUP BY 1 ORDER BY 1");

	fr->ncat = 0;
	fr->mode = -1;
	fr->cats = MemoryContextAlloc(resultcxt, sizeof(char *) * cap);
	fr->catlen = MemoryContextAlloc(resultcxt, sizeof(int) * cap);

	portal = OpenCursor(sql.data);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, US_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			bool		isnull;
			Datum		v = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
			int64		count = GetInt64(tup, SPI_tuptable->tupdesc, 2);
			text	   *t;

			if (isnull)
				elog(ERROR, "NULL category, please report a bug");
			if ((Size) fr->ncat >= MaxAllocSize / sizeof(char *) / 2 - 1 ||
				d_before + fr->ncat >= PG_INT32_MAX / 2)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("column \"%s\" has too many distinct values to be one-hot encoded",
								rel->features[f].name)));
			if (fr->ncat == cap)
			{
				cap *= 2;
				fr->cats = repalloc(fr->cats, sizeof(char *) * cap);
				fr->catlen = repalloc(fr->catlen, sizeof(int) * cap);
			}
			t = DatumGetTextPP(v);
			fr->catlen[fr->ncat] = VARSIZE_ANY_EXHDR(t);
			fr->cats[fr->ncat] = MemoryContextAlloc(resultcxt, fr->catlen[fr->ncat] + 1);
			memcpy(fr->cats[fr->ncat], VARDATA_ANY(t), fr->catlen[fr->ncat]);
			fr->cats[fr->ncat][fr->catlen[fr->ncat]] = '\0';
			if (count > best)
			{
				best = count;
				fr->mode = fr->ncat;
			}
			fr->ncat++;
		}
		SPI_freetuptable(SPI_tuptable);
		UsCheckMemory(UsMatrixBytes(n, (int) (d_before + fr->ncat)), "the feature matrix");
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	pfree(sql.data);
}

/*
 * Index of a category (binary search in byte order), -1 if absent
 */
static inline int
FindCategory(const FeatureRead *fr, const char *s, int len)
{
	int			lo = 0;
	int			hi = fr->ncat - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = memcmp(fr->cats[mid], s, Min(fr->catlen[mid], len));

		if (cmp == 0)
			cmp = (fr->catlen[mid] > len) - (fr->catlen[mid] < len);
		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * Raise 22000 for NaN or Infinity in a column
 */
static inline void
CheckFinite(double v, const char *column)
{
	if (unlikely(!isfinite(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("column \"%s\" contains %s", column,
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")),
				 errdetail("Features must be finite numbers."),
				 errhint("Filter those rows out, or replace the values, in a view.")));
}

/*
 * Raise 22004 for NULLs under nulls => 'error'
 */
static inline void
CheckNoNulls(const UsRelData *rel, int f)
{
	if (rel->nulls[f] > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("column \"%s\" contains NULL", rel->features[f].name),
				 errdetail(INT64_FORMAT " of " INT64_FORMAT " rows are NULL.",
						   rel->nulls[f], rel->nrows),
				 errhint("Use nulls => 'skip' or nulls => 'impute', or fill the column.")));
}

/* The uniqueness check of an ordered read: each id against the one before */
typedef struct IdCheck
{
	const UsRelData *rel;
	FmgrInfo   *cmp;			/* the type's btree comparison */
	int16		typlen;
	bool		typbyval;
	bool		have_prev;
	Datum		prev;			/* the previous row's id */
	bool		kept;			/* prev is a copy in keepcxt */
	MemoryContext keepcxt;		/* holds prev across batches */
} IdCheck;

static void
IdCheckInit(IdCheck *idc, const UsRelData *rel)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(rel->id_typid),
											TYPECACHE_CMP_PROC_FINFO);

	memset(idc, 0, sizeof(*idc));
	idc->rel = rel;
	idc->cmp = &tce->cmp_proc_finfo;
	get_typlenbyval(rel->id_typid, &idc->typlen, &idc->typbyval);
	idc->keepcxt = AllocSetContextCreate(CurrentMemoryContext, "userseg id column",
										 ALLOCSET_SMALL_SIZES);
}

/*
 * Check the id of the next row (rows come sorted): 22004 for NULL, 23505 when equal
 * to the previous one
 */
static void
IdCheckNext(IdCheck *idc, HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		v = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("id column \"%s\" contains NULL", idc->rel->id_column),
				 errdetail("Rows are read in the order of the id column; each needs an id."),
				 errhint("Name a column without NULLs, such as the table's primary key.")));
	if (idc->have_prev &&
		DatumGetInt32(FunctionCall2Coll(idc->cmp, idc->rel->id_collation, idc->prev, v)) == 0)
	{
		Oid			typoutput;
		bool		varlena;

		getTypeOutputInfo(idc->rel->id_typid, &typoutput, &varlena);
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("id column \"%s\" is not unique", idc->rel->id_column),
				 errdetail("Key (%s)=(%s) is duplicated.", idc->rel->id_column,
						   OidOutputFunctionCall(typoutput, v)),
				 errhint("Rows are read in the order of the id column, which must identify each row; "
						 "name a unique column, such as the table's primary key.")));
	}
	if (idc->kept)
		pfree(DatumGetPointer(idc->prev));
	idc->kept = false;
	idc->prev = v;
	idc->have_prev = true;
}

/* Copy the previous id out of the batch about to be freed */
static void
IdCheckKeep(IdCheck *idc)
{
	MemoryContext oldcxt;

	if (!idc->have_prev || idc->typbyval || idc->kept)
		return;
	oldcxt = MemoryContextSwitchTo(idc->keepcxt);
	if (idc->typlen == -1)
		idc->prev = PointerGetDatum(PG_DETOAST_DATUM_COPY(idc->prev));
	else
		idc->prev = datumCopy(idc->prev, false, idc->typlen);
	MemoryContextSwitchTo(oldcxt);
	idc->kept = true;
}

/*
 * Read the rows through a cursor into the matrix
 */
static void
ReadRows(UsRelData *rel, FeatureRead *fr, UsNullPolicy nulls, bool want_tids)
{
	StringInfoData sql;
	Portal		portal;
	bool		has_id = rel->id_column != NULL;
	int			idcol = (want_tids ? 2 : 0) + 1;	/* after tableoid, ctid */
	int			off = (want_tids ? 2 : 0) + (has_id ? 1 : 0);	/* before the features */
	int64		r = 0;
	int64		s = 0;
	int			d = rel->d;
	MemoryContext batchcxt;
	MemoryContext oldcxt;
	IdCheck		idc;

	initStringInfo(&sql);
	appendStringInfoString(&sql, want_tids ? "SELECT tableoid, ctid" : "SELECT ");
	if (has_id)
		appendStringInfo(&sql, "%s%s", want_tids ? ", " : "", quote_identifier(rel->id_column));
	for (int f = 0; f < rel->nfeatures; f++)
		appendStringInfo(&sql, "%s(%s)::pg_catalog.%s", (f > 0 || off > 0) ? ", " : "",
						 quote_identifier(rel->features[f].name),
						 rel->features[f].onehot ? "text" : "float8");
	appendStringInfo(&sql, " FROM %s", rel->relname);
	if (has_id)
	{
		appendStringInfo(&sql, " ORDER BY %s", quote_identifier(rel->id_column));
		if (OidIsValid(rel->id_collation))
			appendStringInfoString(&sql, " COLLATE pg_catalog.\"C\"");
		IdCheckInit(&idc, rel);
	}

	batchcxt = AllocSetContextCreate(CurrentMemoryContext, "userseg relation batch",
									 ALLOCSET_DEFAULT_SIZES);
	portal = OpenCursor(sql.data);
	for (;;)
	{
		TupleDesc	desc;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, US_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		desc = SPI_tuptable->tupdesc;
		oldcxt = MemoryContextSwitchTo(batchcxt);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			bool		complete = true;
			double	   *xr;

			if (has_id)
				IdCheckNext(&idc, tup, desc, idcol);

			if (nulls == US_NULLS_SKIP)
				for (int f = 0; f < rel->nfeatures && complete; f++)
					complete = !heap_attisnull(tup, off + f + 1, desc);
			if (!complete)
			{
				if (s >= rel->nskipped)
					elog(ERROR, "more rows skipped than counted, please report a bug");
				if (want_tids)
				{
					bool		isnull;

					rel->skipped_tableoids[s] =
						DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
					rel->skipped_tids[s] =
						*(ItemPointer) DatumGetPointer(SPI_getbinval(tup, desc, 2, &isnull));
				}
				s++;
				continue;
			}

			if (r >= rel->n)
				elog(ERROR, "more rows read than counted, please report a bug");
			xr = d > 0 ? rel->x + r * d : NULL;	/* d = 0: only all-NULL categories */
			for (int f = 0; f < rel->nfeatures; f++)
			{
				const UsFeature *feat = &rel->features[f];
				bool		isnull;
				Datum		v = SPI_getbinval(tup, desc, off + f + 1, &isnull);

				if (isnull)
				{
					if (nulls == US_NULLS_ERROR || nulls == US_NULLS_SKIP)
						elog(ERROR, "NULL not counted, please report a bug");
					if (!feat->onehot)
						xr[feat->first] = NAN;	/* imputed after the read, or kept */
					else if (nulls == US_NULLS_IMPUTE)
						xr[feat->first + fr[f].mode] = 1.0;
				}
				else if (!feat->onehot)
				{
					double		val = DatumGetFloat8(v);

					CheckFinite(val, feat->name);
					xr[feat->first] = val;
					fr[f].sum += val;
				}
				else
				{
					text	   *t = DatumGetTextPP(v);
					int			c = FindCategory(&fr[f], VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

					if (c < 0)
						elog(ERROR, "unknown category in column \"%s\", please report a bug",
							 feat->name);
					xr[feat->first + c] = 1.0;
				}
			}
			if (want_tids)
			{
				bool		isnull;

				rel->tableoids[r] = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
				rel->tids[r] = *(ItemPointer) DatumGetPointer(SPI_getbinval(tup, desc, 2, &isnull));
			}
			r++;
		}
		MemoryContextSwitchTo(oldcxt);
		if (has_id)
			IdCheckKeep(&idc);	/* the last id outlives its batch */
		MemoryContextReset(batchcxt);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	if (has_id)
		MemoryContextDelete(idc.keepcxt);
	MemoryContextDelete(batchcxt);
	pfree(sql.data);

	if (r != rel->n || s != rel->nskipped)
		elog(ERROR, "read " INT64_FORMAT " rows where " INT64_FORMAT " were counted, please report a bug",
			 r + s, rel->n + rel->nskipped);
}

/*
 * Put each numeric column's mean into its NULL cells
 */
static void
ImputeMeans(UsRelData *rel, FeatureRead *fr)
{
	for (int f = 0; f < rel->nfeatures; f++)
	{
		const UsFeature *feat = &rel->features[f];
		double		mean;

		if (feat->onehot || rel->nulls[f] == 0)
			continue;
		mean = fr[f].sum / (double) (rel->nrows - rel->nulls[f]);
		for (int64 i = 0; i < rel->n; i++)
		{
			double	   *cell = rel->x + i * rel->d + feat->first;

			if (isnan(*cell))
				*cell = mean;
			if (i % (US_CHECK_EVERY * 16) == 0)
				CHECK_FOR_INTERRUPTS();
		}
	}
}

/*
 * NOTICE of the rows skipped for NULLs
 */
static void
NoticeSkipped(const UsRelData *rel)
{
	StringInfoData detail;
	bool		first = true;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "NULLs per column: ");
	for (int f = 0; f < rel->nfeatures; f++)
	{
		if (rel->nulls[f] == 0)
			continue;
		appendStringInfo(&detail, "%s\"%s\" " INT64_FORMAT, first ? "" : ", ",
						 rel->features[f].name, rel->nulls[f]);
		first = false;
	}
	appendStringInfoChar(&detail, '.');
	ereport(NOTICE,
			(errmsg("skipped " INT64_FORMAT " of " INT64_FORMAT " rows with NULL features",
					rel->nskipped, rel->nrows),
			 errdetail_internal("%s", detail.data),
			 errhint("Skipped rows get no label; use nulls => 'impute' to keep them.")));
	pfree(detail.data);
}

/*
 * Read a relation; label_column is not NULL when the read is for writing labels
 */
static UsRelData *
ReadRelation(Oid relid, ArrayType *features, UsNullPolicy nulls, bool want_tids,
			 const char *label_column, const char *id_column)
{
	MemoryContext resultcxt = CurrentMemoryContext;
	MemoryContext oldcxt;
	bool		for_labels = label_column != NULL;
	LOCKMODE	lockmode = for_labels ? ShareRowExclusiveLock : AccessShareLock;
	UsRelData  *rel;
	FeatureRead *fr;
	char	  **names;
	int			nfeatures;
	bool		table_select;
	int64		complete;
	int64		d;
	int			rc;

	if (for_labels)
		want_tids = true;
	names = ParseFeatureNames(features, &nfeatures);
	CheckRelationKind(relid, want_tids);

	/* privileges before locks: no one may lock a table they cannot use */
	table_select = CheckPrivileges(relid, label_column);
	LockRelationOid(relid, lockmode);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errdetail("It was dropped while waiting for a lock.")));

	rel = palloc0(sizeof(UsRelData));
	rel->relid = relid;
	rel->relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											  get_rel_name(relid));
	rel->nfeatures = nfeatures;
	rel->features = palloc0(sizeof(UsFeature) * nfeatures);
	rel->nulls = palloc0(sizeof(int64) * nfeatures);
	rel->for_labels = for_labels;
	ResolveFeatures(rel, names, table_select);
	if (for_labels)
		CheckLabelColumn(rel, label_column);
	if (id_column)
		ResolveIdColumn(rel, id_column, label_column, table_select);
	fr = palloc0(sizeof(FeatureRead) * nfeatures);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	/*
	 * One snapshot for every query of the read, taken now: after the lock, so that a
	 * read for labels sees every row committed by the writers it waited for.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());

	CountRows(rel, &complete);
	rel->n = nulls == US_NULLS_SKIP ? complete : rel->nrows;
	rel->nskipped = rel->nrows - rel->n;
	for (int f = 0; f < nfeatures; f++)
	{
		if (nulls == US_NULLS_ERROR)
			CheckNoNulls(rel, f);
		if (nulls == US_NULLS_IMPUTE && rel->nrows > 0 && rel->nulls[f] == rel->nrows)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("column \"%s\" has only NULLs, nothing to impute from",
							rel->features[f].name),
					 errhint("Leave the column out of the features.")));
	}

	/* the encoded columns */
	d = 0;
	for (int f = 0; f < nfeatures; f++)
	{
		UsFeature  *feat = &rel->features[f];

		feat->first = (int) d;
		if (feat->onehot)
		{
			ReadCategories(rel, f, &fr[f], nulls, rel->n, d, resultcxt);
			feat->ncols = fr[f].ncat;
		}
		else
			feat->ncols = 1;
		d += feat->ncols;
		UsCheckMemory(UsMatrixBytes(rel->n, (int) d), "the feature matrix");
	}
	rel->d = (int) d;

	oldcxt = MemoryContextSwitchTo(resultcxt);
	rel->cols = palloc0(sizeof(UsColumn) * Max(rel->d, 1));
	for (int f = 0; f < nfeatures; f++)
	{
		UsFeature  *feat = &rel->features[f];

		for (int c = 0; c < feat->ncols; c++)
		{
			UsColumn   *col = &rel->cols[feat->first + c];

			col->source = feat->name;
			col->category = feat->onehot ? fr[f].cats[c] : NULL;
			col->typid = feat->typid;
			col->feature = f;
		}
	}
	rel->x = (rel->n > 0 && rel->d > 0) ?
		UsAllocMatrix(rel->n, rel->d, "the feature matrix") : NULL;
	if (want_tids)
	{
		rel->tids = UsAllocChecked(sizeof(ItemPointerData) * rel->n, "the row identities");
		rel->tableoids = UsAllocChecked(sizeof(Oid) * rel->n, "the row identities");
		rel->skipped_tids = UsAllocChecked(sizeof(ItemPointerData) * rel->nskipped,
										   "the row identities");
		rel->skipped_tableoids = UsAllocChecked(sizeof(Oid) * rel->nskipped,
												"the row identities");
	}
	MemoryContextSwitchTo(oldcxt);

	if (rel->nrows > 0)
		ReadRows(rel, fr, nulls, want_tids);
	if (nulls == US_NULLS_IMPUTE)
		ImputeMeans(rel, fr);

	PopActiveSnapshot();
	SPI_finish();

	if (rel->nskipped > 0)
		NoticeSkipped(rel);
	return rel;
}

/*
 * Read the named columns of a relation into a matrix
 */
UsRelData *
UsReadRelation(Oid relid, ArrayType *features, UsNullPolicy nulls, bool want_tids)
{
	return ReadRelation(relid, features, nulls, want_tids, NULL, NULL);
}

/*
 * Read a relation to write labels into it later in the transaction
 */
UsRelData *
UsReadRelationForLabels(Oid relid, ArrayType *features, UsNullPolicy nulls,
						const char *label_column)
{
	if (label_column == NULL)
		elog(ERROR, "a label column is needed, please report a bug");
	return ReadRelation(relid, features, nulls, true, label_column, NULL);
}

/*
 * Read in the order of an id column, for labels when label_column is not NULL
 */
UsRelData *
UsReadRelationOrdered(Oid relid, ArrayType *features, UsNullPolicy nulls,
					  const char *id_column, const char *label_column)
{
	return ReadRelation(relid, features, nulls, label_column != NULL, label_column,
						id_column);
}

/*
 * Write the labels of the matrix rows, and NULL for the skipped rows, in one UPDATE
 */
int64
UsWriteLabels(const UsRelData *rel, const char *label_column, const int32 *labels)
{
	int64		total = rel->n + rel->nskipped;
	Datum	   *oids;
	Datum	   *tids;
	Datum	   *labs;
	bool	   *labnulls;
	int			dims[1];
	int			lbs[1] = {1};
	Oid			argtypes[3] = {OIDARRAYOID, TIDARRAYOID, INT4ARRAYOID};
	Datum		args[3];
	StringInfoData sql;
	const char *col = quote_identifier(label_column);
	int			rc;
	int64		updated;

	if (!rel->for_labels)
		elog(ERROR, "labels written into a relation not read for labels, please report a bug");
	if (total > (int64) (MaxAllocSize / sizeof(Datum)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write labels into " INT64_FORMAT " rows at once", total),
				 errdetail("One statement writes at most " INT64_FORMAT " labels.",
						   (int64) (MaxAllocSize / sizeof(Datum)))));
	UsCheckMemory(total * (3 * sizeof(Datum) + 1 + 16), "the labels to write");

	oids = palloc(sizeof(Datum) * Max(total, 1));
	tids = palloc(sizeof(Datum) * Max(total, 1));
	labs = palloc(sizeof(Datum) * Max(total, 1));
	labnulls = palloc(sizeof(bool) * Max(total, 1));
	for (int64 i = 0; i < rel->n; i++)
	{
		oids[i] = ObjectIdGetDatum(rel->tableoids[i]);
		tids[i] = PointerGetDatum(&rel->tids[i]);
		labs[i] = Int32GetDatum(labels[i]);
		labnulls[i] = false;
	}
	for (int64 i = 0; i < rel->nskipped; i++)
	{
		oids[rel->n + i] = ObjectIdGetDatum(rel->skipped_tableoids[i]);
		tids[rel->n + i] = PointerGetDatum(&rel->skipped_tids[i]);
		labs[rel->n + i] = (Datum) 0;
		labnulls[rel->n + i] = true;
	}
	dims[0] = (int) total;
	args[0] = PointerGetDatum(construct_md_array(oids, NULL, 1, dims, lbs, OIDOID,
												 sizeof(Oid), true, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_md_array(tids, NULL, 1, dims, lbs, TIDOID,
												 sizeof(ItemPointerData), false,
												 TYPALIGN_SHORT));
	args[2] = PointerGetDatum(construct_md_array(labs, labnulls, 1, dims, lbs, INT4OID,
												 sizeof(int32), true, TYPALIGN_INT));
	pfree(oids);
	pfree(tids);
	pfree(labs);
	pfree(labnulls);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	initStringInfo(&sql);
	if (get_attnum(rel->relid, label_column) == InvalidAttrNumber)
	{
		appendStringInfo(&sql, "ALTER TABLE %s ADD COLUMN %s pg_catalog.int4",
						 rel->relname, col);
		if ((rc = SPI_execute(sql.data, false, 0)) != SPI_OK_UTILITY)
			elog(ERROR, "SPI_execute failed (%s) for \"%s\", please report a bug",
				 SPI_result_code_string(rc), sql.data);
		resetStringInfo(&sql);
	}

	appendStringInfo(&sql,
					 "UPDATE %s AS t SET %s = u.label "
					 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) "
					 "AS u(reloid, tid, label) "
					 "WHERE t.tableoid OPERATOR(pg_catalog.=) u.reloid "
					 "AND t.ctid OPERATOR(pg_catalog.=) u.tid "
					 "AND (t.%s OPERATOR(pg_catalog.=) u.label) IS NOT TRUE "
					 "AND NOT (t.%s IS NULL AND u.label IS NULL)",
					 rel->relname, col, col, col);
	rc = SPI_execute_with_args(sql.data, 3, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute_with_args failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql.data);
	updated = (int64) SPI_processed;
	SPI_finish();				/* frees sql.data too: it lived in SPI's memory */

	return updated;
}

/*
 * Raise 22000 when a relation read leaves no rows or no encoded columns to cluster
 */
void
UsCheckRowsToCluster(const UsRelData *rel)
{
	if (rel->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no rows to cluster in %s", rel->relname),
				 errdetail(INT64_FORMAT " rows were read and " INT64_FORMAT " left out for NULL features.",
						   rel->nrows, rel->nskipped)));
	if (rel->d == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no feature columns to cluster in %s", rel->relname),
				 errdetail("Every feature is a categorical column without a non-NULL value.")));
}
