/*-------------------------------------------------------------------------
 *
 * relation.c
 *	  Reading a relation (UsRead): what is asked for, resolved and checked before
 *	  the one scan of readrows.c.
 *
 * UsRead resolves and checks what is asked for, before reading anything: the feature
 * names, their privileges and types, the id column, the label column and the table's
 * rules (for labels), and the lock; then, under one snapshot taken after the lock,
 * readrows.c scans the relation once and encodes the rows.  Label columns are
 * written by labels.c.
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
#include "usread.h"

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
 * Column names given as a text[] (argname names the argument, what one element, in
 * messages): one dimension, no NULLs, no duplicates.  When required, NULL and empty
 * arrays are errors; otherwise they give no names.
 */
char	  **
UsColumnNames(ArrayType *arr, const char *argname, const char *what, bool required, int *n)
{
	Datum	   *elems;
	bool	   *isnull;
	char	  **names;

	*n = 0;
	if (arr == NULL && !required)
		return NULL;
	if (arr == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname),
				 errhint("Pass the column names as a text array, such as ARRAY['age', 'platform'].")));
	if (ARR_ELEMTYPE(arr) != TEXTOID)
		elog(ERROR, "column names must be text[], please report a bug");
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", argname),
				 errdetail("An array of %d dimensions was given.", ARR_NDIM(arr))));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &isnull, n);
	if (*n == 0 && required)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname),
				 errhint("Name at least one column of the relation.")));
	if (*n > MaxHeapAttributeNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many %s: %d", argname, *n),
				 errdetail("A relation has at most %d columns.", MaxHeapAttributeNumber)));

	names = palloc(sizeof(char *) * Max(*n, 1));
	for (int i = 0; i < *n; i++)
	{
		if (isnull[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL elements", argname),
					 errdetail("Element %d is NULL.", i + 1)));
		names[i] = TextDatumGetCString(elems[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s \"%s\" is named more than once", what, names[i]),
						 errdetail("Elements %d and %d are the same column.", j + 1, i + 1)));
	}
	return names;
}

/*
 * Check the relation kind: one with rows, and with ctids when they are needed
 */
void
UsCheckRelationKind(Oid relid, bool want_tids)
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
 * Set the default options of a read
 */
void
UsReadOptionsInit(UsReadOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->nulls = US_NULLS_SKIP;
	opts->max_categories = US_DEFAULT_MAX_CATEGORIES;
}

/* 22023 for options out of range */
static inline void
CheckReadOptions(const UsReadOptions *opts)
{
	if (opts->max_categories <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_categories must be at least 1, not %d", opts->max_categories),
				 errhint("It bounds the distinct values of a categorical feature; the default is %d.",
						 US_DEFAULT_MAX_CATEGORIES)));
}

/*
 * Read a relation with the given options
 */
UsRelData *
UsRead(Oid relid, ArrayType *features, const UsReadOptions *opts)
{
	MemoryContext resultcxt = CurrentMemoryContext;
	const char *label_column = opts->label_column;
	bool		for_labels = label_column != NULL;
	bool		want_tids = opts->want_tids || for_labels;
	LOCKMODE	lockmode = for_labels ? ShareRowExclusiveLock : AccessShareLock;
	UsRelData  *rel;
	char	  **names;
	int			nfeatures;
	bool		table_select;
	int			rc;

	CheckReadOptions(opts);
	names = UsColumnNames(features, "features", "feature", true, &nfeatures);
	UsCheckRelationKind(relid, want_tids);

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
	rel->nullpolicy = opts->nulls;
	rel->drop_first = opts->drop_first;
	ResolveFeatures(rel, names, table_select);
	if (for_labels)
		CheckLabelColumn(rel, label_column);
	if (opts->id_column)
		ResolveIdColumn(rel, opts->id_column, label_column, table_select);
	if (for_labels)
		UsCheckLabelRules(relid);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	/*
	 * The read's snapshot, taken now: after the lock, so that a read for labels sees
	 * every row committed by the writers it waited for.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UsScanRelation(rel, opts, want_tids, resultcxt);
	PopActiveSnapshot();
	SPI_finish();

	if (rel->nskipped > 0)
		NoticeSkipped(rel);
	return rel;
}

/*
 * Resolve and check what UsRead would read, take its lock, and read nothing: the
 * relation, its features, the id and label columns (UsRead's checks and errors), for
 * callers that scan the relation themselves, pass after pass (scanpass.c).  The lock
 * (ShareRowExclusiveLock with a label column, AccessShareLock otherwise) is held until
 * the transaction ends.
 */
UsRelData *
UsResolve(Oid relid, ArrayType *features, const UsReadOptions *opts)
{
	const char *label_column = opts->label_column;
	bool		for_labels = label_column != NULL;
	LOCKMODE	lockmode = for_labels ? ShareRowExclusiveLock : AccessShareLock;
	UsRelData  *rel;
	char	  **names;
	int			nfeatures;
	bool		table_select;

	CheckReadOptions(opts);
	names = UsColumnNames(features, "features", "feature", true, &nfeatures);
	UsCheckRelationKind(relid, for_labels);
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
	rel->nullpolicy = opts->nulls;
	rel->drop_first = opts->drop_first;
	ResolveFeatures(rel, names, table_select);
	if (for_labels)
		CheckLabelColumn(rel, label_column);
	if (opts->id_column)
		ResolveIdColumn(rel, opts->id_column, label_column, table_select);
	if (for_labels)
		UsCheckLabelRules(relid);
	return rel;
}
