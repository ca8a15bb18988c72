/*-------------------------------------------------------------------------
 *
 * report.c
 *	  userseg_profile, userseg_profile_wide and userseg_crosstab: what sets each
 *	  cluster apart, feature by feature.
 *
 * Profiles take the same feature list as the clustering functions.  A numeric feature
 * gets its count, mean, sample standard deviation (ddof = 1), min and max per
 * cluster, the overall mean and z, the gap of the means in overall standard
 * deviations.  A categorical feature (text, varchar, char, enum, boolean, one-hot
 * encoded by the reader) gets one row per category: its count, its share of the
 * cluster's rows (mean, the mean of the one-hot column), its share of all labelled
 * rows (overall_mean) and their ratio (lift), then, when labelled rows have no
 * category, a row with category NULL.  Rows with a NULL label are left out of every
 * figure; -1 (noise) is a cluster like the others.  Categories seen only in rows
 * without a label are left out.  Time O(n d), memory the n x d matrix (the budget).
 *
 *-------------------------------------------------------------------------
 */
#include "usreport.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"

PG_FUNCTION_INFO_V1(userseg_profile);
PG_FUNCTION_INFO_V1(userseg_profile_wide);
PG_FUNCTION_INFO_V1(userseg_crosstab);

#define PROFILE_COLS 12
#define WIDE_COLS 6
#define CROSSTAB_COLS 6

/*
 * Read and compute the moments of a profile
 */
UsProfile *
ReportProfile(Oid relid, const char *label_column, ArrayType *features)
{
	UsProfile  *p = palloc0(sizeof(UsProfile));
	UsCore		core;
	UsMatrix	m;
	int			bad;

	p->rd = UsReportRead(relid, label_column, features);
	m.n = p->rd->rel->n;
	m.d = p->rd->rel->d;
	m.x = p->rd->rel->x;
	UsCoreContextInit(&core);
	bad = UsGroupMoments(&core, &m, p->rd->group, p->rd->k, &p->stats);
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The mean or standard deviation of column \"%s\" overflows double precision.",
						   p->rd->rel->cols[bad].source),
				 errhint("Rescale the column, for example in a view.")));

	/* z overflows only where the gap of two finite means does */
	for (int c = 0; c < p->rd->k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < m.d; j++)
		{
			double		z = ReportZ(p, c, j);

			if (isinf(z))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("value out of range: overflow"),
						 errdetail("The z score of column \"%s\" overflows double precision.",
								   p->rd->rel->cols[j].source),
						 errhint("Rescale the column, for example in a view.")));
		}
	}
	return p;
}

double
ReportStddev(const UsProfile *p, Size cell)
{
	int64		n = p->stats.count[cell];

	return n > 1 ? sqrt(p->stats.m2[cell] / (double) (n - 1)) : NAN;
}

double
ReportZ(const UsProfile *p, int c, int j)
{
	Size		all = ReportCell(p, p->stats.k, j);
	double		sd = ReportStddev(p, all);
	double		mean = p->stats.mean[ReportCell(p, c, j)];

	/* a feature without spread (constant, or a single value) has no z */
	if (!(sd > 0) || isnan(mean))
		return NAN;
	return (mean - p->stats.mean[all]) / sd;
}

int64
ReportNullCategory(const UsProfile *p, int c, int f)
{
	const UsFeature *feat = &p->rd->rel->features[f];
	int64		size = c < p->rd->k ? p->rd->sizes[c] : p->rd->total;
	int64		in = 0;

	for (int j = feat->first; j < feat->first + feat->ncols; j++)
		in += (int64) p->stats.sum[ReportCell(p, c, j)];
	return size - in;
}

/* The profile row of numeric feature f in cluster c */
static void
PutNumericRow(Tuplestorestate *store, TupleDesc desc, const UsProfile *p, int c, int f,
			  Datum *values, bool *isnull)
{
	const UsReportData *rd = p->rd;
	int			j = rd->rel->features[f].first;
	Size		cell = ReportCell(p, c, j);
	Size		all = ReportCell(p, rd->k, j);
	bool		none = p->stats.count[cell] == 0;

	isnull[2] = true;
	values[3] = Int64GetDatum(p->stats.count[cell]);
	values[5] = UsFloat8OrNull(p->stats.mean[cell], &isnull[5]);
	values[6] = UsFloat8OrNull(ReportStddev(p, cell), &isnull[6]);
	values[7] = UsFloat8OrNull(none ? NAN : p->stats.min[cell], &isnull[7]);
	values[8] = UsFloat8OrNull(none ? NAN : p->stats.max[cell], &isnull[8]);
	values[9] = UsFloat8OrNull(p->stats.mean[all], &isnull[9]);
	values[10] = UsFloat8OrNull(ReportZ(p, c, j), &isnull[10]);
	isnull[11] = true;
	tuplestore_putvalues(store, desc, values, isnull);
}

