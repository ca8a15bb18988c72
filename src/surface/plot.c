/*-------------------------------------------------------------------------
 *
 * plot.c
 *	  The plots as SVG text: userseg_plot_scatter, userseg_plot_3d,
 *	  userseg_plot_heatmap, userseg_plot_mix, userseg_plot_box,
 *	  userseg_plot_silhouette, userseg_plot_sweep and userseg_plot_compare.
 *
 * Each reads a relation and an integer label column as the profiles do (the report
 * reader, reportread.c: the same types, one-hot encoding and errors), computes its
 * figures with the numeric core and draws them with chart_core.c.  Figures:
 *	- scatter and 3-D view: the labelled rows with every feature present, z-scored
 *	  (StandardScaler), projected on their first two or three principal components
 *	  (PCA with the full SVD, pcadata.c), or two named numeric features in their own
 *	  units; each segment's centroid is the mean of all its rows' coordinates; at most
 *	  max_points points are drawn, a random sample seeded with seed when there are
 *	  more (the plot's <desc> says which);
 *	- heatmap: z of each numeric feature's mean per segment, as userseg_profile;
 *	- mix: the share and lift of each category per segment, as userseg_crosstab (the
 *	  PLOT_MAX_CATEGORIES - 1 most frequent categories, the others as one bar);
 *	- box: userseg_profile_box's statistics;
 *	- silhouette: scikit-learn's silhouette_samples of at most sample_size rows (a
 *	  seeded sample above that) of the z-scored features, noise left out;
 *	- sweep and compare: the rows of userseg_kmeans_sweep and userseg_compare.
 * Segments keep one colour everywhere (svg_core.c).  One segment only is drawn, with
 * a NOTICE; the silhouette needs two (22023).
 *
 *-------------------------------------------------------------------------
 */
#include "usplot.h"
#include "ussweep.h"
#include "uspca.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_plot_scatter);
PG_FUNCTION_INFO_V1(userseg_plot_3d);
PG_FUNCTION_INFO_V1(userseg_plot_heatmap);
PG_FUNCTION_INFO_V1(userseg_plot_mix);
PG_FUNCTION_INFO_V1(userseg_plot_box);
PG_FUNCTION_INFO_V1(userseg_plot_silhouette);
PG_FUNCTION_INFO_V1(userseg_plot_sweep);
PG_FUNCTION_INFO_V1(userseg_plot_compare);

/* Most values of k a sweep plot shows */
#define PLOT_MAX_SWEEP 50
/* Largest k_min of a sweep plot */
#define PLOT_MAX_SWEEP_K 10000

static void CheckSegmentCount(int k, const char *label_column, const char *source);

void
PlotCheckRange(int v, int lo, int hi, const char *name)
{
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d, not %d", name, lo, hi, v),
				 errhint("Valid values of %s are %d to %d.", name, lo, hi)));
}

Datum
PlotText(const char *svg)
{
	return PointerGetDatum(cstring_to_text(svg));
}

char *
PlotCount(int64 n)
{
	char		digits[32];
	StringInfoData out;
	int			len;

	snprintf(digits, sizeof(digits), INT64_FORMAT, n);
	len = strlen(digits);
	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
			appendStringInfoChar(&out, ',');
		appendStringInfoChar(&out, digits[i]);
	}
	return out.data;
}

/* "a, b and c" of the features' names */
static char *
FeatureList(const UsReportData *rd)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int f = 0; f < rd->nfeatures; f++)
	{
		if (f > 0)
			appendStringInfoString(&s, f == rd->nfeatures - 1 ? " and " : ", ");
		appendStringInfoString(&s, rd->rel->features[f].name);
	}
	return s.data;
}

