/*-------------------------------------------------------------------------
 *
 * projection.c
 *	  A projection table: a new table of one row per projected row of a source,
 *	  (id, segment, pc1, ..., pck), for a BI tool to scatter-plot as it is.
 *
 * The table is created and filled in the caller's transaction (CREATE TABLE, then one
 * INSERT ... SELECT joining the source on (tableoid, ctid) with arrays bound as
 * parameters), so a failure anywhere leaves no table behind.  The source was read
 * with an AccessShareLock (no label is written into it), so a concurrent UPDATE or
 * DELETE may move a row between the read and the INSERT: the INSERT must then find
 * fewer rows than were projected, and that is an error (40001, try again) rather
 * than a table with rows missing.  The id and the segment are read from the source
 * by that join, with the caller's privileges (42501 for a column the caller may not
 * read) and its row-level security (rows hidden from the caller were not read
 * either).
 *
 * Identifiers are quoted with quote_identifier; the relation name arrives quoted.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

/*
 * The target's name, schema-qualified when given so, quoted: 22023 when it does not
 * parse or names a database, 42P07 when the relation exists already, 3F000 for a schema
 * that does not exist (checked before any work; CREATE TABLE checks again)
 */
static char *
ProjectionTarget(const char *target)
{
	List	   *names;
	RangeVar   *rv;

	if (target[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("projection must name a table"),
				 errhint("Name the table to create: projection => 'user_pca'.")));
	names = stringToQualifiedNameList(target);
	if (list_length(names) > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("projection \"%s\" is not a table name", target),
				 errhint("Give a table name, optionally schema-qualified: 'analytics.user_pca'.")));
	rv = makeRangeVarFromNameList(names);
	if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", target),
				 errdetail("A projection is written into a new table."),
				 errhint("Drop it first, or name another table.")));
	if (rv->schemaname)
	{
		(void) get_namespace_oid(rv->schemaname, false);
		return quote_qualified_identifier(rv->schemaname, rv->relname);
	}
	return (char *) quote_identifier(rv->relname);
}

/* The column's type, 42703 when the source has no such column (system ones included) */
static Oid
SourceColumnType(Oid relid, const char *column, const char *what)
{
	AttrNumber	att = get_attnum(relid, column);

	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s \"%s\" does not exist in \"%s\"", what, column, get_rel_name(relid))));
	return get_atttype(relid, att);
}

/* A one-dimensional float8 array of coordinate c of every row, charged to the budget */
static ArrayType *
CoordinateArray(const double *coords, int64 n, int k, int c)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + (Size) n * sizeof(float8);
	ArrayType  *a;
	float8	   *out;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write a projection of " INT64_FORMAT " rows at once", n)));
	a = UsAllocChecked(bytes, "the projection to write");
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int) n;
	ARR_LBOUND(a)[0] = 1;
	out = (float8 *) ARR_DATA_PTR(a);
	for (int64 i = 0; i < n; i++)
		out[i] = coords[i * k + c];
	return a;
}

/* A one-dimensional array of n fixed-length elements without padding (oid, tid) */
static ArrayType *
FixedArray(Oid elemtype, const void *src, int64 n, Size elemsize)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + (Size) n * elemsize;
	ArrayType  *a;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write a projection of " INT64_FORMAT " rows at once", n)));
	a = UsAllocChecked(bytes, "the projection to write");
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = elemtype;
	ARR_DIMS(a)[0] = (int) n;
	ARR_LBOUND(a)[0] = 1;
	if (n > 0)
		memcpy(ARR_DATA_PTR(a), src, (Size) n * elemsize);
	return a;
}

