/*-------------------------------------------------------------------------
 *
 * scanpass.c
 *	  A relation read pass after pass instead of into one matrix: the statistics
 *	  pass (rows, NULLs, the scaler), a seeded reservoir sample, one aggregate
 *	  pass per Lloyd iteration (userseg_kmeans_step) and the label write.  This is
 *	  how K-Means runs on a table larger than userseg.memory_limit
 *	  (method => 'scan', surface/kmeans_scan.c).
 *
 * Every read pass runs through SPI, read-only, under ONE snapshot registered when the
 * scan opens (after the lock of UsResolve), so that all passes see the same rows even
 * when concurrent writers commit meanwhile; with a label column the
 * ShareRowExclusiveLock keeps writers out until the transaction ends, so the label
 * write sees those rows too.  SPI plans may be parallel: the step and the scaler are
 * aggregates with float8[] states, and the planner uses parallel workers for the
 * passes as for any query, within max_parallel_workers_per_gather.
 *
 * Queries are built from resolved, quoted identifiers (the relation, the columns, the
 * extension's schema) and bind every value as a parameter.  A feature vector is
 * ARRAY[c1::float8, ...]: the same conversion as the in-memory read (numeric_float8
 * and the integer casts); rows with a NULL feature are left out of every pass
 * (nulls => 'skip'), refused by the statistics pass (nulls => 'error'), or kept with
 * the column's mean in place of the NULL (nulls => 'impute': the statistics pass takes
 * the means first, then fits the scaler with them in place; the later passes bind the
 * means as a float8[] parameter, COALESCE(c::float8, $p[j])).
 *
 * Memory is flat in the number of rows: the sample (charged to the operation's budget)
 * and O(k d) per pass; sorts for an id column's order and the aggregates' work are the
 * executor's (work_mem).  Interrupts: the executor checks them per row; the sample
 * loop checks them per batch of rows.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"
#include "usread.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

/* Rows fetched from the sample's cursor at a time */
#define SCAN_BATCH 1000

/* Build the SQL pieces of the features: the vector and the complete-row condition */
static void
BuildExpressions(UsScanRel *s)
{
	StringInfoData vec;
	StringInfoData ok;
	const UsRelData *rel = s->rel;

	initStringInfo(&vec);
	initStringInfo(&ok);
	appendStringInfoString(&vec, "ARRAY[");
	for (int f = 0; f < rel->nfeatures; f++)
	{
		const char *q = quote_identifier(rel->features[f].name);

		appendStringInfo(&vec, "%s%s::pg_catalog.float8", f ? ", " : "", q);
		appendStringInfo(&ok, "%s%s IS NOT NULL", f ? " AND " : "", q);
	}
	appendStringInfoString(&vec, "]");
	s->vector = vec.data;
	/* with nulls => 'impute' every row is complete: a NULL stands for the column mean */
	s->complete = rel->nullpolicy == US_NULLS_IMPUTE ? "true" : ok.data;
}

/*
 * SQL of feature f as float8; with nulls => 'impute', a NULL is element f + 1 of the
 * float8[] parameter $param (the imputed values, ImputedDatum)
 */
static char *
ColumnSql(const UsScanRel *s, int f, int param)
{
	const char *q = quote_identifier(s->rel->features[f].name);

	if (s->rel->nullpolicy != US_NULLS_IMPUTE)
		return psprintf("%s::pg_catalog.float8", q);
	return psprintf("COALESCE(%s::pg_catalog.float8, $%d[%d])", q, param, f + 1);
}

/* SQL of the feature vector as float8[]; param as for ColumnSql */
static const char *
VectorSql(const UsScanRel *s, int param)
{
	StringInfoData vec;

	if (s->rel->nullpolicy != US_NULLS_IMPUTE)
		return s->vector;
	initStringInfo(&vec);
	appendStringInfoString(&vec, "ARRAY[");
	for (int f = 0; f < s->d; f++)
		appendStringInfo(&vec, "%s%s", f ? ", " : "", ColumnSql(s, f, param));
	appendStringInfoString(&vec, "]");
	return vec.data;
}

/* The imputed values as a float8[] parameter (the statistics pass sets them) */
static Datum
ImputedDatum(const UsScanRel *s)
{
	return PointerGetDatum(UsDoublesToArray(s->rel->imputed, s->d));
}

/* 0A000 for what the scan does not do, with the way out */
static void
NotInScan(const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("method => 'scan' does not support %s", what),
			 errhint("%s", hint)));
}

