/*-------------------------------------------------------------------------
 *
 * reportread.c
 *	  The rows behind the profiles, crosstabs and segment sentences.
 *
 * A report reads a relation and one integer label column.  Features go through the
 * relation reader (relation.c) exactly as the clustering functions read them: the same
 * types, the same one-hot encoding of categorical columns, the same errors.  The label
 * column is read with them, in the same scan, as one more numeric column, so every
 * row's label and features come from one snapshot.  Rows with a NULL label belong to
 * no cluster (group -1); every integer label is a cluster of its own, -1 (noise, as
 * density-based algorithms label it) included.
 *
 * A crosstab reads a category column of any type as text through one aggregate
 * query (counts per label and category), so it needs no matrix.
 *
 * Errors: 22004 NULL source or label column; 42P01, 42809 the source; 42703 an
 * unknown or system label column; 42804 a label column that is not an integer;
 * 42501 no SELECT on the source or the label column; 22003 a label outside the
 * integer range; everything the reader raises for the features.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

/*
 * Check the source and resolve a column the report needs besides the features
 * (the label column, a category column): it exists, is not a system column, and the
 * caller may read it.  "what" names its role in messages.
 */
static AttrNumber
ResolveReportColumn(Oid relid, const char *name, const char *what)
{
	AttrNumber	attnum = get_attnum(relid, name);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s \"%s\" of relation \"%s\" does not exist",
						what, name, get_rel_name(relid)),
				 errhint("Column names are matched exactly as written, case included.")));
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s \"%s\" of relation \"%s\" is a system column",
						what, name, get_rel_name(relid))));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck(relid, attnum, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errdetail("Reports need SELECT on the table or on column \"%s\".", name)));
	return attnum;
}

/*
 * Check a report's source and its label column; returns the label column's base type
 */
Oid
UsReportCheckSource(Oid relid, const char *label_column)
{
	AttrNumber	attnum;
	Oid			typid;
	Oid			base;

	UsCheckRelationKind(relid, false);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		pg_attribute_aclcheck_all(relid, GetUserId(), ACL_SELECT, ACLMASK_ANY) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errdetail("Reports need SELECT on the table or on the columns they name.")));

	attnum = ResolveReportColumn(relid, label_column, "label column");
	typid = get_atttype(relid, attnum);
	base = getBaseType(typid);
	if (base != INT2OID && base != INT4OID && base != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("label column \"%s\" has type %s, not an integer type",
						label_column, format_type_be(typid)),
				 errhint("Labels are smallint, integer or bigint; cast them in a view.")));
	return base;
}

/* A label as a cluster number, or 22003 */
static inline int32
LabelValue(double v, const char *label_column)
{
	if (!(v >= (double) PG_INT32_MIN && v <= (double) PG_INT32_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("label %.0f in column \"%s\" is out of range for a cluster number",
						v, label_column),
				 errdetail("Cluster numbers are integers from %d to %d.",
						   PG_INT32_MIN, PG_INT32_MAX)));
	return (int32) v;
}

static int
CompareInt32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

typedef struct LabelEntry
{
	int32		label;			/* hash key */
	int			index;
} LabelEntry;

/*
 * The distinct labels, ascending, and each row's index among them (labels[i] < 0 in
 * valid[] false means no cluster)
 */