/* One category row: n of the cluster's rows, in_all of all labelled rows */
static void
PutCategoryRow(Tuplestorestate *store, TupleDesc desc, const UsProfile *p, int c,
			   const char *category, int64 n, int64 in_all, Datum *values, bool *isnull)
{
	double		in = (double) n / (double) p->rd->sizes[c];
	double		overall = (double) in_all / (double) p->rd->total;

	if (category)
		values[2] = CStringGetTextDatum(category);
	isnull[2] = category == NULL;
	values[3] = Int64GetDatum(n);
	values[5] = Float8GetDatum(in);
	isnull[5] = false;
	isnull[6] = isnull[7] = isnull[8] = isnull[10] = true;
	values[9] = Float8GetDatum(overall);
	isnull[9] = false;
	values[11] = Float8GetDatum(in / overall);
	isnull[11] = false;
	tuplestore_putvalues(store, desc, values, isnull);
}

/* The profile rows of categorical feature f in cluster c: its categories, then NULL */
static void
PutCategoryRows(Tuplestorestate *store, TupleDesc desc, const UsProfile *p, int c, int f,
				Datum *values, bool *isnull)
{
	const UsReportData *rd = p->rd;
	const UsFeature *feat = &rd->rel->features[f];
	int64		nulls_all = ReportNullCategory(p, rd->k, f);

	for (int j = feat->first; j < feat->first + feat->ncols; j++)
	{
		int64		in_all = (int64) p->stats.sum[ReportCell(p, rd->k, j)];

		if (in_all == 0)
			continue;			/* seen only in rows without a label */
		PutCategoryRow(store, desc, p, c, rd->rel->cols[j].category,
					   (int64) p->stats.sum[ReportCell(p, c, j)], in_all, values, isnull);
	}
	if (nulls_all > 0)
		PutCategoryRow(store, desc, p, c, NULL, ReportNullCategory(p, c, f), nulls_all,
					   values, isnull);
}

/*
 * userseg_profile(source regclass, label_column name, features text[])
 *	 RETURNS TABLE(cluster, feature, category, n, share, mean, stddev, min, max,
 *				   overall_mean, z, lift)
 */
Datum
userseg_profile(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsProfile  *p;
	UsReportData *rd;
	Datum		values[PROFILE_COLS];
	bool		isnull[PROFILE_COLS];

	/* parse, check */
	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg profile");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare, run */
	p = ReportProfile(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2));
	rd = p->rd;

	/* report: per cluster, the features in the order given */
	for (int c = 0; c < rd->k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int f = 0; f < rd->nfeatures; f++)
		{
			memset(isnull, 0, sizeof(isnull));
			values[0] = Int32GetDatum(rd->clusters[c]);
			values[1] = CStringGetTextDatum(rd->rel->features[f].name);
			values[4] = Float8GetDatum((double) rd->sizes[c] / (double) rd->total);
			if (rd->rel->features[f].onehot)
				PutCategoryRows(store, desc, p, c, f, values, isnull);
			else
				PutNumericRow(store, desc, p, c, f, values, isnull);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}

/* Append "key": value to a JSON object being built */
static void
JsonKey(StringInfo buf, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(buf, ", ");
	*first = false;
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

static void
JsonNumber(StringInfo buf, double v)
{
	if (isnan(v))
		appendStringInfoString(buf, "null");
	else
		appendStringInfoString(buf, float8out_internal(v));
}

static Datum
JsonbFromText(StringInfo buf)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data));
}

