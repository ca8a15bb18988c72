/*-------------------------------------------------------------------------
 *
 * box.c
 *	  userseg_profile_box: box-plot statistics of numeric features per cluster, in
 *	  the features' own units.
 *
 * A sibling of userseg_profile over the same rows (the report reader: rows with a
 * NULL label in no cluster, -1 a cluster like the others, NULL values of a feature
 * left out of its figures): per cluster and feature the count, min, first quartile,
 * median, third quartile, max (quantiles as percentile_cont interpolates them, and
 * pandas' quantile), Tukey's whiskers (the furthest values within 1.5 IQR of the
 * quartiles) and the values beyond them (box_core.c).  A categorical feature has
 * no quartiles: 42804.  Time O(n log n) per feature, memory the matrix and one
 * column's values (the budget).
 *
 *-------------------------------------------------------------------------
 */
#include "usreport.h"
#include "uspca.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_profile_box);

#define BOX_COLS 12

/* 42804 for a feature that is one-hot encoded */
static inline void
BoxCheckNumeric(const UsRelData *rel, int nfeatures)
{
	for (int f = 0; f < nfeatures; f++)
		if (rel->features[f].onehot)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature \"%s\" of type %s has no quartiles",
							rel->features[f].name, format_type_be(rel->features[f].typid)),
					 errdetail("Box statistics are of numeric features."),
					 errhint("Use userseg_profile or userseg_crosstab for categorical features.")));
}

static inline Datum
BoxFloat(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(*isnull ? 0.0 : v);
}

/*
 * userseg_profile_box(source regclass, label_column name, features text[])
 *	 RETURNS TABLE(cluster, feature, n, min, q1, median, q3, max, whisker_low,
 *				   whisker_high, outliers_low, outliers_high)
 */
Datum
userseg_profile_box(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	UsReportData *rd;
	UsBox	   *boxes;

	/* parse, check */
	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg profile box");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare, run */
	rd = UsReportRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2));
	BoxCheckNumeric(rd->rel, rd->nfeatures);
	boxes = UsBoxPerCluster(rd);

	/* report: per cluster, the features in the order given */
	for (int c = 0; c < rd->k; c++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int f = 0; f < rd->nfeatures; f++)
		{
			const UsBox *b = &boxes[(Size) c * rd->rel->d + rd->rel->features[f].first];
			Datum		v[BOX_COLS];
			bool		isnull[BOX_COLS] = {false};

			v[0] = Int32GetDatum(rd->clusters[c]);
			v[1] = CStringGetTextDatum(rd->rel->features[f].name);
			v[2] = Int64GetDatum(b->n);
			v[3] = BoxFloat(b->min, &isnull[3]);
			v[4] = BoxFloat(b->q1, &isnull[4]);
			v[5] = BoxFloat(b->median, &isnull[5]);
			v[6] = BoxFloat(b->q3, &isnull[6]);
			v[7] = BoxFloat(b->max, &isnull[7]);
			v[8] = BoxFloat(b->whisker_low, &isnull[8]);
			v[9] = BoxFloat(b->whisker_high, &isnull[9]);
			v[10] = Int64GetDatum(b->outliers_low);
			v[11] = Int64GetDatum(b->outliers_high);
			tuplestore_putvalues(store, desc, v, isnull);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