PlotRows *
PlotRead(Oid relid, const char *label_column, ArrayType *features, bool want_rows)
{
	PlotRows   *pr = palloc0(sizeof(PlotRows));
	UsReportData *rd;
	const UsFeature *last;
	int64		n = 0;
	int			d;
	UsCore		core;
	double	   *center;
	double	   *scale;

	rd = pr->rd = UsReportRead(relid, label_column, features);
	pr->source = get_rel_name(relid);
	pr->label_column = label_column;
	CheckSegmentCount(rd->k, label_column, pr->source);
	last = &rd->rel->features[rd->nfeatures - 1];
	d = pr->ncols = last->first + last->ncols;
	if (d == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the features of \"%s\" have no values to plot", pr->source),
				 errdetail("Every feature is categorical and NULL in every row.")));
	if (!want_rows)
		return pr;

	/* the labelled rows with every feature present: their numbers, then a copy */
	pr->src = UsAllocChecked(sizeof(int64) * Max(rd->rel->n, 1), "the rows to plot");
	for (int64 i = 0; i < rd->rel->n; i++)
	{
		const double *row = rd->rel->x + i * rd->rel->d;
		bool		ok = rd->group[i] >= 0;

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		for (int j = 0; ok && j < d; j++)
			ok = !isnan(row[j]);
		if (ok)
			pr->src[n++] = i;
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no labelled row of \"%s\" has every feature", pr->source),
				 errhint("Plots draw the labelled rows whose features are not NULL.")));
	pr->m.n = n;
	pr->m.d = d;
	pr->m.x = UsAllocMatrix(n, d, "the scaled rows to plot");
	pr->label = UsAllocChecked(sizeof(int32) * n, "the labels to plot");
	pr->group = UsAllocChecked(sizeof(int32) * n, "the labels to plot");
	for (int64 r = 0; r < n; r++)
	{
		int64		i = pr->src[r];

		if ((r + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(pr->m.x + r * d, rd->rel->x + i * rd->rel->d, sizeof(double) * d);
		pr->group[r] = rd->group[i];
		pr->label[r] = rd->clusters[rd->group[i]];
	}
	UsCoreContextInit(&core);
	center = UsAllocChecked(sizeof(double) * d, "the scaler");
	scale = UsAllocChecked(sizeof(double) * d, "the scaler");
	UsScaleFitApply(&core, &pr->m, US_SCALE_ZSCORE, center, scale);
	return pr;
}

/* 22023 for more segments than a plot shows */
static void
CheckSegmentCount(int k, const char *label_column, const char *source)
{
	if (k > PLOT_MAX_SEGMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" of \"%s\" holds %d segments, more than a plot shows",
						label_column, source, k),
				 errhint("Plots and reports show 1 to %d segments; plot a coarser labelling.",
						 PLOT_MAX_SEGMENTS)));
}

void
PlotNoticeSegments(const PlotRows *pr)
{
	if (pr->rd->k == 1)
		ereport(NOTICE,
				(errmsg("column \"%s\" of \"%s\" holds one segment only (%d)",
						pr->label_column, pr->source, pr->rd->clusters[0]),
				 errdetail("The plot shows it alone; comparing segments needs two or more.")));
}

/* The encoded column of a numeric feature named by argument what, or 22023 */
static int
FeatureColumn(const PlotRows *pr, const char *name, const char *what)
{
	const UsReportData *rd = pr->rd;

	for (int f = 0; f < rd->nfeatures; f++)
	{
		const UsFeature *feat = &rd->rel->features[f];

		if (strcmp(feat->name, name) != 0)
			continue;
		if (feat->onehot)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"%s\" is a categorical feature", what, name),
					 errhint("x and y name two numeric features among: %s.", FeatureList(rd))));
		return feat->first;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s \"%s\" is not one of the features", what, name),
			 errhint("x and y name two numeric features among: %s.", FeatureList(rd))));
	return -1;
}

/* The rows to draw: all, or a seeded sample of max_points; returns the count */
static int64
SampleRows(int64 n, int max_points, int seed, int64 **idx)
{
	int64		draw = Min(n, (int64) max_points);

	*idx = UsAllocChecked(sizeof(int64) * n, "the sample of rows");
	for (int64 i = 0; i < n; i++)
		(*idx)[i] = i;
	if (draw < n)
		UsSampleIndexes(*idx, n, draw, seed);
	return draw;
}

/* "all 1,234 rows are drawn" or "a random sample of 5,000 of the 1,234,567 rows ..." */
static void
AppendSampleNote(StringInfo s, int64 draw, int64 n, int seed)
{
	if (draw == n)
		appendStringInfo(s, " All %s rows are drawn.", PlotCount(n));
	else
		appendStringInfo(s, " Drawn: a random sample of %s of the %s rows (seed %d).",
						 PlotCount(draw), PlotCount(n), seed);
}

/*
 * Where points go: PCA of the scaled rows (the fit in pca), or given columns in
 * original units (cols); names[k] the axis titles, how the sentence saying which
 */
typedef struct Space
{
	int			k;
	const int  *cols;			/* k encoded columns, or NULL for the PCA */
	UsPcaResult pca;
} Space;

