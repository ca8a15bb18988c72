/*-------------------------------------------------------------------------
 *
 * usplot.h
 *	  What the plots (plot.c) and the HTML report (htmlpage.c) share: the rows of a
 *	  plot read once, and each figure drawn from them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef USPLOT_H
#define USPLOT_H

#include "usreport.h"

/* Marks a plot draws at most by default, and at most whatever it is asked */
#define PLOT_DEFAULT_POINTS 5000
#define PLOT_MAX_POINTS 100000
/* Rows of the silhouette plot by default, and at most (its cost is quadratic) */
#define PLOT_DEFAULT_SILHOUETTE 2000
#define PLOT_MAX_SILHOUETTE 10000
/* Segments a plot shows at most (22023 above: a legend entry and a colour each) */
#define PLOT_MAX_SEGMENTS 50
/* Categories of a mix plot: the most frequent ones, the others as one bar */
#define PLOT_MAX_CATEGORIES 20

/*
 * A plot's rows: the report read (UsReportRead) and, from it, the labelled rows
 * whose features are all present, z-scored (StandardScaler), in matrix m; label[i]
 * is row i's segment number and group[i] its index in rd->clusters (only the read
 * without want_rows: the heatmap and the box plots need no more)
 */
typedef struct PlotRows
{
	UsReportData *rd;
	const char *source;			/* the relation's name, for titles */
	const char *label_column;
	UsMatrix	m;				/* scaled */
	int64	   *src;			/* m.n: each row's row in rd->rel (original units) */
	int32	   *label;
	int32	   *group;
	int			ncols;			/* encoded columns of the features */
	bool		scratch;		/* the one figure drawn may overwrite m */
} PlotRows;

extern PlotRows *PlotRead(Oid relid, const char *label_column, ArrayType *features,
						  bool want_rows);

/* NOTICE when there is one segment only (the plots draw it; scores need two) */
extern void PlotNoticeSegments(const PlotRows *pr);

/* The figures; each is a whole SVG document in the current memory context */
extern char *PlotScatterSvg(const PlotRows *pr, const char *x, const char *y,
							int max_points, int seed);
extern char *Plot3dSvg(const PlotRows *pr, int max_points, int seed);
extern char *PlotHeatmapSvg(const PlotRows *pr, bool skip_categorical);
extern char *PlotBoxSvg(const PlotRows *pr, bool skip_categorical);
extern char *PlotSilhouetteSvg(const PlotRows *pr, int sample_size, int seed,
							   double *average, int64 *rows);
extern char *PlotMixSvg(Oid relid, const char *label_column, const char *category);

/* 22023 unless lo <= v <= hi, naming the argument */
extern void PlotCheckRange(int v, int lo, int hi, const char *name);

/* The text of an SVG document as a text Datum */
extern Datum PlotText(const char *svg);

/* "12,345" */
extern char *PlotCount(int64 n);

#endif							/* USPLOT_H */