/* Connect to SPI and run under the scan's snapshot */
static MemoryContext
PassBegin(UsScanRel *s)
{
	MemoryContext caller = CurrentMemoryContext;
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	PushActiveSnapshot(s->snap);
	return caller;
}

static void
PassEnd(void)
{
	PopActiveSnapshot();
	SPI_finish();
}

/* Run a read-only query of one row under the active snapshot */
static HeapTuple
QueryOneRow(const char *sql, int nargs, Oid *types, Datum *values, TupleDesc *desc)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "a pass of the scan returned %s, please report a bug",
			 SPI_result_code_string(rc));
	*desc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

/* A float8[] column of a result row into d doubles of cxt (false if NULL) */
static bool
GetDoubles(HeapTuple tup, TupleDesc desc, int col, int d, double *out)
{
	bool		isnull;
	Datum		v = SPI_getbinval(tup, desc, col, &isnull);
	ArrayType  *a;

	if (isnull)
		return false;
	a = DatumGetArrayTypeP(v);
	if (ARR_NDIM(a) < 1 || ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) != d ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "a pass of the scan returned an array of another shape, please report a bug");
	memcpy(out, ARR_DATA_PTR(a), sizeof(double) * d);
	return true;
}

UsScanRel *
UsScanOpen(Oid relid, ArrayType *features, const UsReadOptions *opts, Oid nsp,
		   UsScaleMethod method)
{
	UsScanRel  *s = palloc0(sizeof(UsScanRel));
	UsRelData  *rel;

	if (method == US_SCALE_ROBUST)
		NotInScan("scale => 'robust'",
				  "The robust scaler needs every value in memory: use scale => 'zscore', 'minmax' or 'none', or method => 'memory'.");
	rel = UsResolve(relid, features, opts);
	for (int f = 0; f < rel->nfeatures; f++)
		if (rel->features[f].onehot)
			NotInScan(psprintf("the categorical feature \"%s\"", rel->features[f].name),
					  "Encode it in a view (one numeric column per category), or use method => 'memory'.");
	/* one encoded column per feature, as the reader lays them out (UsModelFromRel) */
	rel->d = rel->nfeatures;
	rel->cols = palloc0(sizeof(UsColumn) * rel->d);
	rel->imputed = palloc(sizeof(double) * rel->d);
	for (int f = 0; f < rel->nfeatures; f++)
	{
		rel->features[f].first = f;
		rel->features[f].ncols = 1;
		rel->cols[f].source = rel->features[f].name;
		rel->cols[f].category = NULL;
		rel->cols[f].typid = rel->features[f].typid;
		rel->cols[f].feature = f;
		rel->imputed[f] = NAN;
	}
	s->rel = rel;
	s->d = rel->nfeatures;
	s->method = method;
	s->schema = get_namespace_name(nsp);
	if (s->schema == NULL)
		elog(ERROR, "schema with OID %u of the extension not found, please report a bug", nsp);
	s->schema = quote_identifier(s->schema);
	s->scaler_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									 CStringGetDatum("userseg_scaler"),
									 ObjectIdGetDatum(nsp));
	if (!OidIsValid(s->scaler_type))
		elog(ERROR, "type userseg_scaler not found, please report a bug");
	BuildExpressions(s);

	/* the scan's snapshot, after the lock: see UsRead */
	CommandCounterIncrement();
	s->snap = RegisterSnapshot(GetTransactionSnapshot());
	return s;
}

void
UsScanClose(UsScanRel *s)
{
	if (s->snap)
		UnregisterSnapshot(s->snap);
	s->snap = NULL;
}

/*
 * SQL of the scaler fit and the population variance of each column over the complete
 * rows (with nulls => 'impute': every row, a NULL standing for the imputed value $1)
 */
static void
AppendMoments(StringInfo q, const UsScanRel *s)
{
	const char *vec = VectorSql(s, 1);
	const char *method = quote_literal_cstr(UsScaleMethodName(s->method));

	appendStringInfo(q, "(%s.userseg_scaler_fit(%s, %s) FILTER (WHERE %s)).center"
					 ", (%s.userseg_scaler_fit(%s, %s) FILTER (WHERE %s)).scale, ARRAY[",
					 s->schema, vec, method, s->complete, s->schema, vec, method, s->complete);
	for (int f = 0; f < s->d; f++)
		appendStringInfo(q, "%spg_catalog.var_pop(%s) FILTER (WHERE %s)",
						 f ? ", " : "", ColumnSql(s, f, 1), s->complete);
	appendStringInfoChar(q, ']');
}