static void
SpaceFit(const PlotRows *pr, Space *sp, char **names, StringInfo how)
{
	int			k = sp->k;

	if (sp->cols)
	{
		for (int a = 0; a < k; a++)
			names[a] = pstrdup(pr->rd->rel->cols[sp->cols[a]].source);
		appendStringInfoString(how, "in their own units");
	}
	else
	{
		UsMatrix	copy = pr->m;

		/*
		 * The fit centres its matrix: on a copy, so that the scaled rows stay as they
		 * are, unless no figure reads them afterwards (scratch)
		 */
		UsPcaCheckComponents(k, pr->m.d);
		if (!pr->scratch)
		{
			copy.x = UsAllocMatrix(copy.n, copy.d, "the rows of the PCA");
			memcpy(copy.x, pr->m.x, UsMatrixBytes(copy.n, copy.d));
		}
		UsPcaRun(&copy, k, false, false, &sp->pca);
		if (!pr->scratch)
			pfree(copy.x);
		appendStringInfo(how, "on their first %d principal components (PCA with the full SVD of "
						 "the z-scored features %s; ", k, FeatureList(pr->rd));
		for (int a = 0; a < k; a++)
		{
			names[a] = psprintf("PC%d (%.1f%% of the variance)", a + 1,
								100 * sp->pca.explained_variance_ratio[a]);
			appendStringInfo(how, "%sPC%d %.1f%%", a > 0 ? ", " : "", a + 1,
							 100 * sp->pca.explained_variance_ratio[a]);
		}
		appendStringInfoString(how, " of the variance)");
	}
}

/* The coordinates of a row given in scaled units (x) or by its row in rd->rel (src) */
static void
SpacePlace(const PlotRows *pr, const Space *sp, const double *x, int64 src, double *out)
{
	if (sp->cols)
		for (int a = 0; a < sp->k; a++)
			out[a] = pr->rd->rel->x[src * pr->rd->rel->d + sp->cols[a]];
	else
		UsPcaTransform(sp->pca.mean, sp->pca.components, sp->pca.explained_variance,
					   sp->k, pr->m.d, false, x, out);
}

/* Draw a scatter (k = 2) or a 3-D view (k = 3) */
static char *
ScatterSvg(const PlotRows *pr, int k, const int *cols, int max_points, int seed)
{
	const UsReportData *rd = pr->rd;
	int64		n = pr->m.n;
	int			d = pr->m.d;
	StringInfoData how;
	StringInfoData desc;
	char	   *names[3] = {NULL, NULL, NULL};
	Space		space = {k, cols, {0}};
	double	   *sum = UsAllocChecked(sizeof(double) * rd->k * d, "the centroids");
	int64	   *count = UsAllocChecked(sizeof(int64) * rd->k, "the centroids");
	double	   *cxyz[3];
	double	   *pxyz[3];
	int64	   *idx;
	int64		draw;
	double	   *drawn;
	int32	   *plabel;
	UsScatterSpec sp;
	UsCore		core;
	char	   *title;

	/*
	 * Centroids over every row, noise left out: the mean of the coordinates is the
	 * coordinates of the mean (both maps are affine), so the rows are summed once in
	 * scaled units, or in the named columns
	 */
	for (int64 i = 0; i < n; i++)
	{
		double	   *g = sum + (Size) pr->group[i] * d;

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		count[pr->group[i]]++;
		if (cols)
			for (int a = 0; a < k; a++)
				g[a] += rd->rel->x[pr->src[i] * rd->rel->d + cols[a]];
		else
			for (int j = 0; j < d; j++)
				g[j] += pr->m.x[i * d + j];
	}
	/* the rows to draw, in scaled units, before the fit may centre the matrix */
	draw = SampleRows(n, max_points, seed, &idx);
	drawn = UsAllocChecked(sizeof(double) * Max(draw, 1) * d, "the points");
	for (int64 r = 0; r < draw; r++)
		memcpy(drawn + r * d, pr->m.x + idx[r] * d, sizeof(double) * d);

	initStringInfo(&how);
	SpaceFit(pr, &space, names, &how);

	for (int a = 0; a < 3; a++)
		cxyz[a] = UsAllocChecked(sizeof(double) * rd->k, "the centroids");
	for (int c = 0; c < rd->k; c++)
	{
		double		at[3] = {NAN, NAN, NAN};
		double	   *g = sum + (Size) c * d;

		if (rd->clusters[c] != US_NOISE && count[c] > 0)
		{
			for (int j = 0; j < (cols ? k : d); j++)
				g[j] /= count[c];
			if (cols)
				memcpy(at, g, sizeof(double) * k);
			else
				UsPcaTransform(space.pca.mean, space.pca.components,
							   space.pca.explained_variance, k, d, false, g, at);
		}
		for (int a = 0; a < 3; a++)
			cxyz[a][c] = at[a];
	}

	plabel = UsAllocChecked(sizeof(int32) * Max(draw, 1), "the points");
	sp.label = plabel;
	for (int a = 0; a < 3; a++)
		pxyz[a] = UsAllocChecked(sizeof(double) * Max(draw, 1), "the points");
	for (int64 r = 0; r < draw; r++)
	{
		double		at[3];

		plabel[r] = pr->label[idx[r]];
		SpacePlace(pr, &space, drawn + r * d, pr->src[idx[r]], at);
		for (int a = 0; a < k; a++)
			pxyz[a][r] = at[a];
	}
	sp.n = draw;
	sp.x = pxyz[0];
	sp.y = pxyz[1];
	sp.z = pxyz[2];
	sp.k = rd->k;
	sp.segments = rd->clusters;
	sp.cx = cxyz[0];
	sp.cy = cxyz[1];
	sp.cz = cxyz[2];
	sp.xtitle = names[0];
	sp.ytitle = names[1];
	sp.ztitle = k == 3 ? names[2] : "";

	initStringInfo(&desc);
	appendStringInfo(&desc, "%s of the %s labelled rows of %s with every feature present, %s, "
					 "coloured by %s; each segment's centroid (the mean of all its rows) "
					 "is a diamond; noise (-1) is grey.",
					 k == 3 ? "3-D view (fixed oblique projection)" : "Scatter",
					 PlotCount(n), pr->source, how.data, pr->label_column);
	AppendSampleNote(&desc, draw, n, seed);
	title = psprintf("%s of %s by %s", k == 3 ? "Segments in 3-D" : "Segments", pr->source,
					 pr->label_column);
	UsCoreContextInit(&core);
	return k == 3 ? UsChart3d(&core, &sp, title, desc.data) :
		UsChartScatter(&core, &sp, title, desc.data);
}

