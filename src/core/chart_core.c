/*-------------------------------------------------------------------------
 *
 * chart_core.c
 *	  The plots as SVG text, from figures the caller computed: scatter, 3-D view,
 *	  heatmap, category mix, box plots, silhouettes, the k sweep and bars.
 *
 * Each chart writes its marks through svg_core.c, counting them (class "mark" on
 * every data mark: a point, a centroid, a cell, a bar, a box), and returns the whole
 * document.  Marks that stand for a figure (a centroid's coordinates, a cell's z, a
 * bar's share and lift, a box's whiskers and quartiles, a row's silhouette) carry it
 * in data-value with 17 significant digits, so a reader (or a test) gets the number
 * back exactly; points do not, to keep a plot small.  The caller bounds the number of marks (a sample of points, a cap on
 * categories), so the text is O(marks) whatever the rows behind them.  Loops over
 * marks check interrupts every US_CHECK_EVERY marks.  Layout is fixed: a plotting
 * frame with room for tick labels on the left and the legend on the right.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "uscore.h"

#define LEFT 80
#define TOP 40
#define LEGEND_W 150

static void
MarkCheck(const UsCore *core, int64_t i)
{
	if ((i + 1) % US_CHECK_EVERY == 0)
		UsCheck(core);
}

/* The legend of the segments, at the right of the frame */
static void
SegmentLegend(UsSvg *s, double x, double y, int k, const int32_t *segments)
{
	const char **colors = UsAlloc(s->core, sizeof(char *) * (size_t) (k > 0 ? k : 1));
	const char **labels = UsAlloc(s->core, sizeof(char *) * (size_t) (k > 0 ? k : 1));
	char	   *names = UsAlloc(s->core, 32 * (size_t) (k > 0 ? k : 1));

	for (int c = 0; c < k; c++)
	{
		colors[c] = UsSegmentColor(segments[c]);
		UsSvgSegmentName(segments[c], names + 32 * c);
		labels[c] = names + 32 * c;
	}
	UsSvgLegend(s, x, y, k, colors, labels, "segment");
	UsFree(s->core, names);
	UsFree(s->core, labels);
	UsFree(s->core, colors);
}