/* The scaler and the variances from columns col, col + 1, col + 2 of a result row */
static void
GetMoments(UsScanRel *s, HeapTuple tup, TupleDesc desc, int col, MemoryContext caller)
{
	MemoryContext spi = MemoryContextSwitchTo(caller);
	int			d = s->d;
	bool		isnull;
	bool		have = GetDoubles(tup, desc, col, d, s->center) &&
		GetDoubles(tup, desc, col + 1, d, s->scale);

	if (have)
	{
		Datum		v = SPI_getbinval(tup, desc, col + 2, &isnull);
		Datum	   *elems;
		bool	   *nulls;
		int			ne;

		deconstruct_array(DatumGetArrayTypeP(v), FLOAT8OID, sizeof(float8),
						  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &ne);
		for (int j = 0; j < d; j++)
			s->var[j] = nulls[j] ? 0.0 : DatumGetFloat8(elems[j]);
	}
	MemoryContextSwitchTo(spi);
}

/*
 * The statistics pass: rows, complete rows, NULLs per feature, the scaler and the
 * population variance of each column over the complete rows (for the tolerance).
 * With nulls => 'impute', as the in-memory read (readrows.c): a NULL stands for the
 * mean of the column's non-NULL values (their sum over their count, as avg), and the
 * scaler and the variances are fitted on every row with those values in place of the
 * NULLs: a second pass, once the means are known.
 */
void
UsScanStats(UsScanRel *s)
{
	UsRelData  *rel = s->rel;
	int			d = s->d;
	bool		impute = rel->nullpolicy == US_NULLS_IMPUTE;
	StringInfoData q;
	MemoryContext caller;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	int			col;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE %s)",
					 s->complete);
	for (int f = 0; f < d; f++)
		appendStringInfo(&q, ", pg_catalog.count(%s)", quote_identifier(rel->features[f].name));
	for (int f = 0; f < d && impute; f++)
		appendStringInfo(&q, ", pg_catalog.avg(%s::pg_catalog.float8)",
						 quote_identifier(rel->features[f].name));
	if (!impute)
	{
		appendStringInfoString(&q, ", ");
		AppendMoments(&q, s);
	}
	appendStringInfo(&q, " FROM %s", rel->relname);

	s->center = palloc(sizeof(double) * d);
	s->scale = palloc(sizeof(double) * d);
	s->var = palloc(sizeof(double) * d);
	caller = PassBegin(s);
	tup = QueryOneRow(q.data, 0, NULL, NULL, &desc);
	rel->nrows = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	rel->n = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	rel->nskipped = rel->nrows - rel->n;
	for (int f = 0; f < d; f++)
		rel->nulls[f] = rel->nrows - DatumGetInt64(SPI_getbinval(tup, desc, 3 + f, &isnull));
	col = 3 + d;
	if (impute)
		for (int f = 0; f < d; f++)
		{
			Datum		v = SPI_getbinval(tup, desc, col + f, &isnull);

			rel->imputed[f] = isnull ? NAN : DatumGetFloat8(v);
		}
	else
		GetMoments(s, tup, desc, col, caller);
	PassEnd();

	for (int f = 0; f < d && impute; f++)
		if (rel->nrows > 0 && rel->nulls[f] == rel->nrows)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("column \"%s\" has only NULLs, nothing to impute from",
							rel->features[f].name),
					 errhint("Leave the column out of the features.")));
	if (impute && rel->n > 0)
	{
		Oid			types[1] = {FLOAT8ARRAYOID};
		Datum		values[1];

		values[0] = ImputedDatum(s);
		resetStringInfo(&q);
		appendStringInfoString(&q, "SELECT ");
		AppendMoments(&q, s);
		appendStringInfo(&q, " FROM %s", rel->relname);
		caller = PassBegin(s);
		tup = QueryOneRow(q.data, 1, types, values, &desc);
		GetMoments(s, tup, desc, 1, caller);
		PassEnd();
	}

	if (rel->nullpolicy == US_NULLS_ERROR)
		for (int f = 0; f < d; f++)
			if (rel->nulls[f] > 0)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("column \"%s\" contains NULL", rel->features[f].name),
						 errdetail(INT64_FORMAT " of " INT64_FORMAT " rows are NULL.",
								   rel->nulls[f], rel->nrows),
						 errhint("Use nulls => 'skip' or nulls => 'impute', or fill the column.")));
	if (rel->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no rows to cluster in %s", rel->relname),
				 errdetail(rel->nrows == 0 ? "The relation is empty." :
						   "Every row has a NULL feature.")));
	if (rel->nskipped > 0)
	{
		StringInfoData detail;
		bool		first = true;

		initStringInfo(&detail);
		appendStringInfoString(&detail, "NULLs per column: ");
		for (int f = 0; f < d; f++)
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
	}
}