char *
PlotScatterSvg(const PlotRows *pr, const char *x, const char *y, int max_points, int seed)
{
	int			cols[2];

	if ((x == NULL) != (y == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("x and y must be given together"),
				 errhint("Name two numeric features, or neither for the first two principal components.")));
	if (x == NULL)
		return ScatterSvg(pr, 2, NULL, max_points, seed);
	cols[0] = FeatureColumn(pr, x, "x");
	cols[1] = FeatureColumn(pr, y, "y");
	return ScatterSvg(pr, 2, cols, max_points, seed);
}

char *
Plot3dSvg(const PlotRows *pr, int max_points, int seed)
{
	return ScatterSvg(pr, 3, NULL, max_points, seed);
}

/* The numeric features (indexes into rd->rel->features); 42804 for another unless skip */
static int
NumericFeatures(const UsReportData *rd, bool skip, int *out, const char *plot)
{
	int			m = 0;

	for (int f = 0; f < rd->nfeatures; f++)
	{
		if (!rd->rel->features[f].onehot)
			out[m++] = f;
		else if (!skip)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature \"%s\" of type %s is categorical",
							rd->rel->features[f].name,
							format_type_be(rd->rel->features[f].typid)),
					 errdetail("The %s plot shows numeric features.", plot),
					 errhint("Plot a categorical column with userseg_plot_mix.")));
	}
	return m;
}

char *
PlotHeatmapSvg(const PlotRows *pr, bool skip_categorical)
{
	const UsReportData *rd = pr->rd;
	int		   *fs = palloc(sizeof(int) * rd->nfeatures);
	int			m = NumericFeatures(rd, skip_categorical, fs, "heatmap");
	UsProfile	p;
	UsMatrix	all;
	UsCore		core;
	const char **names;
	double	   *z;
	StringInfoData desc;

	if (m == 0)
		return NULL;
	all.n = rd->rel->n;
	all.d = rd->rel->d;
	all.x = rd->rel->x;
	p.rd = (UsReportData *) rd;
	UsCoreContextInit(&core);
	if (UsGroupMoments(&core, &all, rd->group, rd->k, &p.stats) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The mean or standard deviation of a feature overflows double precision."),
				 errhint("Rescale the column, for example in a view.")));
	names = palloc(sizeof(char *) * m);
	z = UsAllocChecked(sizeof(double) * rd->k * m, "the heatmap");
	for (int c = 0; c < rd->k; c++)
		for (int j = 0; j < m; j++)
		{
			double		v = ReportZ(&p, c, rd->rel->features[fs[j]].first);

			z[c * m + j] = isfinite(v) ? v : NAN;
		}
	for (int j = 0; j < m; j++)
		names[j] = rd->rel->features[fs[j]].name;
	initStringInfo(&desc);
	appendStringInfo(&desc, "z of each feature's mean per segment of %s by %s: (segment mean - "
					 "overall mean) / overall sample standard deviation, over the %s labelled "
					 "rows (NULL values left out), as userseg_profile computes it; red above "
					 "the average, blue below, the value printed in each cell.",
					 pr->source, pr->label_column, PlotCount(rd->total));
	return UsChartHeatmap(&core, rd->k, rd->clusters, m, names, z,
						  psprintf("Profile of the segments of %s", pr->source), desc.data);
}