static void
GroupLabels(UsReportData *rd, const int32 *labels, const bool *valid, int64 n)
{
	HASHCTL		ctl;
	HTAB	   *h;
	int			cap = 16;
	LabelEntry *e;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(LabelEntry);
	ctl.hcxt = CurrentMemoryContext;
	h = hash_create("userseg report labels", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	rd->k = 0;
	rd->clusters = UsAllocChecked(sizeof(int32) * cap, "the clusters");
	for (int64 i = 0; i < n; i++)
	{
		bool		found;

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		if (!valid[i])
			continue;
		e = hash_search(h, &labels[i], HASH_ENTER, &found);
		if (!found)
		{
			if (rd->k == cap)
			{
				int32	   *more = UsAllocChecked(sizeof(int32) * cap * 2, "the clusters");

				memcpy(more, rd->clusters, sizeof(int32) * cap);
				rd->clusters = more;
				cap *= 2;
			}
			rd->clusters[rd->k++] = labels[i];
		}
	}
	qsort(rd->clusters, rd->k, sizeof(int32), CompareInt32);
	for (int c = 0; c < rd->k; c++)
	{
		e = hash_search(h, &rd->clusters[c], HASH_FIND, NULL);
		e->index = c;
	}

	rd->group = UsAllocChecked(sizeof(int32) * Max(n, 1), "the cluster of each row");
	rd->sizes = UsAllocChecked(sizeof(int64) * Max(rd->k, 1), "the clusters");
	rd->total = 0;
	for (int64 i = 0; i < n; i++)
	{
		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		if (!valid[i])
		{
			rd->group[i] = -1;
			continue;
		}
		e = hash_search(h, &labels[i], HASH_FIND, NULL);
		rd->group[i] = e->index;
		rd->sizes[e->index]++;
		rd->total++;
	}
	hash_destroy(h);
}

/*
 * 22000 for a source without a labelled row, saying which case it is
 */
static void
NoLabelledRows(Oid relid, const char *label_column, int64 nrows)
{
	if (nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no labelled rows in \"%s\"", get_rel_name(relid)),
				 errdetail("The relation is empty."),
				 errhint("Reports describe the rows of a labelled relation; label it first.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("no labelled rows in \"%s\"", get_rel_name(relid)),
			 errdetail("All " INT64_FORMAT " rows have a NULL label in column \"%s\".",
					   nrows, label_column),
			 errhint("Reports describe the rows of a labelled relation; label it first.")));
}

/*
 * Read the features and the label column of a report in one scan
 */
UsReportData *
UsReportRead(Oid relid, const char *label_column, ArrayType *features)
{
	UsReportData *rd = palloc0(sizeof(UsReportData));
	ArrayType  *names = features;
	int			labelf = -1;
	int			lj;
	int32	   *labels;
	bool	   *valid;
	UsReadOptions ro;

	UsReportCheckSource(relid, label_column);

	/*
	 * Name the label column after the features, unless it is one: a one-dimensional,
	 * non-empty array only, so that the reader raises its own errors for the others
	 */
	if (features != NULL && ARR_NDIM(features) == 1 && ArrayGetNItems(1, ARR_DIMS(features)) > 0)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(features, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
			if (!nulls[i] && strcmp(TextDatumGetCString(elems[i]), label_column) == 0)
				labelf = i;
		if (labelf < 0)
		{
			Datum	   *all = palloc(sizeof(Datum) * (n + 1));
			bool	   *allnull = palloc(sizeof(bool) * (n + 1));
			int			dims[1] = {n + 1};
			int			lbs[1] = {1};

			memcpy(all, elems, sizeof(Datum) * n);
			memcpy(allnull, nulls, sizeof(bool) * n);
			all[n] = CStringGetTextDatum(label_column);
			allnull[n] = false;
			names = construct_md_array(all, allnull, 1, dims, lbs, TEXTOID, -1, false,
									   TYPALIGN_INT);
			labelf = n;
			rd->nfeatures = n;
		}
		else
			rd->nfeatures = n;
	}

	UsReadOptionsInit(&ro);
	ro.nulls = US_NULLS_KEEP;
	rd->rel = UsRead(relid, names, &ro);
	rd->nrows = rd->rel->nrows;
	if (labelf < 0)
		elog(ERROR, "the label column was not read, please report a bug");

	/* the labels, from their column of the matrix */
	lj = rd->rel->features[labelf].first;
	labels = UsAllocChecked(sizeof(int32) * Max(rd->rel->n, 1), "the labels");
	valid = UsAllocChecked(sizeof(bool) * Max(rd->rel->n, 1), "the labels");
	for (int64 i = 0; i < rd->rel->n; i++)
	{
		double		v = rd->rel->x[i * rd->rel->d + lj];

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		valid[i] = !isnan(v);
		labels[i] = valid[i] ? LabelValue(v, label_column) : 0;
	}
	GroupLabels(rd, labels, valid, rd->rel->n);
	if (rd->total == 0)
		NoLabelledRows(relid, label_column, rd->nrows);
	return rd;
}

/*
 * Counts per label and category text of one column of any type (see usdata.h)
 */
