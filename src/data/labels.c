/*-------------------------------------------------------------------------
 *
 * labels.c
 *	  Labels written back into a column of a table read for labels (UsRead with
 *	  a label column): all of them, or none.
 *
 * A label write is one UPDATE joining on (tableoid, ctid) from arrays bound as
 * parameters, run after a count of the rows whose label changes.  The UPDATE must
 * report exactly that many rows: a row-level security policy or a trigger that keeps
 * rows from being updated would leave some rows with their old label, so a shortfall
 * is an error, which aborts the statement and rolls the UPDATE back.  A table with an
 * INSTEAD rule on UPDATE is refused when it is read (UsCheckLabelRules), before any
 * work: such an UPDATE does something else than writing the labels.
 *
 * Identifiers are quoted with quote_identifier; the relation name arrives quoted.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"
#include "usread.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

/*
 * Refuse a table whose UPDATEs an INSTEAD rule rewrites (0A000, naming the rule)
 *
 * Rules of partitions and inheritance children do not fire for an UPDATE of the
 * parent, so only the table's own rules count; a disabled rule does not fire either.
 * DO ALSO rules run beside the UPDATE and are left alone.  The caller holds a lock
 * that keeps rules from being added meanwhile.
 */
void
UsCheckLabelRules(Oid relid)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	rc = SPI_execute_with_args("SELECT rulename::pg_catalog.text FROM pg_catalog.pg_rewrite "
							   "WHERE ev_class OPERATOR(pg_catalog.=) $1 "
							   "AND ev_type OPERATOR(pg_catalog.=) '2' AND is_instead "
							   "AND ev_enabled OPERATOR(pg_catalog.<>) 'D' "
							   "ORDER BY rulename LIMIT 1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s) reading the rules, please report a bug",
			 SPI_result_code_string(rc));
	if (SPI_processed > 0)
	{
		char	   *rule = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write labels into table \"%s\", which has an INSTEAD rule on UPDATE",
						get_rel_name(relid)),
				 errdetail("Rule \"%s\" rewrites every UPDATE of the table, so the labels would not be written.",
						   rule),
				 errhint("Write the labels into a table without such a rule, or drop or disable the rule.")));
	}
	SPI_finish();
}

/*
 * Raise an error when the UPDATE left rows unwritten: 42501 when row-level security
 * applies to the table, 27000 triggered_data_change_violation otherwise (a trigger)
 */
static void
ReportUnwritten(const UsRelData *rel, int64 expected, int64 updated)
{
	if (check_enable_rls(rel->relid, InvalidOid, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security kept " INT64_FORMAT " of " INT64_FORMAT " labels from being written",
						expected - updated, expected),
				 errdetail("The UPDATE of table \"%s\" changed " INT64_FORMAT " rows where the labels of "
						   INT64_FORMAT " rows change; no label was written.",
						   get_rel_name(rel->relid), updated, expected),
				 errhint("Labels are written into every row read: give the role an UPDATE policy "
						 "that covers the rows its SELECT policies show.")));
	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
			 errmsg("a trigger kept " INT64_FORMAT " of " INT64_FORMAT " labels from being written",
					expected - updated, expected),
			 errdetail("The UPDATE of table \"%s\" changed " INT64_FORMAT " rows where the labels of "
					   INT64_FORMAT " rows change; no label was written.",
					   get_rel_name(rel->relid), updated, expected),
			 errhint("A BEFORE UPDATE trigger of the table returned NULL for some rows; "
					 "let it pass updates of the label column.")));
}

/*
 * Run a query over the three label arrays with a generic plan: a custom plan would
 * fold the parameters into constants, copying each array (of every row) into the plan
 */
static int
ExecWithArrays(const char *sql, Oid *argtypes, Datum *args)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, 3, argtypes, CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(SPI_result), sql);
	return SPI_execute_plan(plan, args, NULL, false, 0);
}

/*
 * A one-dimensional array of n elements of a fixed-length type that needs no padding
 * (oid, tid, int4), nvalues of them not NULL (a NULL bitmap when fewer), charged to
 * the operation's budget
 */