char *
PlotBoxSvg(const PlotRows *pr, bool skip_categorical)
{
	const UsReportData *rd = pr->rd;
	int		   *fs = palloc(sizeof(int) * rd->nfeatures);
	int			m = NumericFeatures(rd, skip_categorical, fs, "box");
	UsBox	   *all;
	UsBox	   *boxes;
	const char **names;
	UsCore		core;
	StringInfoData desc;

	if (m == 0)
		return NULL;
	all = UsBoxPerCluster(rd);
	boxes = UsAllocChecked(sizeof(UsBox) * rd->k * m, "the boxes");
	names = palloc(sizeof(char *) * m);
	for (int c = 0; c < rd->k; c++)
		for (int j = 0; j < m; j++)
			boxes[c * m + j] = all[(Size) c * rd->rel->d + rd->rel->features[fs[j]].first];
	for (int j = 0; j < m; j++)
		names[j] = rd->rel->features[fs[j]].name;
	initStringInfo(&desc);
	appendStringInfo(&desc, "Box plots per segment of %s by %s, from the statistics of "
					 "userseg_profile_box: the box from the first to the third quartile "
					 "(percentile_cont), the median, Tukey's whiskers at 1.5 IQR clipped to "
					 "the data, and a circle at the minimum or maximum when values lie beyond "
					 "a whisker; %s labelled rows.",
					 pr->source, pr->label_column, PlotCount(rd->total));
	UsCoreContextInit(&core);
	return UsChartBox(&core, rd->k, rd->clusters, m, names, boxes,
					  psprintf("Distributions per segment of %s", pr->source), desc.data);
}

char *
PlotSilhouetteSvg(const PlotRows *pr, int sample_size, int seed, double *average,
				  int64 *rows)
{
	int64		n = pr->m.n;
	int			d = pr->m.d;
	int64		kept = 0;
	int64	   *idx;
	int64		draw;
	UsMatrix	sub;
	int32	   *label;
	int32	   *compact;
	int32	   *segments;
	double	   *values;
	int			k;
	UsCore		core;
	StringInfoData desc;
	int			nseg = 0;

	for (int c = 0; c < pr->rd->k; c++)
		nseg += pr->rd->clusters[c] != US_NOISE;
	if (nseg < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the silhouette of \"%s\" by \"%s\" needs at least two segments, not %d",
						pr->source, pr->label_column, nseg),
				 errhint("Silhouettes compare each row's own segment with the nearest other one; noise (-1) is left out.")));

	/* the rows that are not noise, then a sample of them */
	idx = UsAllocChecked(sizeof(int64) * n, "the sample of rows");
	for (int64 i = 0; i < n; i++)
		if (pr->label[i] != US_NOISE)
			idx[kept++] = i;
	draw = Min(kept, (int64) sample_size);
	if (draw < kept)
		UsSampleIndexes(idx, kept, draw, seed);
	sub.n = draw;
	sub.d = d;
	sub.x = UsAllocMatrix(draw, d, "the rows of the silhouette");
	label = UsAllocChecked(sizeof(int32) * draw, "the rows of the silhouette");
	compact = UsAllocChecked(sizeof(int32) * draw, "the rows of the silhouette");
	for (int64 r = 0; r < draw; r++)
	{
		memcpy(sub.x + r * d, pr->m.x + idx[r] * d, sizeof(double) * d);
		label[r] = pr->label[idx[r]];
	}
	UsCoreContextInit(&core);
	k = UsCompactLabels(&core, label, draw, compact, &kept);
	if (k < 2 || k >= draw)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s rows of the silhouette hold %d segments", PlotCount(draw), k),
				 errdetail("A silhouette needs from 2 to the number of rows - 1 segments."),
				 errhint("Raise sample_size (at most %d).", PLOT_MAX_SILHOUETTE)));
	UsCheckDistanceRange(&sub, "userseg_plot_silhouette");
	UsCheckMemory(UsSilhouetteWorkBytes(draw, d, k), "the silhouette");
	values = UsAllocChecked(sizeof(double) * draw, "the silhouettes");
	*average = UsSilhouette(&core, &sub, compact, k, values);
	*rows = draw;

	segments = palloc(sizeof(int32) * k);
	nseg = 0;
	for (int c = 0; c < pr->rd->k; c++)
		for (int64 r = 0; r < draw; r++)
			if (label[r] == pr->rd->clusters[c])
			{
				segments[nseg++] = pr->rd->clusters[c];
				break;
			}

	initStringInfo(&desc);
	appendStringInfo(&desc, "Silhouette coefficient of each row (scikit-learn's "
					 "silhouette_samples, Euclidean, on the z-scored features %s) of %s by %s, "
					 "sorted within each segment; the dashed line is the average, %.4f; noise "
					 "(-1) is left out.",
					 FeatureList(pr->rd), pr->source, pr->label_column, *average);
	AppendSampleNote(&desc, draw, kept, seed);
	return UsChartSilhouette(&core, draw, values, label, nseg, segments, *average,
							 psprintf("Silhouettes of %s by %s", pr->source, pr->label_column),
							 desc.data);
}

