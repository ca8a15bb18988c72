/*-------------------------------------------------------------------------
 *
 * htmlpage.c
 *	  userseg_report: the whole story of a segmentation as one self-contained HTML
 *	  page.
 *
 * The page needs nothing but itself: inline CSS, the plots as inline SVG, no
 * script, no font, image or style sheet from elsewhere, so it opens offline and can
 * be mailed or stored as is.  It holds, in order: the sizes and the sentence of each
 * segment (userseg_describe_segments), the scores (silhouette, Calinski-Harabasz,
 * Davies-Bouldin on the z-scored features, as the sweep scores a labelling), the
 * scatter and the 3-D view of the principal components, the profile heatmap, the
 * mix of each category column, the box plots and the silhouette plot.  The relation
 * is read once for every figure but the sentences and the mixes (one query each).
 * Every text from the data is escaped; the figures are those of the plot functions
 * (plot.c) with the same arguments.
 *
 *-------------------------------------------------------------------------
 */
#include "usplot.h"
#include "ussweep.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(userseg_report);

static void
HtmlEscaped(StringInfo s, const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
	{
		switch (*p)
		{
			case '&':
				appendStringInfoString(s, "&amp;");
				break;
			case '<':
				appendStringInfoString(s, "&lt;");
				break;
			case '>':
				appendStringInfoString(s, "&gt;");
				break;
			case '"':
				appendStringInfoString(s, "&quot;");
				break;
			case '\'':
				appendStringInfoString(s, "&#39;");
				break;
			default:
				appendStringInfoChar(s, *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r' ?
									 '?' : (char) *p);
		}
	}
}

static const char *const page_style =
"body { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; margin: 24px auto; "
"max-width: 1100px; color: #222; background: #fff; }\n"
"h1 { font-size: 24px; margin-bottom: 4px; }\n"
"h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }\n"
"p.lead { color: #555; margin-top: 0; }\n"
"table { border-collapse: collapse; margin: 8px 0; }\n"
"th, td { border-bottom: 1px solid #e4e4e4; padding: 6px 10px; text-align: left; "
"vertical-align: top; font-size: 14px; }\n"
"td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
"td:first-child { white-space: nowrap; }\n"
"span.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; "
"vertical-align: -1px; }\n"
"figure { margin: 12px 0; overflow-x: auto; }\n"
"figcaption { font-size: 13px; color: #555; max-width: 900px; }\n"
"p.note { color: #555; font-size: 14px; }\n"
"footer { margin-top: 40px; font-size: 12px; color: #777; }\n";

/* A figure: the SVG and its <desc> again as the caption */
static void
Figure(StringInfo s, const char *id, const char *svg)
{
	const char *d0 = strstr(svg, "<desc>");
	const char *d1 = strstr(svg, "</desc>");

	appendStringInfo(s, "<figure id=\"%s\">\n%s", id, svg);
	if (d0 && d1 && d1 > d0)
		appendStringInfo(s, "<figcaption>%.*s</figcaption>\n", (int) (d1 - d0 - 6), d0 + 6);
	appendStringInfoString(s, "</figure>\n");
}

static void
Score(StringInfo s, const char *name, double v, const char *meaning)
{
	appendStringInfo(s, "<tr><td>%s</td><td class=\"num\">", name);
	if (isfinite(v))
		appendStringInfo(s, "%.4f", v);
	else
		appendStringInfoString(s, "not defined");
	appendStringInfo(s, "</td><td>%s</td></tr>\n", meaning);
}

/*
 * userseg_report(source regclass, label_column name, features text[],
 *				  categories text[], max_points int, sample_size int, seed int)
 *	 RETURNS text
 */