static ArrayType *
NewArray(Oid elemtype, int64 n, int64 nvalues, Size elemsize)
{
	bool		withnulls = nvalues < n;
	Size		overhead = withnulls ? ARR_OVERHEAD_WITHNULLS(1, n) : ARR_OVERHEAD_NONULLS(1);
	Size		bytes = overhead + (Size) nvalues * elemsize;
	ArrayType  *a;

	if (bytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write labels into " INT64_FORMAT " rows at once", n)));
	a = UsAllocChecked(bytes, "the labels to write");
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = withnulls ? overhead : 0;
	a->elemtype = elemtype;
	ARR_DIMS(a)[0] = (int) n;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

/* Copy n elements into array a from element at on */
static inline void
CopyInto(ArrayType *a, int64 at, const void *src, int64 n, Size elemsize)
{
	if (n > 0)
		memcpy(ARR_DATA_PTR(a) + (Size) at * elemsize, src, (Size) n * elemsize);
}

/* The join of the table with the labels to write, for rows whose label changes */
static void
AppendChangedRows(StringInfo sql, const char *col)
{
	appendStringInfo(sql,
					 "ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) "
					 "AS u(reloid, tid, label) "
					 "WHERE t.tableoid OPERATOR(pg_catalog.=) u.reloid "
					 "AND t.ctid OPERATOR(pg_catalog.=) u.tid "
					 "AND (t.%s OPERATOR(pg_catalog.=) u.label) IS NOT TRUE "
					 "AND NOT (t.%s IS NULL AND u.label IS NULL)",
					 col, col);
}

/*
 * Write the labels of the matrix rows, and NULL for the skipped rows, in one UPDATE
 */
int64
UsWriteLabels(const UsRelData *rel, const char *label_column, const int32 *labels)
{
	int64		total = rel->n + rel->nskipped;
	Oid			argtypes[3] = {OIDARRAYOID, TIDARRAYOID, INT4ARRAYOID};
	Datum		args[3];
	StringInfoData sql;
	const char *col = quote_identifier(label_column);
	int			rc;
	int64		updated;
	int64		expected;
	ArrayType  *a;

	if (!rel->for_labels)
		elog(ERROR, "labels written into a relation not read for labels, please report a bug");
	if (total > (int64) (MaxAllocSize / sizeof(ItemPointerData)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot write labels into " INT64_FORMAT " rows at once", total),
				 errdetail("One statement writes at most " INT64_FORMAT " labels.",
						   (int64) (MaxAllocSize / sizeof(ItemPointerData)))));

	/* the arrays, built in place: table oids, ctids, labels (NULL for skipped rows) */
	a = NewArray(OIDOID, total, total, sizeof(Oid));
	CopyInto(a, 0, rel->tableoids, rel->n, sizeof(Oid));
	CopyInto(a, rel->n, rel->skipped_tableoids, rel->nskipped, sizeof(Oid));
	args[0] = PointerGetDatum(a);
	a = NewArray(TIDOID, total, total, sizeof(ItemPointerData));
	CopyInto(a, 0, rel->tids, rel->n, sizeof(ItemPointerData));
	CopyInto(a, rel->n, rel->skipped_tids, rel->nskipped, sizeof(ItemPointerData));
	args[1] = PointerGetDatum(a);
	a = NewArray(INT4OID, total, rel->n, sizeof(int32));
	CopyInto(a, 0, labels, rel->n, sizeof(int32));
	if (rel->nskipped > 0)
	{
		bits8	   *bitmap = ARR_NULLBITMAP(a);

		/* non-NULL labels first, then the NULLs of the skipped rows (bits 0) */
		memset(bitmap, 0, (total + 7) / 8);
		for (int64 i = 0; i < rel->n; i++)
			bitmap[i / 8] |= 1 << (i % 8);
	}
	args[2] = PointerGetDatum(a);

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

	/* the rows whose label changes: what the UPDATE must report */
	appendStringInfo(&sql, "SELECT pg_catalog.count(*) FROM %s AS t, ", rel->relname);
	AppendChangedRows(&sql, col);
	rc = ExecWithArrays(sql.data, argtypes, args);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SPI_execute_plan failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql.data);
	{
		bool		isnull;

		expected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
											   SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);

	updated = 0;
	if (expected > 0)
	{
		resetStringInfo(&sql);
		appendStringInfo(&sql, "UPDATE %s AS t SET %s = u.label FROM ", rel->relname, col);
		AppendChangedRows(&sql, col);
		rc = ExecWithArrays(sql.data, argtypes, args);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "SPI_execute_plan failed (%s) for \"%s\", please report a bug",
				 SPI_result_code_string(rc), sql.data);
		updated = (int64) SPI_processed;
	}
	if (updated != expected)
		ReportUnwritten(rel, expected, updated);
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