typedef struct CatOrder
{
	int64		count;
	int			q;
} CatOrder;

static int
CompareCatOrder(const void *a, const void *b)
{
	const CatOrder *x = a;
	const CatOrder *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->q > y->q) - (x->q < y->q);
}

char *
PlotMixSvg(Oid relid, const char *label_column, const char *category)
{
	UsCrosstab *xt = UsReportCrosstab(relid, label_column, category);
	int			m = Min(xt->ncat, PLOT_MAX_CATEGORIES);
	int			shown = xt->ncat > PLOT_MAX_CATEGORIES ? PLOT_MAX_CATEGORIES - 1 : xt->ncat;
	CatOrder   *order = UsAllocChecked(sizeof(CatOrder) * Max(xt->ncat, 1), "the categories");
	int		   *slot = UsAllocChecked(sizeof(int) * Max(xt->ncat, 1), "the categories");
	const char **names = palloc(sizeof(char *) * Max(m, 1));
	double	   *share;
	double	   *lift;
	int64	   *catn = palloc0(sizeof(int64) * Max(m, 1));
	UsCore		core;
	StringInfoData desc;
	const char *source = get_rel_name(relid);

	CheckSegmentCount(xt->k, label_column, source);
	share = UsAllocChecked(sizeof(double) * Max(xt->k * m, 1), "the mix");
	lift = UsAllocChecked(sizeof(double) * Max(xt->k * m, 1), "the mix");
	if (xt->k == 1)
		ereport(NOTICE,
				(errmsg("column \"%s\" of \"%s\" holds one segment only (%d)",
						label_column, source, xt->clusters[0]),
				 errdetail("The plot shows it alone; comparing segments needs two or more.")));
	/* the most frequent categories keep their order; the others share the last slot */
	for (int q = 0; q < xt->ncat; q++)
	{
		order[q].count = xt->catcounts[q];
		order[q].q = q;
	}
	qsort(order, xt->ncat, sizeof(CatOrder), CompareCatOrder);
	for (int q = 0; q < xt->ncat; q++)
		slot[q] = shown;
	for (int r = 0; r < shown; r++)
		slot[order[r].q] = -1;
	for (int q = 0, s = 0; q < xt->ncat; q++)
		if (slot[q] < 0)
			slot[q] = s++;
	for (int q = 0; q < xt->ncat; q++)
	{
		if (slot[q] < shown)
			names[slot[q]] = xt->cats[q] ? xt->cats[q] : "NULL";
		catn[slot[q]] += xt->catcounts[q];
		for (int c = 0; c < xt->k; c++)
			share[c * m + slot[q]] += (double) xt->counts[(Size) c * xt->ncat + q];
	}
	if (shown < m)
		names[shown] = psprintf("(%d other categories)", xt->ncat - shown);
	for (int c = 0; c < xt->k; c++)
		for (int q = 0; q < m; q++)
		{
			double		overall = (double) catn[q] / (double) xt->total;

			share[c * m + q] /= (double) xt->sizes[c];
			lift[c * m + q] = share[c * m + q] / overall;
		}
	initStringInfo(&desc);
	appendStringInfo(&desc, "Share of each category of %s in each segment of %s by %s, as "
					 "userseg_crosstab computes it over the %s labelled rows; the lift (share in "
					 "the segment / share overall) is printed after each bar.",
					 category, source, label_column, PlotCount(xt->total));
	if (shown < m)
		appendStringInfo(&desc, " The %d most frequent of the %d categories are shown, the "
						 "others as one bar.", shown, xt->ncat);
	UsCoreContextInit(&core);
	return UsChartMix(&core, xt->k, xt->clusters, m, names, share, lift, category,
					  psprintf("%s per segment of %s", category, source), desc.data);
}

/* ---- the SQL functions ---- */

/* The run context of a plot, and back */
#define PLOT_BEGIN(name) \
	MemoryContext runcxt = UsRunContextCreate(name); \
	MemoryContext oldcxt = MemoryContextSwitchTo(runcxt)

static Datum
PlotEnd(MemoryContext runcxt, MemoryContext oldcxt, const char *svg)
{
	Datum		result;

	MemoryContextSwitchTo(oldcxt);
	result = PlotText(svg);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(result);
}

static PlotRows *
PlotArgsRead(FunctionCallInfo fcinfo)
{
	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	return NULL;
}

/*
 * userseg_plot_scatter(source regclass, label_column name, features text[],
 *						x text, y text, max_points int, seed int) RETURNS text
 */