static void
Range(const double *v, int64_t n, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (int64_t i = 0; i < n; i++)
	{
		if (!isfinite(v[i]))
			continue;
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

/* The points of the sample, noise first so segments are drawn over it */
static void
Points(UsSvg *s, const UsScatterSpec *sp, const double *px, const double *py,
	   const int64_t *order)
{
	for (int pass = 0; pass < 2; pass++)
	{
		for (int64_t r = 0; r < sp->n; r++)
		{
			int64_t		i = order ? order[r] : r;
			bool		noise = sp->label[i] == US_NOISE;

			MarkCheck(s->core, r);
			if (noise != (pass == 0))
				continue;
			UsSvgPrintf(s, "<circle class=\"mark\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.2\" "
						"fill=\"%s\" fill-opacity=\"%s\"/>\n",
						px[i], py[i], UsSegmentColor(sp->label[i]), noise ? "0.5" : "0.7");
			s->marks++;
		}
	}
}

/* A centroid: a cross in a white-edged diamond of the segment's colour */
static void
Centroid(UsSvg *s, double x, double y, int32_t segment, const double *at, int dims)
{
	UsSvgPrintf(s, "<path class=\"mark centroid\" d=\"M %.2f %.2f l 8 8 l -8 8 l -8 -8 z\" "
				"fill=\"%s\" stroke=\"#000000\" stroke-width=\"1.5\" data-value=\"",
				x, y - 8, UsSegmentColor(segment));
	for (int a = 0; a < dims; a++)
		UsSvgPrintf(s, "%s%.17g", a > 0 ? " " : "", at[a]);
	UsSvgRaw(s, "\"><title>centroid of ");
	UsSvgPrintf(s, "segment %d</title></path>\n", (int) segment);
	s->marks++;
}

char *
UsChartScatter(const UsCore *core, const UsScatterSpec *sp, const char *title,
			   const char *desc)
{
	UsSvg		s;
	UsFrame		f = {LEFT, TOP, 560, 460, 0, 0, 0, 0};
	double	   *px = UsAlloc(core, sizeof(double) * (size_t) (sp->n > 0 ? sp->n : 1));
	double	   *py = UsAlloc(core, sizeof(double) * (size_t) (sp->n > 0 ? sp->n : 1));
	double		lo;
	double		hi;

	UsSvgInit(core, &s, LEFT + 560 + 30 + LEGEND_W, TOP + 460 + 50);
	Range(sp->x, sp->n, &f.xlo, &f.xhi);
	Range(sp->y, sp->n, &f.ylo, &f.yhi);
	Range(sp->cx, sp->k, &lo, &hi);
	/* centroids lie within the points' hull: no widening needed for them */
	UsSvgAxes(&s, &f, sp->xtitle, sp->ytitle);
	for (int64_t i = 0; i < sp->n; i++)
	{
		px[i] = UsFrameX(&f, sp->x[i]);
		py[i] = UsFrameY(&f, sp->y[i]);
	}
	UsSvgRaw(&s, "<g class=\"points\">\n");
	Points(&s, sp, px, py, NULL);
	for (int c = 0; c < sp->k; c++)
		if (isfinite(sp->cx[c]) && isfinite(sp->cy[c]))
		{
			double		at[2] = {sp->cx[c], sp->cy[c]};

			Centroid(&s, UsFrameX(&f, sp->cx[c]), UsFrameY(&f, sp->cy[c]), sp->segments[c], at, 2);
		}
	UsSvgRaw(&s, "</g>\n");
	SegmentLegend(&s, f.x0 + f.w + 24, f.y0 + 10, sp->k, sp->segments);
	UsSvgText(&s, f.x0 + f.w + 24, f.y0 + 40 + 18 * sp->k, "start", "legend",
			  "\xE2\x97\x86 centroid");
	UsFree(core, px);
	UsFree(core, py);
	return UsSvgFinish(&s, title, desc);
}

/* ---- the 3-D view: a fixed oblique projection ---- */

#define AZIMUTH (35.0 * 3.14159265358979323846 / 180.0)
#define ELEVATION (25.0 * 3.14159265358979323846 / 180.0)

typedef struct View
{
	double		lo[3];
	double		hi[3];
	double		cx;				/* screen centre and scale */
	double		cy;
	double		scale;
} View;

/* Screen position and depth of (x, y, z) in data units: each axis to [-1, 1] */
static void
Project(const View *v, double x, double y, double z, double *sx, double *sy, double *depth)
{
	double		p[3] = {x, y, z};
	double		u;
	double		w;

	for (int a = 0; a < 3; a++)
		p[a] = v->hi[a] > v->lo[a] ? 2 * (p[a] - v->lo[a]) / (v->hi[a] - v->lo[a]) - 1 : 0;
	u = p[0] * cos(AZIMUTH) - p[1] * sin(AZIMUTH);
	w = p[0] * sin(AZIMUTH) + p[1] * cos(AZIMUTH);
	*sx = v->cx + v->scale * u;
	*sy = v->cy - v->scale * (p[2] * cos(ELEVATION) - w * sin(ELEVATION));
	if (depth)
		*depth = w * cos(ELEVATION) + p[2] * sin(ELEVATION);
}

typedef struct DepthArg
{
	const double *depth;
} DepthArg;

/* Far points first (larger depth is farther from the viewer) */
static int
CompareDepth(int64_t a, int64_t b, void *arg)
{
	const double *d = ((DepthArg *) arg)->depth;

	if (d[a] > d[b])
		return -1;
	if (d[a] < d[b])
		return 1;
	return (a > b) - (a < b);
}

static void
Axis3d(UsSvg *s, const View *v, int axis, const char *name)
{
	double		a[3] = {v->lo[0], v->lo[1], v->lo[2]};
	double		b[3] = {v->lo[0], v->lo[1], v->lo[2]};
	double		x0,
				y0,
				x1,
				y1;
	char		label[32];

	b[axis] = v->hi[axis];
	Project(v, a[0], a[1], a[2], &x0, &y0, NULL);
	Project(v, b[0], b[1], b[2], &x1, &y1, NULL);
	UsSvgPrintf(s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
				"stroke-width=\"1.5\"/>\n", x0, y0, x1, y1);
	UsSvgText(s, x1 + (x1 - x0) * 0.06, y1 + (y1 - y0) * 0.06 + 4, "middle", "axis-title", name);
	snprintf(label, sizeof(label), "%.3g", v->hi[axis]);
	if (axis == 2)
		UsSvgText(s, x1 + 8, y1 + 4, "start", "tick", label);
	else
		UsSvgText(s, x1, y1 + 16, "middle", "tick", label);
	if (axis == 0)
	{
		snprintf(label, sizeof(label), "%.3g", v->lo[axis]);
		UsSvgText(s, x0, y0 + 16, "middle", "tick", label);
	}
}

char *
UsChart3d(const UsCore *core, const UsScatterSpec *sp, const char *title, const char *desc)
{
	UsSvg		s;
	View		v;
	size_t		n1 = (size_t) (sp->n > 0 ? sp->n : 1);
	double	   *px = UsAlloc(core, sizeof(double) * n1);
	double	   *py = UsAlloc(core, sizeof(double) * n1);
	double	   *depth = UsAlloc(core, sizeof(double) * n1);
	int64_t    *order = UsAlloc(core, sizeof(int64_t) * n1);
	DepthArg	da = {depth};
	const double *cols[3] = {sp->x, sp->y, sp->z};
	const char *names[3] = {sp->xtitle, sp->ytitle, sp->ztitle};

	UsSvgInit(core, &s, 620 + LEGEND_W + 40, 580);
	for (int a = 0; a < 3; a++)
		Range(cols[a], sp->n, &v.lo[a], &v.hi[a]);
	v.cx = 330;
	v.cy = 310;
	v.scale = 150;

	/* the far edges of the box, light, then the three axes from the low corner */
	for (int a = 0; a < 3; a++)
	{
		for (int corner = 0; corner < 4; corner++)
		{
			double		p[3];
			double		q[3];
			double		x0,
						y0,
						x1,
						y1;
			int			o1 = (a + 1) % 3;
			int			o2 = (a + 2) % 3;

			p[a] = v.lo[a];
			q[a] = v.hi[a];
			p[o1] = q[o1] = (corner & 1) ? v.hi[o1] : v.lo[o1];
			p[o2] = q[o2] = (corner & 2) ? v.hi[o2] : v.lo[o2];
			if (corner == 0)
				continue;		/* the axis itself, drawn below */
			Project(&v, p[0], p[1], p[2], &x0, &y0, NULL);
			Project(&v, q[0], q[1], q[2], &x1, &y1, NULL);
			UsSvgPrintf(&s, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
						x0, y0, x1, y1);
		}
	}
	for (int a = 0; a < 3; a++)
		Axis3d(&s, &v, a, names[a]);

	for (int64_t i = 0; i < sp->n; i++)
	{
		MarkCheck(core, i);
		Project(&v, sp->x[i], sp->y[i], sp->z[i], &px[i], &py[i], &depth[i]);
		order[i] = i;
	}
	UsSortIndexes(core, order, sp->n, CompareDepth, &da);
	UsSvgRaw(&s, "<g class=\"points\">\n");
	Points(&s, sp, px, py, order);
	for (int c = 0; c < sp->k; c++)
	{
		double		x,
					y;
		double		at[3] = {sp->cx[c], sp->cy[c], sp->cz[c]};

		if (!isfinite(sp->cx[c]) || !isfinite(sp->cy[c]) || !isfinite(sp->cz[c]))
			continue;
		Project(&v, sp->cx[c], sp->cy[c], sp->cz[c], &x, &y, NULL);
		Centroid(&s, x, y, sp->segments[c], at, 3);
	}
	UsSvgRaw(&s, "</g>\n");
	SegmentLegend(&s, 620, TOP + 10, sp->k, sp->segments);
	UsSvgText(&s, 620, TOP + 40 + 18 * sp->k, "start", "legend", "\xE2\x97\x86 centroid");
	UsSvgText(&s, 620, TOP + 60 + 18 * sp->k, "start", "tick", "azimuth 35\xC2\xB0, elevation 25\xC2\xB0");
	UsFree(core, order);
	UsFree(core, depth);
	UsFree(core, px);
	UsFree(core, py);
	return UsSvgFinish(&s, title, desc);
}

/* ---- heatmap ---- */

char *
UsChartHeatmap(const UsCore *core, int k, const int32_t *segments, int m,
			   const char *const *features, const double *z, const char *title,
			   const char *desc)
{
	UsSvg		s;
	double		cw = 90;
	double		ch = 34;
	double		x0 = 110;
	double		y0 = 150;
	int			width = (int) (x0 + cw * m + 40 + LEGEND_W);
	const char *colors[5];
	const char *labels[5] = {"z \xE2\x89\xA4 -2", "z = -1", "z = 0", "z = +1", "z \xE2\x89\xA5 +2"};
	char		cbuf[5][8];

	UsSvgInit(core, &s, width < 520 ? 520 : width, (int) (y0 + ch * k + 70));
	/* feature names, slanted, above their column */
	for (int j = 0; j < m; j++)
	{
		UsSvgPrintf(&s, "<text class=\"axis-title\" text-anchor=\"start\" "
					"transform=\"translate(%.2f %.2f) rotate(-35)\">",
					x0 + cw * j + cw / 2 - 4, y0 - 8);
		UsSvgEscaped(&s, features[j]);
		UsSvgRaw(&s, "</text>\n");
	}
	for (int c = 0; c < k; c++)
	{
		char		name[32];

		UsSvgSegmentName(segments[c], name);
		UsSvgPrintf(&s, "<rect x=\"%.2f\" y=\"%.2f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
					8.0, y0 + ch * c + ch / 2 - 5, UsSegmentColor(segments[c]));
		UsSvgText(&s, 22, y0 + ch * c + ch / 2 + 4, "start", "axis-title", name);
		for (int j = 0; j < m; j++)
		{
			double		v = z[(size_t) c * m + j];
			char		col[8];
			char		text[32];

			UsSvgDiverging(isnan(v) ? NAN : v / 2, col);
			UsSvgPrintf(&s, "<rect class=\"mark\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
						"height=\"%.2f\" fill=\"%s\" stroke=\"#ffffff\" data-value=\"%.17g\"/>\n",
						x0 + cw * j, y0 + ch * c, cw, ch, col, v);
			s.marks++;
			if (isnan(v))
				snprintf(text, sizeof(text), "n/a");
			else
				snprintf(text, sizeof(text), "%+.2f", v);
			UsSvgPrintf(&s, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" class=\"value\"%s>%s</text>\n",
						x0 + cw * j + cw / 2, y0 + ch * c + ch / 2 + 4,
						!isnan(v) && fabs(v) > 1.5 ? " fill=\"#ffffff\" style=\"fill:#ffffff\"" : "",
						text);
		}
	}
	UsSvgText(&s, x0 + cw * m / 2, y0 + ch * k + 28, "middle", "axis-title",
			  "feature (z of the segment mean, in overall standard deviations)");
	for (int i = 0; i < 5; i++)
	{
		UsSvgDiverging((i - 2) / 2.0, cbuf[i]);
		colors[i] = cbuf[i];
	}
	UsSvgLegend(&s, x0 + cw * m + 30, y0, 5, colors, labels, "z");
	return UsSvgFinish(&s, title, desc);
}

/* ---- category mix: grouped horizontal bars ---- */

char *
UsChartMix(const UsCore *core, int k, const int32_t *segments, int m,
		   const char *const *categories, const double *share, const double *lift,
		   const char *category_title, const char *title, const char *desc)
{
	UsSvg		s;
	double		bh = 14;
	double		gap = 14;
	double		gh = bh * k + gap;
	UsFrame		f = {170, 50, 420, gh * m, 0, 0, 0, 1};
	double		ticks[US_SVG_MAX_TICKS];
	double		hi = 0;
	int			nt;

	for (size_t i = 0; i < (size_t) k * m; i++)
		if (share[i] > hi)
			hi = share[i];
	nt = UsNiceTicks(0, hi > 0 ? hi : 1, 5, ticks, US_SVG_MAX_TICKS, NULL);
	f.xhi = nt > 1 ? ticks[nt - 1] : 1;
	UsSvgInit(core, &s, (int) (f.x0 + f.w + 60 + LEGEND_W), (int) (f.y0 + f.h + 50));
	for (int i = 0; i < nt; i++)
	{
		double		x = UsFrameX(&f, ticks[i]);
		char		label[32];

		UsSvgPrintf(&s, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
					x, f.y0, x, f.y0 + f.h);
		snprintf(label, sizeof(label), "%.6g%%", ticks[i] * 100);
		UsSvgText(&s, x, f.y0 + f.h + 16, "middle", "tick", label);
	}
	UsSvgPrintf(&s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
				f.x0, f.y0, f.x0, f.y0 + f.h);
	UsSvgText(&s, f.x0 + f.w / 2, f.y0 + f.h + 36, "middle", "axis-title",
			  "share of the segment's rows (lift = share / overall share)");
	UsSvgText(&s, 12, f.y0 - 12, "start", "axis-title", category_title);
	for (int q = 0; q < m; q++)
	{
		double		gy = f.y0 + gh * q + gap / 2;

		UsSvgText(&s, f.x0 - 8, gy + bh * k / 2 + 4, "end", "axis-title", categories[q]);
		for (int c = 0; c < k; c++)
		{
			double		v = share[(size_t) c * m + q];
			double		l = lift[(size_t) c * m + q];
			double		w = UsFrameX(&f, v) - f.x0;
			char		text[48];

			UsSvgPrintf(&s, "<rect class=\"mark\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
						"fill=\"%s\" data-value=\"%.17g %.17g\"><title>segment %d: %.1f%%, "
						"lift %.2f</title></rect>\n",
						f.x0, gy + bh * c, w, bh - 2, UsSegmentColor(segments[c]), v, l,
						(int) segments[c], v * 100, l);
			s.marks++;
			snprintf(text, sizeof(text), "%.1f%% \xC3\x97%.2f", v * 100, l);
			UsSvgText(&s, f.x0 + w + 4, gy + bh * c + bh - 4, "start", "value", text);
		}
	}
	SegmentLegend(&s, f.x0 + f.w + 60, f.y0 + 10, k, segments);
	return UsSvgFinish(&s, title, desc);
}

/* ---- box plots: one panel per feature ---- */

#define PANEL_W 300
#define PANEL_H 260
#define PANELS_PER_ROW 3

char *
UsChartBox(const UsCore *core, int k, const int32_t *segments, int m,
		   const char *const *features, const UsBox *boxes, const char *title,
		   const char *desc)
{
	UsSvg		s;
	int			cols = m < PANELS_PER_ROW ? m : PANELS_PER_ROW;
	int			rows = (m + PANELS_PER_ROW - 1) / PANELS_PER_ROW;

	UsSvgInit(core, &s, cols * PANEL_W + 40 + LEGEND_W, rows * PANEL_H + 50);
	for (int j = 0; j < m; j++)
	{
		UsFrame		f;
		double		slot;

		f.x0 = (j % PANELS_PER_ROW) * PANEL_W + 75;
		f.y0 = (j / PANELS_PER_ROW) * PANEL_H + 60;
		f.w = PANEL_W - 95;
		f.h = PANEL_H - 70;
		f.xlo = 0;
		f.xhi = k;
		f.ylo = INFINITY;
		f.yhi = -INFINITY;
		for (int c = 0; c < k; c++)
		{
			const UsBox *b = &boxes[(size_t) c * m + j];

			if (b->n == 0)
				continue;
			if (b->min < f.ylo)
				f.ylo = b->min;
			if (b->max > f.yhi)
				f.yhi = b->max;
		}
		if (f.ylo > f.yhi)
			f.ylo = f.yhi = 0;
		UsSvgText(&s, f.x0 + f.w / 2, f.y0 - 12, "middle", "axis-title", features[j]);
		UsSvgAxisValues(&s, &f, "value", true);
		slot = f.w / (k > 0 ? k : 1);
		for (int c = 0; c < k; c++)
		{
			const UsBox *b = &boxes[(size_t) c * m + j];
			double		cx = f.x0 + slot * (c + 0.5);
			double		bw = slot * 0.6 > 40 ? 40 : slot * 0.6;
			double		y1 = UsFrameY(&f, b->q1);
			double		y3 = UsFrameY(&f, b->q3);

			if (b->n == 0)
				continue;
			/* whiskers, then the box, the median, and the outer values as dots */
			UsSvgPrintf(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
						cx, UsFrameY(&f, b->whisker_low), cx, y1);
			UsSvgPrintf(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
						cx, y3, cx, UsFrameY(&f, b->whisker_high));
			UsSvgPrintf(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
						cx - bw / 4, UsFrameY(&f, b->whisker_low), cx + bw / 4, UsFrameY(&f, b->whisker_low));
			UsSvgPrintf(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
						cx - bw / 4, UsFrameY(&f, b->whisker_high), cx + bw / 4, UsFrameY(&f, b->whisker_high));
			UsSvgPrintf(&s, "<rect class=\"mark\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
						"fill=\"%s\" fill-opacity=\"0.8\" stroke=\"#333\" "
						"data-value=\"%.17g %.17g %.17g %.17g %.17g\"><title>segment %d: "
						"median %.6g, Q1 %.6g, Q3 %.6g, %lld rows</title></rect>\n",
						cx - bw / 2, y3, bw, y1 - y3 > 0.5 ? y1 - y3 : 0.5,
						UsSegmentColor(segments[c]), b->whisker_low, b->q1, b->median, b->q3,
						b->whisker_high, (int) segments[c], b->median, b->q1,
						b->q3, (long long) b->n);
			s.marks++;
			UsSvgPrintf(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#000\" "
						"stroke-width=\"2\"/>\n",
						cx - bw / 2, UsFrameY(&f, b->median), cx + bw / 2, UsFrameY(&f, b->median));
			if (b->outliers_low > 0)
				UsSvgPrintf(&s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2\" fill=\"none\" stroke=\"#333\"/>\n",
							cx, UsFrameY(&f, b->min));
			if (b->outliers_high > 0)
				UsSvgPrintf(&s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2\" fill=\"none\" stroke=\"#333\"/>\n",
							cx, UsFrameY(&f, b->max));
			{
				char		name[16];

				snprintf(name, sizeof(name), "%d", (int) segments[c]);
				UsSvgText(&s, cx, f.y0 + f.h + 16, "middle", "tick", name);
			}
		}
		UsSvgText(&s, f.x0 + f.w / 2, f.y0 + f.h + 34, "middle", "axis-title", "segment");
	}
	SegmentLegend(&s, cols * PANEL_W + 20, 60, k, segments);
	UsSvgText(&s, cols * PANEL_W + 20, 90 + 18 * k, "start", "tick", "box: Q1 to Q3, median");
	UsSvgText(&s, cols * PANEL_W + 20, 106 + 18 * k, "start", "tick", "whiskers: 1.5 IQR");
	UsSvgText(&s, cols * PANEL_W + 20, 122 + 18 * k, "start", "tick", "circles: min, max beyond");
	return UsSvgFinish(&s, title, desc);
}

/* ---- silhouettes ---- */

typedef struct SilArg
{
	const double *v;
	const int32_t *rank;		/* each row's segment position */
} SilArg;

/* By segment, then by silhouette descending */
static int
CompareSil(int64_t a, int64_t b, void *arg)
{
	SilArg	   *s = arg;

	if (s->rank[a] != s->rank[b])
		return s->rank[a] < s->rank[b] ? -1 : 1;
	if (s->v[a] != s->v[b])
		return s->v[a] > s->v[b] ? -1 : 1;
	return (a > b) - (a < b);
}

char *
UsChartSilhouette(const UsCore *core, int64_t n, const double *values, const int32_t *label,
				  int k, const int32_t *segments, double average, const char *title,
				  const char *desc)
{
	UsSvg		s;
	UsFrame		f = {LEFT, TOP + 10, 520, 480, -0.2, 1, 0, 1};
	size_t		n1 = (size_t) (n > 0 ? n : 1);
	int64_t    *order = UsAlloc(core, sizeof(int64_t) * n1);
	int32_t    *rank = UsAlloc(core, sizeof(int32_t) * n1);
	SilArg		sa = {values, rank};
	double		lo;
	double		hi;
	double		gap = 6;
	double		bh;
	double		y;
	int			prev = -1;
	char		text[64];

	Range(values, n, &lo, &hi);
	f.xlo = lo < 0 ? lo : 0;
	f.xhi = hi > 0 ? hi : 0.1;
	for (int64_t i = 0; i < n; i++)
	{
		int			c = 0;

		while (c < k - 1 && segments[c] != label[i])
			c++;
		rank[i] = c;
		order[i] = i;
	}
	UsSortIndexes(core, order, n, CompareSil, &sa);
	UsSvgInit(core, &s, LEFT + 520 + 30 + LEGEND_W, TOP + 10 + 480 + 50);
	{
		/* the value axis runs along x: draw it with a unit y range */
		UsFrame		g = f;

		g.ylo = 0;
		g.yhi = 1;
		UsSvgAxisX(&s, &g, "silhouette coefficient", "rows, by segment, sorted");
		f.xlo = g.xlo;
		f.xhi = g.xhi;
	}
	bh = (f.h - gap * (k + 1)) / (n > 0 ? (double) n : 1);
	y = f.y0 + gap;
	UsSvgRaw(&s, "<g class=\"silhouettes\" shape-rendering=\"crispEdges\">\n");
	for (int64_t r = 0; r < n; r++)
	{
		int64_t		i = order[r];
		double		x0 = UsFrameX(&f, 0);
		double		x1 = UsFrameX(&f, values[i]);

		MarkCheck(core, r);
		if (rank[i] != prev)
		{
			if (prev >= 0)
				y += gap;
			prev = rank[i];
		}
		UsSvgPrintf(&s, "<rect class=\"mark\" x=\"%.2f\" y=\"%.3f\" width=\"%.2f\" height=\"%.3f\" "
					"fill=\"%s\" data-segment=\"%d\" data-value=\"%.17g\"/>\n",
					x1 < x0 ? x1 : x0, y, fabs(x1 - x0), bh < 0.35 ? 0.35 : bh,
					UsSegmentColor(label[i]), (int) label[i], values[i]);
		s.marks++;
		y += bh;
	}
	UsSvgRaw(&s, "</g>\n");
	if (isfinite(average))
	{
		double		x = UsFrameX(&f, average);

		UsSvgPrintf(&s, "<line class=\"average\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
					"stroke=\"#D55E00\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n",
					x, f.y0, x, f.y0 + f.h);
		snprintf(text, sizeof(text), "average %.3f", average);
		UsSvgText(&s, x + 4, f.y0 + 12, "start", "value", text);
	}
	SegmentLegend(&s, f.x0 + f.w + 24, f.y0 + 10, k, segments);
	UsSvgText(&s, f.x0 + f.w + 24, f.y0 + 40 + 18 * k, "start", "legend", "- - average");
	UsFree(core, rank);
	UsFree(core, order);
	return UsSvgFinish(&s, title, desc);
}

/* ---- the k sweep: two panels ---- */

static void
SweepPanel(UsSvg *s, UsFrame *f, int count, const int *ks, const double *v, int special,
		   const char *ytitle, const char *color, const char *special_name)
{
	double		xs[64];
	bool		started = false;

	f->xlo = ks[0];
	f->xhi = ks[count - 1] > ks[0] ? ks[count - 1] : ks[0] + 1;
	f->ylo = INFINITY;
	f->yhi = -INFINITY;
	for (int i = 0; i < count; i++)
	{
		if (!isfinite(v[i]))
			continue;
		if (v[i] < f->ylo)
			f->ylo = v[i];
		if (v[i] > f->yhi)
			f->yhi = v[i];
	}
	if (f->ylo > f->yhi)
		f->ylo = f->yhi = 0;
	UsSvgAxisValues(s, f, ytitle, true);
	for (int i = 0; i < count && i < 64; i++)
	{
		char		label[16];

		xs[i] = UsFrameX(f, ks[i]);
		snprintf(label, sizeof(label), "%d", ks[i]);
		UsSvgText(s, xs[i], f->y0 + f->h + 16, "middle", "tick", label);
	}
	UsSvgText(s, f->x0 + f->w / 2, f->y0 + f->h + 36, "middle", "axis-title", "k (clusters)");
	UsSvgPrintf(s, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", color);
	for (int i = 0; i < count; i++)
	{
		if (!isfinite(v[i]))
			continue;
		UsSvgPrintf(s, "%s %.2f %.2f ", started ? "L" : "M", UsFrameX(f, ks[i]), UsFrameY(f, v[i]));
		started = true;
	}
	UsSvgRaw(s, "\"/>\n");
	for (int i = 0; i < count; i++)
	{
		if (!isfinite(v[i]))
			continue;
		UsSvgPrintf(s, "<circle class=\"mark\" cx=\"%.2f\" cy=\"%.2f\" r=\"4\" fill=\"%s\">"
					"<title>k = %d: %.6g</title></circle>\n",
					UsFrameX(f, ks[i]), UsFrameY(f, v[i]), color, ks[i], v[i]);
		s->marks++;
	}
	if (special >= 0 && special < count && isfinite(v[special]))
	{
		double		x = UsFrameX(f, ks[special]);
		double		y = UsFrameY(f, v[special]);

		UsSvgPrintf(s, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"9\" fill=\"none\" stroke=\"#000\" "
					"stroke-width=\"2\"/>\n", x, y);
		UsSvgText(s, x + 12, y - 10, "start", "value", special_name);
	}
}

char *
UsChartSweep(const UsCore *core, int count, const int *ks, const double *inertia,
			 const double *silhouette, int elbow, int best, const char *title,
			 const char *desc)
{
	UsSvg		s;
	UsFrame		a = {LEFT, TOP + 10, 330, 330, 0, 0, 0, 0};
	UsFrame		b = {LEFT + 330 + 100, TOP + 10, 330, 330, 0, 0, 0, 0};
	const char *colors[4] = {"#0072B2", "#E69F00", "#ffffff", "#ffffff"};
	const char *labels[4] = {"inertia", "silhouette", "\xE2\x97\x8B elbow (inertia)",
	"\xE2\x97\x8B best (silhouette)"};

	UsSvgInit(core, &s, LEFT + 330 * 2 + 100 + 40 + LEGEND_W + 30, TOP + 10 + 330 + 60);
	SweepPanel(&s, &a, count, ks, inertia, elbow, "inertia", colors[0], "elbow");
	SweepPanel(&s, &b, count, ks, silhouette, best, "silhouette", colors[1], "best");
	UsSvgLegend(&s, b.x0 + b.w + 30, b.y0 + 10, 4, colors, labels, "series");
	return UsSvgFinish(&s, title, desc);
}

/* ---- bars ---- */

char *
UsChartBars(const UsCore *core, int count, const char *const *names, const double *values,
			const char *ytitle, const char *title, const char *desc)
{
	UsSvg		s;
	double		slot = 90;
	UsFrame		f = {LEFT, TOP + 20, slot * (count > 0 ? count : 1), 320, 0, 1, 0, 0};
	const char *colors[1] = {"#0072B2"};
	const char *labels[1] = {"silhouette (higher is better)"};

	f.ylo = 0;
	f.yhi = 0;
	for (int i = 0; i < count; i++)
	{
		if (!isfinite(values[i]))
			continue;
		if (values[i] < f.ylo)
			f.ylo = values[i];
		if (values[i] > f.yhi)
			f.yhi = values[i];
	}
	if (f.yhi <= f.ylo)
		f.yhi = f.ylo + 1;
	UsSvgInit(core, &s, (int) (f.x0 + f.w + 40 + LEGEND_W + 60), (int) (f.y0 + f.h + 60));
	UsSvgAxisValues(&s, &f, ytitle, true);
	for (int i = 0; i < count; i++)
	{
		double		cx = f.x0 + slot * (i + 0.5);
		char		text[32];

		UsSvgText(&s, cx, f.y0 + f.h + 16, "middle", "tick", names[i]);
		if (!isfinite(values[i]))
		{
			UsSvgText(&s, cx, UsFrameY(&f, 0) - 6, "middle", "value", "n/a");
			continue;
		}
		{
			double		y0 = UsFrameY(&f, 0);
			double		y1 = UsFrameY(&f, values[i]);

			UsSvgPrintf(&s, "<rect class=\"mark\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
						"fill=\"%s\"/>\n", cx - slot * 0.3, y1 < y0 ? y1 : y0, slot * 0.6,
						fabs(y0 - y1), colors[0]);
			s.marks++;
			snprintf(text, sizeof(text), "%.3f", values[i]);
			UsSvgText(&s, cx, (y1 < y0 ? y1 : y0) - 6, "middle", "value", text);
		}
	}
	UsSvgText(&s, f.x0 + f.w / 2, f.y0 + f.h + 36, "middle", "axis-title", "algorithm");
	UsSvgLegend(&s, f.x0 + f.w + 40, f.y0 + 10, 1, colors, labels, "bar");
	return UsSvgFinish(&s, title, desc);
}