/* The scaler as a userseg_scaler value, for the passes' parameters */
static Datum
ScalerDatum(const UsScanRel *s)
{
	TupleDesc	desc = lookup_rowtype_tupdesc_copy(s->scaler_type, -1);
	Datum		v[4];
	bool		isnull[4] = {false, false, false, false};

	v[0] = CStringGetTextDatum(UsScaleMethodName(s->method));
	v[1] = Int64GetDatum(s->rel->n);
	v[2] = PointerGetDatum(UsDoublesToArray(s->center, s->d));
	v[3] = PointerGetDatum(UsDoublesToArray(s->scale, s->d));
	return HeapTupleGetDatum(heap_form_tuple(desc, v, isnull));
}

/* A k x d float8[][] of centers */
static Datum
CentersDatum(const double *centers, int k, int d)
{
	Datum	   *elems = palloc(sizeof(Datum) * (Size) k * d);
	int			dims[2] = {k, d};
	int			lbs[2] = {1, 1};

	for (int64 i = 0; i < (int64) k * d; i++)
		elems[i] = Float8GetDatum(centers[i]);
	return PointerGetDatum(construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
											  sizeof(float8), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}

void
UsScanSample(UsScanRel *s, int64 size, int32 seed, UsMatrix *out)
{
	UsRelData  *rel = s->rel;
	int			d = s->d;
	int64		want = Min(size, rel->n);
	int64		seen = 0;
	StringInfoData q;
	MemoryContext caller;
	Portal		portal;
	pg_prng_state rng;
	Oid			imputed_type[1] = {FLOAT8ARRAYOID};
	Datum		imputed[1];

	out->n = want;
	out->d = d;
	out->x = UsAllocMatrix(want, d, "the sample");
	pg_prng_seed(&rng, (uint64) (int64) seed);

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s FROM %s WHERE %s", VectorSql(s, 1), rel->relname,
					 s->complete);
	if (rel->id_column)
		appendStringInfo(&q, " ORDER BY %s%s", quote_identifier(rel->id_column),
						 OidIsValid(rel->id_collation) ? " COLLATE \"C\"" : "");
	imputed[0] = rel->nullpolicy == US_NULLS_IMPUTE ? ImputedDatum(s) : (Datum) 0;
	caller = PassBegin(s);
	portal = SPI_cursor_open_with_args(NULL, q.data, rel->nullpolicy == US_NULLS_IMPUTE ? 1 : 0,
									   imputed_type, imputed, NULL, true, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, SCAN_BATCH);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			int64		slot;
			bool		isnull;
			Datum		v;

			/* Algorithm R: row i (0-based) replaces a uniform slot with probability want / (i + 1) */
			if (seen < want)
				slot = seen;
			else
			{
				slot = (int64) pg_prng_uint64_range(&rng, 0, (uint64) seen);
				if (slot >= want)
				{
					seen++;
					continue;
				}
			}
			seen++;
			v = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
			UsVectorToDoubles(DatumGetArrayTypeP(v), d, out->x + slot * d, "feature vector");
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	PassEnd();
	(void) caller;
	if (seen != rel->n)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the sample pass read " INT64_FORMAT " rows where the statistics pass counted " INT64_FORMAT,
						seen, rel->n)));
	UsScaleApply(out, s->center, s->scale);
}

