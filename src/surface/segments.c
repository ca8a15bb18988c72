/*-------------------------------------------------------------------------
 *
 * segments.c
 *	  userseg_describe_segments: one readable sentence per cluster.
 *
 * "2,314 users (23%): daily usage minutes +1.6 sd, likes received per day +1.4 sd;
 * Instagram x2.1, dominant emotion = Anxiety x1.7".  The sentence names:
 *	- the numeric features that set the cluster apart, |z| >= 0.1, the largest |z|
 *	  first (ties in the order the features are given), at most top of them, or
 *	  "close to average on every feature";
 *	- the categories over-represented in it, from the categorical features and the
 *	  category columns (of any type, compared as text): lift >= 1.2 with at least 5
 *	  rows and 5% of the cluster, the NULL category never; the largest lift first, then
 *	  the count, then the column order (features, then categories), then the category
 *	  text; at most top of them.  A text or enum category is named alone, another with
 *	  its column ("premium = true").
 * z and lift are shown rounded half away from zero to one decimal, as numeric's
 * round().  The cluster -1 (noise) is described as "noise, ...".  Figures as in
 * userseg_profile and userseg_crosstab.
 *
 *-------------------------------------------------------------------------
 */
#include "usreport.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(userseg_describe_segments);

#define SEGMENT_COLS 4

/* A category that may be named in a sentence */
typedef struct Named
{
	double		lift;
	int64		n;
	int			pos;			/* column order: features, then categories */
	const char *category;
	char	   *label;			/* as the sentence names it */
} Named;

/* A feature that may be named */
typedef struct Scored
{
	double		absz;
	double		z;
	int			pos;
	const char *feature;
} Scored;

/* Each run of underscores as one space, trimmed: "daily_usage_minutes" -> "daily usage minutes" */
static char *
Words(const char *name)
{
	StringInfoData buf;
	int			start = 0;

	initStringInfo(&buf);
	for (const char *s = name; *s; s++)
	{
		if (*s == '_')
		{
			if (s == name || s[-1] != '_')
				appendStringInfoChar(&buf, ' ');
			continue;
		}
		appendStringInfoChar(&buf, *s);
	}
	while (buf.len > 0 && buf.data[buf.len - 1] == ' ')
		buf.data[--buf.len] = '\0';
	while (buf.data[start] == ' ')
		start++;
	return buf.data + start;
}

/* Digits with thousands separators: "1234567.5" -> "1,234,567.5" */
static char *
Grouped(const char *digits)
{
	StringInfoData buf;
	const char *dot = strchr(digits, '.');
	int			intlen = dot ? (int) (dot - digits) : (int) strlen(digits);

	initStringInfo(&buf);
	for (int i = 0; i < intlen; i++)
	{
		if (i > 0 && (intlen - i) % 3 == 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, digits[i]);
	}
	if (dot)
		appendStringInfoString(&buf, dot);
	return buf.data;
}

/* A non-negative value rounded to one decimal as numeric's round(), grouped */
static char *
OneDecimal(double v)
{
	Datum		num = DirectFunctionCall1(float8_numeric, Float8GetDatum(v));

	num = DirectFunctionCall2(numeric_round, num, Int32GetDatum(1));
	return Grouped(DatumGetCString(DirectFunctionCall1(numeric_out, num)));
}

/* The share of the cluster as a whole percentage: "23%", "<1%", ">99%" */
static char *
Percent(int64 size, int64 total)
{
	/* round(100 * size / total) half up, exactly */
	uint64		pct = ((uint64) size * 200 + (uint64) total) / ((uint64) total * 2);

	if (pct == 0)
		return pstrdup("<1%");
	if (pct == 100 && size < total)
		return pstrdup(">99%");
	return psprintf(UINT64_FORMAT "%%", pct);
}

static int
CompareInt32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

static int
CompareScored(const void *a, const void *b)
{
	const Scored *x = a;
	const Scored *y = b;

	if (x->absz != y->absz)
		return x->absz > y->absz ? -1 : 1;
	return x->pos - y->pos;
}

static int
CompareNamed(const void *a, const void *b)
{
	const Named *x = a;
	const Named *y = b;

	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos - y->pos;
	return strcmp(x->category, y->category);
}