/* The means, z and lift objects of cluster c into out[0..2] */
static void
WideObjects(const UsProfile *p, int c, Datum *out)
{
	const UsReportData *rd = p->rd;
	StringInfoData means;
	StringInfoData z;
	StringInfoData lift;
	bool		fm = true;
	bool		fz = true;
	bool		fl = true;

	initStringInfo(&means);
	initStringInfo(&z);
	initStringInfo(&lift);
	appendStringInfoChar(&means, '{');
	appendStringInfoChar(&z, '{');
	appendStringInfoChar(&lift, '{');
	for (int f = 0; f < rd->nfeatures; f++)
	{
		const UsFeature *feat = &rd->rel->features[f];
		bool		fc = true;
		bool		flc = true;

		JsonKey(&means, &fm, feat->name);
		if (!feat->onehot)
		{
			JsonNumber(&means, p->stats.mean[ReportCell(p, c, feat->first)]);
			JsonKey(&z, &fz, feat->name);
			JsonNumber(&z, ReportZ(p, c, feat->first));
			continue;
		}
		JsonKey(&lift, &fl, feat->name);
		appendStringInfoChar(&means, '{');
		appendStringInfoChar(&lift, '{');
		for (int j = feat->first; j < feat->first + feat->ncols; j++)
		{
			double		all = p->stats.sum[ReportCell(p, rd->k, j)];
			double		in = p->stats.sum[ReportCell(p, c, j)] / (double) rd->sizes[c];

			if (all == 0)
				continue;		/* seen only in rows without a label */
			JsonKey(&means, &fc, rd->rel->cols[j].category);
			JsonNumber(&means, in);
			JsonKey(&lift, &flc, rd->rel->cols[j].category);
			JsonNumber(&lift, in / (all / (double) rd->total));
		}
		appendStringInfoChar(&means, '}');
		appendStringInfoChar(&lift, '}');
	}
	appendStringInfoChar(&means, '}');
	appendStringInfoChar(&z, '}');
	appendStringInfoChar(&lift, '}');
	out[0] = JsonbFromText(&means);
	out[1] = JsonbFromText(&z);
	out[2] = JsonbFromText(&lift);
}

/*
 * userseg_profile_wide(source regclass, label_column name, features text[])
 *	 RETURNS TABLE(cluster, n, share, means jsonb, z jsonb, lift jsonb)
 *
 * means: a numeric feature's mean, or a categorical feature's object of category
 * shares in the cluster; z: numeric features only; lift: categorical features only,
 * an object per feature keyed by category.  The NULL category is left out.
 */
Datum
userseg_profile_wide(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsProfile  *p;
	UsReportData *rd;

	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg profile");
	oldcxt = MemoryContextSwitchTo(runcxt);

	p = ReportProfile(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2));
	rd = p->rd;

	for (int c = 0; c < rd->k; c++)
	{
		Datum		values[WIDE_COLS];
		bool		isnull[WIDE_COLS] = {0};

		CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(rd->clusters[c]);
		values[1] = Int64GetDatum(rd->sizes[c]);
		values[2] = Float8GetDatum((double) rd->sizes[c] / (double) rd->total);
		WideObjects(p, c, values + 3);
		tuplestore_putvalues(store, desc, values, isnull);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}

/*
 * userseg_crosstab(source regclass, label_column name, category_column name)
 *	 RETURNS TABLE(cluster, category, n, share_in_cluster, share_overall, lift)
 *
 * Every cluster meets every category seen in a labelled row (n = 0 where they never
 * meet); the category is the column's text, of any type; a NULL category is a row of
 * its own, last.
 */
Datum
userseg_crosstab(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsCrosstab *xt;

	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "category_column");
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg crosstab");
	oldcxt = MemoryContextSwitchTo(runcxt);

	xt = UsReportCrosstab(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)),
						  NameStr(*PG_GETARG_NAME(2)));
	for (int c = 0; c < xt->k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int q = 0; q < xt->ncat; q++)
		{
			int64		n = xt->counts[(Size) c * xt->ncat + q];
			double		in = (double) n / (double) xt->sizes[c];
			double		overall = (double) xt->catcounts[q] / (double) xt->total;
			Datum		values[CROSSTAB_COLS];
			bool		isnull[CROSSTAB_COLS] = {0};

			values[0] = Int32GetDatum(xt->clusters[c]);
			if (xt->cats[q])
				values[1] = CStringGetTextDatum(xt->cats[q]);
			isnull[1] = xt->cats[q] == NULL;
			values[2] = Int64GetDatum(n);
			values[3] = Float8GetDatum(in);
			values[4] = Float8GetDatum(overall);
			values[5] = Float8GetDatum(in / overall);
			tuplestore_putvalues(store, desc, values, isnull);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