UsCrosstab *
UsReportCrosstab(Oid relid, const char *label_column, const char *category_column)
{
	UsCrosstab *xt = palloc0(sizeof(UsCrosstab));
	StringInfoData sql;
	Oid			labeltype;
	const char *lab;
	int			rc;
	uint64		nres;
	int32	   *rlabel;
	int		   *rcat;
	int64	   *rcount;
	int			capcat = 16;
	char	   *relname;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext oldcxt;

	labeltype = UsReportCheckSource(relid, label_column);
	ResolveReportColumn(relid, category_column, "category column");

	relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										 get_rel_name(relid));
	lab = quote_identifier(label_column);
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT s.%s, (s.%s)::pg_catalog.text COLLATE pg_catalog.\"C\", "
					 "pg_catalog.count(*) FROM %s AS s WHERE s.%s IS NOT NULL "
					 "GROUP BY 1, 2 ORDER BY 2, 1",
					 lab, quote_identifier(category_column), relname, lab);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	PushActiveSnapshot(GetTransactionSnapshot());
	rc = SPI_execute(sql.data, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed (%s), please report a bug", SPI_result_code_string(rc));

	/* results live in the caller's memory, past SPI_finish */
	oldcxt = MemoryContextSwitchTo(callercxt);
	nres = SPI_processed;
	rlabel = UsAllocChecked(sizeof(int32) * Max(nres, 1), "the crosstab");
	rcat = UsAllocChecked(sizeof(int) * Max(nres, 1), "the crosstab");
	rcount = UsAllocChecked(sizeof(int64) * Max(nres, 1), "the crosstab");
	xt->cats = UsAllocChecked(sizeof(char *) * capcat, "the categories");
	for (uint64 r = 0; r < nres; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		v = SPI_getbinval(tup, desc, 1, &isnull);
		double		lv;
		char	   *cat;
		bool		known = false;

		if ((r + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		lv = labeltype == INT2OID ? (double) DatumGetInt16(v) :
			labeltype == INT4OID ? (double) DatumGetInt32(v) : (double) DatumGetInt64(v);
		rlabel[r] = LabelValue(lv, label_column);
		v = SPI_getbinval(tup, desc, 2, &isnull);
		cat = isnull ? NULL : TextDatumGetCString(v);
		rcount[r] = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));

		/* categories come sorted (NULL last): a new one differs from the last */
		if (xt->ncat > 0)
		{
			char	   *last = xt->cats[xt->ncat - 1];

			known = (last == NULL && cat == NULL) ||
				(last != NULL && cat != NULL && strcmp(last, cat) == 0);
		}
		if (!known)
		{
			if (xt->ncat == capcat)
			{
				char	  **more = UsAllocChecked(sizeof(char *) * capcat * 2, "the categories");

				memcpy(more, xt->cats, sizeof(char *) * capcat);
				xt->cats = more;
				capcat *= 2;
			}
			xt->cats[xt->ncat++] = cat;
		}
		rcat[r] = xt->ncat - 1;
	}

	/* the distinct labels, ascending */
	xt->clusters = UsAllocChecked(sizeof(int32) * Max(nres, 1), "the clusters");
	memcpy(xt->clusters, rlabel, sizeof(int32) * nres);
	qsort(xt->clusters, nres, sizeof(int32), CompareInt32);
	xt->k = 0;
	for (uint64 r = 0; r < nres; r++)
		if (xt->k == 0 || xt->clusters[xt->k - 1] != xt->clusters[r])
			xt->clusters[xt->k++] = xt->clusters[r];

	/* the k x ncat grid of counts */
	xt->counts = UsAllocChecked(sizeof(int64) * Max((Size) xt->k * xt->ncat, 1), "the crosstab");
	xt->sizes = UsAllocChecked(sizeof(int64) * Max(xt->k, 1), "the clusters");
	xt->catcounts = UsAllocChecked(sizeof(int64) * Max(xt->ncat, 1), "the categories");
	for (uint64 r = 0; r < nres; r++)
	{
		int32	   *hit = bsearch(&rlabel[r], xt->clusters, xt->k, sizeof(int32), CompareInt32);
		int			c = (int) (hit - xt->clusters);

		xt->counts[(Size) c * xt->ncat + rcat[r]] += rcount[r];
		xt->sizes[c] += rcount[r];
		xt->catcounts[rcat[r]] += rcount[r];
		xt->total += rcount[r];
	}

	if (xt->total == 0)
	{
		int64		nrows;

		rc = SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s", relname), true, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "counting rows failed, please report a bug");
		nrows = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											&(bool) {false}));
		NoLabelledRows(relid, label_column, nrows);
	}
	MemoryContextSwitchTo(oldcxt);
	PopActiveSnapshot();
	SPI_finish();
	return xt;
}