Datum
userseg_plot_scatter(PG_FUNCTION_ARGS)
{
	int			max_points;
	int			seed;
	PlotRows   *pr;
	char	   *svg;

	PlotArgsRead(fcinfo);
	ReportArgNotNull(fcinfo, 5, "max_points");
	ReportArgNotNull(fcinfo, 6, "seed");
	max_points = PG_GETARG_INT32(5);
	seed = PG_GETARG_INT32(6);
	PlotCheckRange(max_points, 1, PLOT_MAX_POINTS, "max_points");
	{
		PLOT_BEGIN("userseg plot scatter");
		pr = PlotRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), true);
		pr->scratch = true;
		PlotNoticeSegments(pr);
		svg = PlotScatterSvg(pr, PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
							 PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)),
							 max_points, seed);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_3d(source, label_column, features, max_points, seed) RETURNS text */
Datum
userseg_plot_3d(PG_FUNCTION_ARGS)
{
	int			max_points;
	int			seed;
	PlotRows   *pr;
	char	   *svg;

	PlotArgsRead(fcinfo);
	ReportArgNotNull(fcinfo, 3, "max_points");
	ReportArgNotNull(fcinfo, 4, "seed");
	max_points = PG_GETARG_INT32(3);
	seed = PG_GETARG_INT32(4);
	PlotCheckRange(max_points, 1, PLOT_MAX_POINTS, "max_points");
	{
		PLOT_BEGIN("userseg plot 3d");
		pr = PlotRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), true);
		pr->scratch = true;
		PlotNoticeSegments(pr);
		svg = Plot3dSvg(pr, max_points, seed);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_heatmap(source, label_column, features) RETURNS text */
Datum
userseg_plot_heatmap(PG_FUNCTION_ARGS)
{
	PlotRows   *pr;
	char	   *svg;

	PlotArgsRead(fcinfo);
	{
		PLOT_BEGIN("userseg plot heatmap");
		pr = PlotRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), false);
		PlotNoticeSegments(pr);
		svg = PlotHeatmapSvg(pr, false);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_box(source, label_column, features) RETURNS text */
Datum
userseg_plot_box(PG_FUNCTION_ARGS)
{
	PlotRows   *pr;
	char	   *svg;

	PlotArgsRead(fcinfo);
	{
		PLOT_BEGIN("userseg plot box");
		pr = PlotRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), false);
		PlotNoticeSegments(pr);
		svg = PlotBoxSvg(pr, false);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_silhouette(source, label_column, features, sample_size, seed) RETURNS text */
Datum
userseg_plot_silhouette(PG_FUNCTION_ARGS)
{
	int			sample_size;
	int			seed;
	PlotRows   *pr;
	char	   *svg;
	double		average;
	int64		rows;

	PlotArgsRead(fcinfo);
	ReportArgNotNull(fcinfo, 3, "sample_size");
	ReportArgNotNull(fcinfo, 4, "seed");
	sample_size = PG_GETARG_INT32(3);
	seed = PG_GETARG_INT32(4);
	PlotCheckRange(sample_size, 3, PLOT_MAX_SILHOUETTE, "sample_size");
	{
		PLOT_BEGIN("userseg plot silhouette");
		pr = PlotRead(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)), PG_GETARG_ARRAYTYPE_P(2), true);
		svg = PlotSilhouetteSvg(pr, sample_size, seed, &average, &rows);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_mix(source, label_column, category name) RETURNS text */