/* Whether a column's categories are named alone (text and enum types) */
static bool
Textual(Oid typid)
{
	char		category;
	bool		preferred;

	get_type_category_preferred(getBaseType(typid), &category, &preferred);
	return category == TYPCATEGORY_STRING || category == TYPCATEGORY_ENUM;
}


/* 22023 for a column named both as a feature and as a category */
static void
CheckNotFeatures(char **names, int ncat, const UsReportData *rd)
{
	for (int i = 0; i < ncat; i++)
		for (int f = 0; f < rd->nfeatures; f++)
			if (strcmp(names[i], rd->rel->features[f].name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is named both as a feature and as a category",
								names[i]),
						 errhint("Name a categorical column once, among the features.")));
}

/* Append a category to the candidates when the rules let a sentence name it */
static void
Consider(Named *cands, int *ncands, int64 n, int64 size, double lift, int pos,
		 const char *column, const char *category, bool textual)
{
	if (category == NULL || n < 5 || (double) n / (double) size < 0.05 || !(lift >= 1.2))
		return;
	cands[*ncands].lift = lift;
	cands[*ncands].n = n;
	cands[*ncands].pos = pos;
	cands[*ncands].category = category;
	cands[*ncands].label = textual ? pstrdup(category) :
		psprintf("%s = %s", Words(column), category);
	(*ncands)++;
}

/* What the sentences are built from */
typedef struct Segments
{
	UsProfile  *p;
	int			ncatcols;
	char	  **catnames;
	UsCrosstab **xts;			/* one per category column */
	bool	   *cattextual;		/* whether its categories are named alone */
	int			maxcands;
	int			top;
} Segments;

/* The numeric features of cluster c that may be named, largest |z| first */
static int
ScoreFeatures(const Segments *sg, int c, Scored *scored)
{
	const UsReportData *rd = sg->p->rd;
	int			nscored = 0;

	for (int f = 0; f < rd->nfeatures; f++)
	{
		const UsFeature *feat = &rd->rel->features[f];
		double		z;

		if (feat->onehot)
			continue;
		z = ReportZ(sg->p, c, feat->first);
		if (!isnan(z) && fabs(z) >= 0.1)
		{
			scored[nscored].absz = fabs(z);
			scored[nscored].z = z;
			scored[nscored].pos = f;
			scored[nscored].feature = feat->name;
			nscored++;
		}
	}
	qsort(scored, nscored, sizeof(Scored), CompareScored);
	return nscored;
}

/* The categories of cluster c that may be named, largest lift first */
static int
NameCategories(const Segments *sg, int c, Named *cands)
{
	const UsProfile *p = sg->p;
	const UsReportData *rd = p->rd;
	int64		size = rd->sizes[c];
	int			ncands = 0;

	/* the categorical features */
	for (int f = 0; f < rd->nfeatures; f++)
	{
		const UsFeature *feat = &rd->rel->features[f];

		for (int j = feat->first; feat->onehot && j < feat->first + feat->ncols; j++)
		{
			double		all = p->stats.sum[ReportCell(p, rd->k, j)];
			int64		n = (int64) p->stats.sum[ReportCell(p, c, j)];

			if (all == 0)
				continue;
			Consider(cands, &ncands, n, size,
					 ((double) n / (double) size) / (all / (double) rd->total), f,
					 feat->name, rd->rel->cols[j].category, Textual(feat->typid));
		}
	}
	/* the category columns */
	for (int q = 0; q < sg->ncatcols; q++)
	{
		UsCrosstab *xt = sg->xts[q];
		int32	   *hit = bsearch(&rd->clusters[c], xt->clusters, xt->k, sizeof(int32),
								  CompareInt32);
		int			xc;

		/* the crosstab's own snapshot may have missed a cluster */
		if (hit == NULL)
			continue;
		xc = (int) (hit - xt->clusters);
		for (int k = 0; k < xt->ncat; k++)
		{
			int64		n = xt->counts[(Size) xc * xt->ncat + k];
			double		lift = ((double) n / (double) xt->sizes[xc]) /
				((double) xt->catcounts[k] / (double) xt->total);

			Consider(cands, &ncands, n, xt->sizes[xc], lift, rd->nfeatures + q,
					 sg->catnames[q], xt->cats[k], sg->cattextual[q]);
		}
	}
	qsort(cands, ncands, sizeof(Named), CompareNamed);
	return ncands;
}