char *
UsCheckProjection(Oid relid, const char *target, const char *id_column,
				  const char *segment_column)
{
	Oid			segtype;
	char	   *table = ProjectionTarget(target);

	if (id_column == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a projection table needs id_column"),
				 errdetail("Each row of the projection is named by the source's id."),
				 errhint("Name the column that identifies a row: id_column => 'user_id'.")));
	(void) SourceColumnType(relid, id_column, "id_column");
	if (segment_column == NULL)
		return table;
	segtype = SourceColumnType(relid, segment_column, "label_column");
	if (segtype != INT2OID && segtype != INT4OID && segtype != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label_column \"%s\" is of type %s", segment_column,
						format_type_be(segtype)),
				 errhint("A label column holds integer segment numbers (smallint, integer or bigint).")));
	return table;
}

int64
UsWriteProjection(const UsRelData *rel, const char *table, const char *id_column,
				  const char *segment_column, const double *coords, int k)
{
	Oid			idtype = SourceColumnType(rel->relid, id_column, "id_column");
	int			nargs = 2 + k;
	Oid		   *argtypes = palloc(sizeof(Oid) * nargs);
	Datum	   *args = palloc(sizeof(Datum) * nargs);
	StringInfoData sql;
	SPIPlanPtr	plan;
	int			rc;
	int64		inserted;

	if (rel->tids == NULL || rel->tableoids == NULL)
		elog(ERROR, "projection of a relation read without row identities, please report a bug");

	/* the arrays: table oids, ctids, one per component */
	argtypes[0] = OIDARRAYOID;
	argtypes[1] = TIDARRAYOID;
	args[0] = PointerGetDatum(FixedArray(OIDOID, rel->tableoids, rel->n, sizeof(Oid)));
	args[1] = PointerGetDatum(FixedArray(TIDOID, rel->tids, rel->n, sizeof(ItemPointerData)));
	for (int c = 0; c < k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		argtypes[2 + c] = FLOAT8ARRAYOID;
		args[2 + c] = PointerGetDatum(CoordinateArray(coords, rel->n, k, c));
	}

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	/* the table: id as the source's id column is declared, the segment, the components */
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE TABLE %s (id %s NOT NULL", table,
					 format_type_be_qualified(idtype));
	if (segment_column)
		appendStringInfoString(&sql, ", segment pg_catalog.int4");
	for (int c = 0; c < k; c++)
		appendStringInfo(&sql, ", pc%d pg_catalog.float8 NOT NULL", c + 1);
	appendStringInfoChar(&sql, ')');
	if ((rc = SPI_execute(sql.data, false, 0)) != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql.data);

	/* its rows, joined to the source on the row identities read */
	resetStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s SELECT t.%s", table, quote_identifier(id_column));
	if (segment_column)
		appendStringInfo(&sql, ", t.%s::pg_catalog.int4", quote_identifier(segment_column));
	for (int c = 0; c < k; c++)
		appendStringInfo(&sql, ", u.pc%d", c + 1);
	appendStringInfo(&sql, " FROM %s AS t, ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)",
					 rel->relname);
	for (int c = 0; c < k; c++)
		appendStringInfo(&sql, ", pg_catalog.unnest($%d)", c + 3);
	appendStringInfoString(&sql, ") AS u(reloid, tid");
	for (int c = 0; c < k; c++)
		appendStringInfo(&sql, ", pc%d", c + 1);
	appendStringInfoString(&sql, ") WHERE t.tableoid OPERATOR(pg_catalog.=) u.reloid "
						   "AND t.ctid OPERATOR(pg_catalog.=) u.tid");

	/* a generic plan: a custom one would copy every array into the plan as a constant */
	plan = SPI_prepare_cursor(sql.data, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(SPI_result), sql.data);
	rc = SPI_execute_plan(plan, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql.data);
	inserted = (int64) SPI_processed;
	SPI_finish();				/* frees sql.data too: it lived in SPI's memory */

	if (inserted != rel->n)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("rows of \"%s\" changed while they were projected",
						get_rel_name(rel->relid)),
				 errdetail(INT64_FORMAT " rows were projected and " INT64_FORMAT
						   " of them are still there; the projection table was not created.",
						   rel->n, inserted),
				 errhint("Run it again, or when the table is not being written.")));
	return inserted;
}