Datum
userseg_plot_mix(PG_FUNCTION_ARGS)
{
	char	   *svg;

	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "category");
	{
		PLOT_BEGIN("userseg plot mix");
		svg = PlotMixSvg(PG_GETARG_OID(0), NameStr(*PG_GETARG_NAME(1)),
						 NameStr(*PG_GETARG_NAME(2)));
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* The extension's schema, quoted, for calling its own functions */
static const char *
OwnSchema(FunctionCallInfo fcinfo)
{
	return quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
}

static double
CellDouble(const UsQueryRows *q, int64 r, int c)
{
	const char *v = q->cells[r * q->ncols + c];

	return v ? strtod(v, NULL) : NAN;
}

/*
 * userseg_plot_sweep(source regclass, features text[], k_min int, k_max int, seed int)
 *	 RETURNS text
 */
Datum
userseg_plot_sweep(PG_FUNCTION_ARGS)
{
	int			k_min;
	int			k_max;
	Oid			types[5] = {REGCLASSOID, TEXTARRAYOID, INT4OID, INT4OID, INT4OID};
	Datum		values[5];
	UsQueryRows *q;
	int		   *ks;
	double	   *inertia;
	double	   *sil;
	int			elbow = -1;
	int			best = -1;
	UsCore		core;
	char	   *svg;
	char	   *desc;
	const char *source;

	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "features");
	ReportArgNotNull(fcinfo, 2, "k_min");
	ReportArgNotNull(fcinfo, 3, "k_max");
	ReportArgNotNull(fcinfo, 4, "seed");
	k_min = PG_GETARG_INT32(2);
	k_max = PG_GETARG_INT32(3);
	PlotCheckRange(k_min, 1, PLOT_MAX_SWEEP_K, "k_min");
	if (k_max < k_min || k_max - k_min >= PLOT_MAX_SWEEP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_max must be between k_min (%d) and k_min + %d, not %d",
						k_min, PLOT_MAX_SWEEP - 1, k_max),
				 errhint("A sweep plot shows 1 to %d values of k.", PLOT_MAX_SWEEP)));
	{
		PLOT_BEGIN("userseg plot sweep");
		for (int i = 0; i < 5; i++)
			values[i] = PG_GETARG_DATUM(i);
		q = UsQueryText(psprintf("SELECT k, inertia, silhouette, best, elbow FROM "
								 "%s.userseg_kmeans_sweep($1, $2, $3, $4, $5)",
								 OwnSchema(fcinfo)), 5, types, values);
		ks = palloc(sizeof(int) * Max(q->n, 1));
		inertia = palloc(sizeof(double) * Max(q->n, 1));
		sil = palloc(sizeof(double) * Max(q->n, 1));
		for (int64 r = 0; r < q->n; r++)
		{
			ks[r] = (int) CellDouble(q, r, 0);
			inertia[r] = CellDouble(q, r, 1);
			sil[r] = CellDouble(q, r, 2);
			if (q->cells[r * 5 + 3] && q->cells[r * 5 + 3][0] == 't')
				best = r;
			if (q->cells[r * 5 + 4] && q->cells[r * 5 + 4][0] == 't')
				elbow = r;
		}
		if (q->n == 0)
			elog(ERROR, "the sweep returned no rows, please report a bug");
		source = get_rel_name(PG_GETARG_OID(0));
		desc = psprintf("K-Means for each k from %d to %d on the z-scored features of %s "
						"(userseg_kmeans_sweep, seed %d): inertia with its elbow circled "
						"(kneedle), and the silhouette (exact up to 10,000 rows, on a seeded "
						"sample above) with the best k circled.",
						k_min, k_max, source, PG_GETARG_INT32(4));
		UsCoreContextInit(&core);
		svg = UsChartSweep(&core, (int) q->n, ks, inertia, sil, elbow, best,
						   psprintf("Choosing k for %s", source), desc);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}

/* userseg_plot_compare(source regclass, features text[], k int, seed int) RETURNS text */
Datum
userseg_plot_compare(PG_FUNCTION_ARGS)
{
	Oid			types[4] = {REGCLASSOID, TEXTARRAYOID, INT4OID, INT4OID};
	Datum		values[4];
	UsQueryRows *q;
	const char **names;
	double	   *sil;
	UsCore		core;
	char	   *svg;
	StringInfoData desc;
	const char *source;

	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "features");
	ReportArgNotNull(fcinfo, 2, "k");
	ReportArgNotNull(fcinfo, 3, "seed");
	{
		PLOT_BEGIN("userseg plot compare");
		for (int i = 0; i < 4; i++)
			values[i] = PG_GETARG_DATUM(i);
		q = UsQueryText(psprintf("SELECT algorithm, silhouette, n_clusters, noise, note FROM "
								 "%s.userseg_compare($1, $2, $3, $4)", OwnSchema(fcinfo)),
						4, types, values);
		names = palloc(sizeof(char *) * Max(q->n, 1));
		sil = palloc(sizeof(double) * Max(q->n, 1));
		source = get_rel_name(PG_GETARG_OID(0));
		initStringInfo(&desc);
		appendStringInfo(&desc, "Silhouette of each clustering algorithm of userseg_compare on "
						 "the z-scored features of %s (k = %d, seed %d, scikit-learn's defaults "
						 "otherwise); no bar where it is not defined:",
						 source, PG_GETARG_INT32(2), PG_GETARG_INT32(3));
		for (int64 r = 0; r < q->n; r++)
		{
			names[r] = q->cells[r * 5] ? q->cells[r * 5] : "";
			sil[r] = CellDouble(q, r, 1);
			appendStringInfo(&desc, " %s, %s clusters%s%s;", names[r],
							 q->cells[r * 5 + 2] ? q->cells[r * 5 + 2] : "no",
							 q->cells[r * 5 + 4] ? ", " : "",
							 q->cells[r * 5 + 4] ? q->cells[r * 5 + 4] : "");
		}
		UsCoreContextInit(&core);
		svg = UsChartBars(&core, (int) q->n, names, sil, "silhouette",
						  psprintf("Clustering algorithms on %s", source), desc.data);
		return PlotEnd(runcxt, oldcxt, svg);
	}
}