/* The sentence of cluster c */
static char *
Sentence(const Segments *sg, int c)
{
	const UsReportData *rd = sg->p->rd;
	Scored	   *scored = palloc(sizeof(Scored) * Max(rd->nfeatures, 1));
	Named	   *cands = palloc(sizeof(Named) * Max(sg->maxcands, 1));
	int			nscored = ScoreFeatures(sg, c, scored);
	int			ncands = NameCategories(sg, c, cands);
	int64		size = rd->sizes[c];
	StringInfoData s;

	initStringInfo(&s);
	if (rd->clusters[c] == -1)
		appendStringInfoString(&s, "noise, ");
	appendStringInfo(&s, "%s %s (%s): ", Grouped(psprintf(INT64_FORMAT, size)),
					 size == 1 ? "user" : "users", Percent(size, rd->total));
	if (nscored == 0)
		appendStringInfoString(&s, "close to average on every feature");
	for (int i = 0; i < Min(nscored, sg->top); i++)
		appendStringInfo(&s, "%s%s %c%s sd", i > 0 ? ", " : "", Words(scored[i].feature),
						 scored[i].z < 0 ? '-' : '+', OneDecimal(scored[i].absz));
	for (int i = 0; i < Min(ncands, sg->top); i++)
		appendStringInfo(&s, "%s%s x%s", i > 0 ? ", " : "; ", cands[i].label,
						 OneDecimal(cands[i].lift));
	pfree(scored);
	pfree(cands);
	return s.data;
}

/*
 * userseg_describe_segments(source regclass, label_column name, features text[],
 *							 categories text[] DEFAULT NULL, top int DEFAULT 3)
 *	 RETURNS TABLE(cluster, n, share, description)
 */
Datum
userseg_describe_segments(PG_FUNCTION_ARGS)
{
	Tuplestorestate *store;
	TupleDesc	desc;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	Oid			relid;
	const char *label;
	Segments	sg;
	UsReportData *rd;

	/* parse, check */
	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	ReportArgNotNull(fcinfo, 4, "top");
	relid = PG_GETARG_OID(0);
	label = NameStr(*PG_GETARG_NAME(1));
	sg.top = PG_GETARG_INT32(4);
	if (sg.top < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top must be at least 1"),
				 errdetail("top is %d.", sg.top),
				 errhint("top is how many features and how many categories each sentence names.")));
	store = UsMaterializeResult(fcinfo, &desc);
	runcxt = UsRunContextCreate("userseg describe segments");
	oldcxt = MemoryContextSwitchTo(runcxt);
	sg.catnames = UsColumnNames(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3), "categories",
								"category column", false, &sg.ncatcols);

	/* prepare, run: the profile, then a crosstab per category column */
	sg.p = ReportProfile(relid, label, PG_GETARG_ARRAYTYPE_P(2));
	rd = sg.p->rd;
	CheckNotFeatures(sg.catnames, sg.ncatcols, rd);
	sg.xts = palloc0(sizeof(UsCrosstab *) * Max(sg.ncatcols, 1));
	sg.cattextual = palloc0(sizeof(bool) * Max(sg.ncatcols, 1));
	sg.maxcands = rd->rel->d;
	for (int q = 0; q < sg.ncatcols; q++)
	{
		sg.xts[q] = UsReportCrosstab(relid, label, sg.catnames[q]);
		sg.cattextual[q] = Textual(get_atttype(relid, get_attnum(relid, sg.catnames[q])));
		sg.maxcands += sg.xts[q]->ncat;
	}

	/* report: one sentence per cluster */
	for (int c = 0; c < rd->k; c++)
	{
		Datum		values[SEGMENT_COLS];
		bool		isnull[SEGMENT_COLS] = {0};

		CHECK_FOR_INTERRUPTS();
		values[0] = Int32GetDatum(rd->clusters[c]);
		values[1] = Int64GetDatum(rd->sizes[c]);
		values[2] = Float8GetDatum((double) rd->sizes[c] / (double) rd->total);
		values[3] = CStringGetTextDatum(Sentence(&sg, c));
		tuplestore_putvalues(store, desc, values, isnull);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(runcxt);
	return (Datum) 0;
}