Datum
userseg_report(PG_FUNCTION_ARGS)
{
	Oid			relid;
	const char *label_column;
	int			max_points;
	int			sample_size;
	int			seed;
	char	  **cats;
	int			ncats;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	PlotRows   *pr;
	UsReportData *rd;
	StringInfoData page;
	UsQueryRows *q;
	const char *schema;
	int32	   *labels;
	int		   *compact;
	int			nseg = 0;
	SweepScores sc;
	char	   *svg;
	Datum		result;

	/* parse, check */
	ReportArgNotNull(fcinfo, 0, "source");
	ReportArgNotNull(fcinfo, 1, "label_column");
	ReportArgNotNull(fcinfo, 2, "features");
	ReportArgNotNull(fcinfo, 4, "max_points");
	ReportArgNotNull(fcinfo, 5, "sample_size");
	ReportArgNotNull(fcinfo, 6, "seed");
	relid = PG_GETARG_OID(0);
	label_column = NameStr(*PG_GETARG_NAME(1));
	max_points = PG_GETARG_INT32(4);
	sample_size = PG_GETARG_INT32(5);
	seed = PG_GETARG_INT32(6);
	PlotCheckRange(max_points, 1, PLOT_MAX_POINTS, "max_points");
	PlotCheckRange(sample_size, 3, PLOT_MAX_SILHOUETTE, "sample_size");
	cats = UsColumnNames(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3), "categories",
						 "category column", false, &ncats);

	runcxt = UsRunContextCreate("userseg report");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the rows, once */
	pr = PlotRead(relid, label_column, PG_GETARG_ARRAYTYPE_P(2), true);
	rd = pr->rd;
	PlotNoticeSegments(pr);
	schema = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));

	initStringInfo(&page);
	appendStringInfoString(&page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	appendStringInfoString(&page, "Segments of ");
	HtmlEscaped(&page, pr->source);
	appendStringInfoString(&page, " by ");
	HtmlEscaped(&page, label_column);
	appendStringInfo(&page, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Segments of ",
					 page_style);
	HtmlEscaped(&page, pr->source);
	appendStringInfoString(&page, " by ");
	HtmlEscaped(&page, label_column);
	appendStringInfo(&page, "</h1>\n<p class=\"lead\">%s rows, %s of them labelled, in %d segment%s; "
					 "features: ",
					 PlotCount(rd->nrows), PlotCount(rd->total), rd->k, rd->k == 1 ? "" : "s");
	for (int f = 0; f < rd->nfeatures; f++)
	{
		if (f > 0)
			appendStringInfoString(&page, ", ");
		HtmlEscaped(&page, rd->rel->features[f].name);
	}
	appendStringInfoString(&page, ".</p>\n");

	/* sizes and sentences */
	{
		Oid			types[4] = {REGCLASSOID, NAMEOID, TEXTARRAYOID, TEXTARRAYOID};
		Datum		values[4] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2),
		PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3)};

		q = UsQueryText(psprintf("SELECT cluster, n, share, description FROM "
								 "%s.userseg_describe_segments($1, $2, $3%s)", schema,
								 PG_ARGISNULL(3) ? "" : ", $4"),
						PG_ARGISNULL(3) ? 3 : 4, types, values);
	}
	appendStringInfoString(&page, "<section id=\"sizes\">\n<h2>Sizes and descriptions</h2>\n"
						   "<table>\n<tr><th>segment</th><th>rows</th><th>share</th>"
						   "<th>description</th></tr>\n");
	for (int64 r = 0; r < q->n; r++)
	{
		int32		c;
		char		name[32];

		if (!q->cells[r * 4] || !q->cells[r * 4 + 1] || !q->cells[r * 4 + 2])
			continue;			/* the sentences' rows have no NULL figures */
		c = (int32) strtol(q->cells[r * 4], NULL, 10);

		UsSvgSegmentName(c, name);
		appendStringInfo(&page, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>%s</td>"
						 "<td class=\"num\">%s</td><td class=\"num\">%.1f%%</td><td>",
						 UsSegmentColor(c), name, PlotCount(strtoll(q->cells[r * 4 + 1], NULL, 10)),
						 100 * strtod(q->cells[r * 4 + 2], NULL));
		HtmlEscaped(&page, q->cells[r * 4 + 3] ? q->cells[r * 4 + 3] : "");
		appendStringInfoString(&page, "</td></tr>\n");
	}
	appendStringInfoString(&page, "</table>\n</section>\n");

	/* scores, as the sweep and the comparison score a labelling */
	labels = UsAllocChecked(sizeof(int32) * pr->m.n, "the labels");
	compact = palloc(sizeof(int) * rd->k);
	for (int c = 0; c < rd->k; c++)
		compact[c] = rd->clusters[c] == US_NOISE ? -1 : nseg++;
	for (int64 i = 0; i < pr->m.n; i++)
		labels[i] = compact[pr->group[i]];
	SweepScore(&pr->m, labels, sample_size, seed, &sc);
	appendStringInfoString(&page, "<section id=\"scores\">\n<h2>Scores</h2>\n<table>\n"
						   "<tr><th>score</th><th>value</th><th>reading</th></tr>\n");
	Score(&page, "silhouette", sc.scored ? sc.silhouette : NAN,
		  "from -1 to 1, higher is better: rows are closer to their own segment than to the next");
	Score(&page, "Calinski-Harabasz", sc.scored ? sc.calinski_harabasz : NAN,
		  "higher is better: spread between segments over spread within");
	Score(&page, "Davies-Bouldin", sc.scored ? sc.davies_bouldin : NAN,
		  "from 0, lower is better: each segment's similarity to its most similar one");
	appendStringInfo(&page, "</table>\n<p class=\"note\">On the %s labelled rows with every feature "
					 "present, z-scored; noise (-1) left out%s.</p>\n</section>\n",
					 PlotCount(pr->m.n),
					 sc.sampled ? psprintf("; the silhouette on a sample of %s rows (seed %d)",
										   PlotCount(sc.sample_rows), seed) : "");

	/* the projections */
	appendStringInfoString(&page, "<section id=\"projection\">\n<h2>Projection</h2>\n");
	if (pr->m.d >= 2)
		Figure(&page, "scatter", PlotScatterSvg(pr, NULL, NULL, max_points, seed));
	if (pr->m.d >= 3)
		Figure(&page, "view3d", Plot3dSvg(pr, max_points, seed));
	else
		appendStringInfoString(&page, "<p class=\"note\">The 3-D view needs three encoded columns.</p>\n");
	appendStringInfoString(&page, "</section>\n");

	/* profile, mixes, distributions */
	svg = PlotHeatmapSvg(pr, true);
	if (svg)
	{
		appendStringInfoString(&page, "<section id=\"profile\">\n<h2>Profile</h2>\n");
		Figure(&page, "heatmap", svg);
		appendStringInfoString(&page, "</section>\n");
	}
	if (ncats > 0)
	{
		appendStringInfoString(&page, "<section id=\"mix\">\n<h2>Category mix</h2>\n");
		for (int i = 0; i < ncats; i++)
			Figure(&page, psprintf("mix-%d", i + 1), PlotMixSvg(relid, label_column, cats[i]));
		appendStringInfoString(&page, "</section>\n");
	}
	svg = PlotBoxSvg(pr, true);
	if (svg)
	{
		appendStringInfoString(&page, "<section id=\"box\">\n<h2>Distributions</h2>\n");
		Figure(&page, "boxes", svg);
		appendStringInfoString(&page, "</section>\n");
	}

	/* silhouettes */
	appendStringInfoString(&page, "<section id=\"silhouette\">\n<h2>Silhouettes</h2>\n");
	if (nseg >= 2)
	{
		double		average;
		int64		rows;

		Figure(&page, "silhouettes", PlotSilhouetteSvg(pr, sample_size, seed, &average, &rows));
	}
	else
		appendStringInfoString(&page, "<p class=\"note\">Silhouettes need two segments other than noise.</p>\n");
	appendStringInfoString(&page, "</section>\n");

	appendStringInfoString(&page, "<footer>Written by userseg_report. The page is self-contained: "
						   "inline CSS and SVG, no script, nothing fetched.</footer>\n</body>\n</html>\n");

	MemoryContextSwitchTo(oldcxt);
	result = PlotText(page.data);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(result);
}