void
UsScanStep(UsScanRel *s, const double *centers, int k, double *means, int64 *sizes,
		   double *inertia)
{
	UsRelData  *rel = s->rel;
	int			d = s->d;
	StringInfoData q;
	MemoryContext caller;
	HeapTuple	tup;
	TupleDesc	desc;
	Oid			types[3];
	Datum		values[3];
	bool		isnull;
	HeapTupleHeader res;
	ArrayType  *a;

	types[0] = s->scaler_type;
	types[1] = FLOAT8ARRAYOID;
	values[0] = ScalerDatum(s);
	values[1] = CentersDatum(centers, k, d);
	types[2] = FLOAT8ARRAYOID;
	values[2] = rel->nullpolicy == US_NULLS_IMPUTE ? ImputedDatum(s) : (Datum) 0;
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s.userseg_kmeans_step(%s.userseg_scale_apply(%s, $1), $2) "
					 "FROM %s WHERE %s",
					 s->schema, s->schema, VectorSql(s, 3), rel->relname, s->complete);
	caller = PassBegin(s);
	tup = QueryOneRow(q.data, rel->nullpolicy == US_NULLS_IMPUTE ? 3 : 2, types, values, &desc);
	res = DatumGetHeapTupleHeader(SPI_getbinval(tup, desc, 1, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a pass of the scan found no rows where the statistics pass counted " INT64_FORMAT,
						rel->n)));
	a = DatumGetArrayTypeP(GetAttributeByNum(res, 1, &isnull));
	memcpy(means, ARR_DATA_PTR(a), sizeof(double) * (Size) k * d);
	a = DatumGetArrayTypeP(GetAttributeByNum(res, 2, &isnull));
	memcpy(sizes, ARR_DATA_PTR(a), sizeof(int64) * k);
	*inertia = DatumGetFloat8(GetAttributeByNum(res, 3, &isnull));
	if (DatumGetInt64(GetAttributeByNum(res, 4, &isnull)) != rel->n)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a pass of the scan read " INT64_FORMAT " rows where the statistics pass counted " INT64_FORMAT,
						DatumGetInt64(GetAttributeByNum(res, 4, &isnull)), rel->n)));
	PassEnd();
	(void) caller;
}

int64
UsScanWriteLabels(UsScanRel *s, const char *label_column, const double *centers, int k)
{
	UsRelData  *rel = s->rel;
	const char *lab = quote_identifier(label_column);
	StringInfoData expr;
	StringInfoData q;
	Oid			types[4] = {FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Datum		values[4];
	int			nargs = rel->nullpolicy == US_NULLS_IMPUTE ? 4 : 3;
	int64		expected;
	int64		written;
	bool		isnull;
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	if (get_attnum(rel->relid, label_column) == InvalidAttrNumber)
	{
		initStringInfo(&q);
		appendStringInfo(&q, "ALTER TABLE %s ADD COLUMN %s pg_catalog.int4", rel->relname, lab);
		if ((rc = SPI_execute(q.data, false, 0)) != SPI_OK_UTILITY)
			elog(ERROR, "adding the label column failed: %s", SPI_result_code_string(rc));
	}
	values[0] = CentersDatum(centers, k, s->d);
	values[1] = PointerGetDatum(UsDoublesToArray(s->center, s->d));
	values[2] = PointerGetDatum(UsDoublesToArray(s->scale, s->d));
	values[3] = nargs == 4 ? ImputedDatum(s) : (Datum) 0;
	initStringInfo(&expr);
	appendStringInfo(&expr, "CASE WHEN %s THEN %s.userseg_kmeans_nearest(%s, $1, $2, $3) END",
					 s->complete, s->schema, VectorSql(s, 4));

	/* the rows whose label changes, then one UPDATE of them: all or nothing */
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT pg_catalog.count(*) FROM %s WHERE %s IS DISTINCT FROM (%s)",
					 rel->relname, lab, expr.data);
	rc = SPI_execute_with_args(q.data, nargs, types, values, NULL, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting the labels to write failed: %s", SPI_result_code_string(rc));
	expected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										   &isnull));
	resetStringInfo(&q);
	appendStringInfo(&q, "UPDATE %s SET %s = %s WHERE %s IS DISTINCT FROM (%s)",
					 rel->relname, lab, expr.data, lab, expr.data);
	rc = SPI_execute_with_args(q.data, nargs, types, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "writing the labels failed: %s", SPI_result_code_string(rc));
	written = (int64) SPI_processed;
	SPI_finish();
	if (written != expected)
	{
		if (check_enable_rls(rel->relid, InvalidOid, true) == RLS_ENABLED)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("row-level security kept " INT64_FORMAT " of " INT64_FORMAT " labels from being written",
							expected - written, expected),
					 errdetail("No label was written.")));
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
				 errmsg("a trigger kept " INT64_FORMAT " of " INT64_FORMAT " labels from being written",
						expected - written, expected),
				 errdetail("No label was written.")));
	}
	return written;
}
