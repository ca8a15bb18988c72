/*-------------------------------------------------------------------------
 *
 * svg_core.c
 *	  SVG 1.1 text: a growable buffer, escaping, nice axis ticks, the segment
 *	  palette, axes and legends.  Pure C; the charts are in chart_core.c.
 *
 * Text goes into a buffer allocated through UsCore, doubled as it grows (old blocks
 * are released to the caller's allocator), so a plot's memory is charged to the
 * operation's budget like every other allocation of the core.  Every piece of text
 * that comes from data (titles, feature and category names) is written with
 * UsSvgEscaped: the five XML special characters become entities and control
 * characters that XML 1.0 does not allow become '?', so a hostile column name cannot
 * break the document.  Numbers are written with %.6g (values shown to a reader) or
 * %.2f (coordinates): both are locale-independent here, as the backend keeps
 * LC_NUMERIC at "C".
 *
 * The document body is built first and the root element last (UsSvgFinish), so that
 * the root can carry the number of data marks drawn (data-marks), which every mark
 * function counts: a test compares it with the elements of class "mark".
 *
 * Colours: segment s >= 0 gets Okabe and Ito's colour-blind-safe palette (Okabe &
 * Ito 2008, "Color Universal Design"), in a fixed order, repeating after eight
 * segments, so a segment has the same colour in every plot; -1 (noise) is grey.
 * Diverging values use the seven-class RdBu scheme of ColorBrewer (Brewer 2003),
 * interpolated.  Ticks: Heckbert's "nice numbers" (Graphics Gems, 1990).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "uscore.h"

static const char *const okabe_ito[8] = {
	"#E69F00",					/* orange */
	"#56B4E9",					/* sky blue */
	"#009E73",					/* bluish green */
	"#CC79A7",					/* reddish purple */
	"#0072B2",					/* blue */
	"#D55E00",					/* vermillion */
	"#F0E442",					/* yellow */
	"#000000"					/* black */
};

const char *
UsSegmentColor(int32_t segment)
{
	if (segment < 0)
		return "#999999";
	return okabe_ito[segment % 8];
}

void
UsSvgInit(const UsCore *core, UsSvg *s, int width, int height)
{
	memset(s, 0, sizeof(*s));
	s->core = core;
	s->width = width;
	s->height = height;
	s->cap = 4096;
	s->buf = UsAlloc(core, s->cap);
}

/* Room for extra more bytes and a terminator */
static void
SvgReserve(UsSvg *s, size_t extra)
{
	char	   *more;
	size_t		cap = s->cap;

	if (s->len + extra + 1 <= s->cap)
		return;
	while (cap < s->len + extra + 1)
		cap *= 2;
	more = UsAlloc(s->core, cap);
	memcpy(more, s->buf, s->len);
	UsFree(s->core, s->buf);
	s->buf = more;
	s->cap = cap;
}

void
UsSvgRaw(UsSvg *s, const char *text)
{
	size_t		n = strlen(text);

	SvgReserve(s, n);
	memcpy(s->buf + s->len, text, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void
UsSvgPrintf(UsSvg *s, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	SvgReserve(s, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(s->buf + s->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t) n;
}

void
UsSvgEscaped(UsSvg *s, const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
	{
		switch (*p)
		{
			case '&':
				UsSvgRaw(s, "&amp;");
				break;
			case '<':
				UsSvgRaw(s, "&lt;");
				break;
			case '>':
				UsSvgRaw(s, "&gt;");
				break;
			case '"':
				UsSvgRaw(s, "&quot;");
				break;
			case '\'':
				UsSvgRaw(s, "&#39;");
				break;
			default:
				{
					char		c[2] = {(char) *p, '\0'};

					/* XML 1.0 allows tab, newline and carriage return only */
					if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
						c[0] = '?';
					UsSvgRaw(s, c);
				}
		}
	}
}

void
UsSvgText(UsSvg *s, double x, double y, const char *anchor, const char *cls,
		  const char *text)
{
	UsSvgPrintf(s, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" class=\"%s\">",
				x, y, anchor, cls);
	UsSvgEscaped(s, text);
	UsSvgRaw(s, "</text>\n");
}

/* The style of every plot: one font, small grey ticks */
static const char *const svg_style =
"<style type=\"text/css\"><![CDATA[\n"
"text { font-family: 'DejaVu Sans', Verdana, Arial, sans-serif; font-size: 12px; fill: #222; }\n"
".plot-title { font-size: 15px; font-weight: bold; }\n"
".axis-title { font-size: 13px; }\n"
".tick { font-size: 11px; fill: #444; }\n"
".value { font-size: 11px; }\n"
".legend { font-size: 12px; }\n"
".grid { stroke: #e4e4e4; stroke-width: 1; }\n"
".axis { stroke: #444; stroke-width: 1; }\n"
"]]></style>\n";

char *
UsSvgFinish(UsSvg *s, const char *title, const char *desc)
{
	UsSvg		doc;

	UsSvgInit(s->core, &doc, s->width, s->height);
	UsSvgPrintf(&doc,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
				"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-marks=\"%lld\">\n",
				s->width, s->height, s->width, s->height, (long long) s->marks);
	UsSvgRaw(&doc, "<title>");
	UsSvgEscaped(&doc, title);
	UsSvgRaw(&doc, "</title>\n<desc>");
	UsSvgEscaped(&doc, desc);
	UsSvgRaw(&doc, "</desc>\n");
	UsSvgRaw(&doc, svg_style);
	UsSvgPrintf(&doc, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
				s->width, s->height);
	UsSvgText(&doc, s->width / 2.0, 22, "middle", "plot-title", title);
	UsSvgRaw(&doc, s->buf);
	UsSvgRaw(&doc, "</svg>\n");
	UsFree(s->core, s->buf);
	s->buf = NULL;
	return doc.buf;
}

/* 1, 2, 5 or 10 times a power of ten near x (rounded, or the ceiling) */
static double
NiceNumber(double x, bool round)
{
	double		e = floor(log10(x));
	double		f = x / pow(10.0, e);
	double		nf;

	if (round)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10.0, e);
}

int
UsNiceTicks(double lo, double hi, int target, double *ticks, int max_ticks, double *step)
{
	double		range;
	double		d;
	double		start;
	int			count = 0;

	if (!isfinite(lo) || !isfinite(hi) || max_ticks < 2)
		return 0;
	if (hi < lo)
	{
		double		t = lo;

		lo = hi;
		hi = t;
	}
	if (hi - lo <= fabs(hi) * 1e-12 || !isfinite(hi - lo))
	{
		/* a single value (or a range past double): one tick either side */
		double		w = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1.0;

		if (!isfinite(w))
			return 0;
		lo -= w;
		hi += w;
	}
	range = NiceNumber(hi - lo, false);
	d = NiceNumber(range / (target > 1 ? target - 1 : 1), true);
	if (!(d > 0) || !isfinite(d))
		return 0;
	start = floor(lo / d) * d;
	for (int i = 0; count < max_ticks; i++)
	{
		double		t = start + i * d;

		/* snap values that should be zero */
		if (fabs(t) < d * 1e-9)
			t = 0;
		ticks[count++] = t;
		if (t >= hi - d * 1e-9)
			break;
	}
	if (step)
		*step = d;
	return count;
}

void
UsSvgDiverging(double t, char out[8])
{
	/* ColorBrewer RdBu, 7 classes, from blue (-1) to red (+1) */
	static const int rgb[7][3] = {
		{33, 102, 172}, {103, 169, 207}, {209, 229, 240}, {247, 247, 247},
		{253, 219, 199}, {239, 138, 98}, {178, 24, 43}
	};
	double		u;
	int			i;
	double		f;

	if (isnan(t))
	{
		snprintf(out, 8, "#dddddd");
		return;
	}
	t = t < -1 ? -1 : t > 1 ? 1 : t;
	u = (t + 1) * 3;			/* 0..6 */
	i = (int) floor(u);
	if (i >= 6)
		i = 5;
	f = u - i;
	snprintf(out, 8, "#%02x%02x%02x",
			 (int) lround(rgb[i][0] + f * (rgb[i + 1][0] - rgb[i][0])),
			 (int) lround(rgb[i][1] + f * (rgb[i + 1][1] - rgb[i][1])),
			 (int) lround(rgb[i][2] + f * (rgb[i + 1][2] - rgb[i][2])));
}

double
UsFrameX(const UsFrame *f, double v)
{
	return f->x0 + (v - f->xlo) / (f->xhi - f->xlo) * f->w;
}

double
UsFrameY(const UsFrame *f, double v)
{
	return f->y0 + f->h - (v - f->ylo) / (f->yhi - f->ylo) * f->h;
}

/* Widen [*lo, *hi] to its outer nice ticks; the ticks into ticks[] */
static int
NiceRange(double *lo, double *hi, double *ticks)
{
	int			n = UsNiceTicks(*lo, *hi, 6, ticks, US_SVG_MAX_TICKS, NULL);

	if (n < 2)
	{
		/* not finite: a unit range with no ticks */
		*lo = 0;
		*hi = 1;
		return 0;
	}
	*lo = ticks[0];
	*hi = ticks[n - 1];
	return n;
}

static void
AxisY(UsSvg *s, UsFrame *f, const char *ytitle, bool nice)
{
	double		ticks[US_SVG_MAX_TICKS];
	int			n;

	if (nice)
		n = NiceRange(&f->ylo, &f->yhi, ticks);
	else
		n = UsNiceTicks(f->ylo, f->yhi, 6, ticks, US_SVG_MAX_TICKS, NULL);
	if (!(f->yhi > f->ylo))
		f->yhi = f->ylo + 1;
	for (int i = 0; i < n; i++)
	{
		double		y;
		char		label[32];

		if (ticks[i] < f->ylo - 1e-9 * (f->yhi - f->ylo) ||
			ticks[i] > f->yhi + 1e-9 * (f->yhi - f->ylo))
			continue;
		y = UsFrameY(f, ticks[i]);
		UsSvgPrintf(s, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
					f->x0, y, f->x0 + f->w, y);
		snprintf(label, sizeof(label), "%.6g", ticks[i]);
		UsSvgText(s, f->x0 - 6, y + 4, "end", "tick", label);
	}
	UsSvgPrintf(s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
				f->x0, f->y0, f->x0, f->y0 + f->h);
	UsSvgPrintf(s, "<text class=\"axis-title\" text-anchor=\"middle\" "
				"transform=\"translate(%.2f %.2f) rotate(-90)\">",
				f->x0 - 52, f->y0 + f->h / 2);
	UsSvgEscaped(s, ytitle);
	UsSvgRaw(s, "</text>\n");
}

/* The x axis with nice ticks; the y axis a line and its title only unless yticks */
static void
AxesWith(UsSvg *s, UsFrame *f, const char *xtitle, const char *ytitle, bool yticks)
{
	double		ticks[US_SVG_MAX_TICKS];
	int			n = NiceRange(&f->xlo, &f->xhi, ticks);

	if (yticks)
		AxisY(s, f, ytitle, true);
	else
	{
		UsSvgPrintf(s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
					f->x0, f->y0, f->x0, f->y0 + f->h);
		UsSvgPrintf(s, "<text class=\"axis-title\" text-anchor=\"middle\" "
					"transform=\"translate(%.2f %.2f) rotate(-90)\">",
					f->x0 - 20, f->y0 + f->h / 2);
		UsSvgEscaped(s, ytitle);
		UsSvgRaw(s, "</text>\n");
	}
	for (int i = 0; i < n; i++)
	{
		double		x = UsFrameX(f, ticks[i]);
		char		label[32];

		UsSvgPrintf(s, "<line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
					x, f->y0, x, f->y0 + f->h);
		snprintf(label, sizeof(label), "%.6g", ticks[i]);
		UsSvgText(s, x, f->y0 + f->h + 16, "middle", "tick", label);
	}
	UsSvgPrintf(s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
				f->x0, f->y0 + f->h, f->x0 + f->w, f->y0 + f->h);
	UsSvgText(s, f->x0 + f->w / 2, f->y0 + f->h + 36, "middle", "axis-title", xtitle);
}

void
UsSvgAxes(UsSvg *s, UsFrame *f, const char *xtitle, const char *ytitle)
{
	AxesWith(s, f, xtitle, ytitle, true);
}

void
UsSvgAxisX(UsSvg *s, UsFrame *f, const char *xtitle, const char *ytitle)
{
	AxesWith(s, f, xtitle, ytitle, false);
}

void
UsSvgAxisValues(UsSvg *s, UsFrame *f, const char *ytitle, bool nice)
{
	AxisY(s, f, ytitle, nice);
	UsSvgPrintf(s, "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
				f->x0, f->y0 + f->h, f->x0 + f->w, f->y0 + f->h);
}

void
UsSvgLegend(UsSvg *s, double x, double y, int n, const char *const *colors,
			const char *const *labels, const char *heading)
{
	UsSvgRaw(s, "<g class=\"legend\">\n");
	UsSvgText(s, x, y, "start", "legend legend-title", heading);
	for (int i = 0; i < n; i++)
	{
		double		yy = y + 18 * (i + 1);

		UsSvgPrintf(s, "<rect x=\"%.2f\" y=\"%.2f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
					x, yy - 10, colors[i]);
		UsSvgText(s, x + 18, yy, "start", "legend", labels[i]);
	}
	UsSvgRaw(s, "</g>\n");
}

void
UsSvgSegmentName(int32_t segment, char out[32])
{
	if (segment == US_NOISE)
		snprintf(out, 32, "noise (-1)");
	else
		snprintf(out, 32, "segment %d", (int) segment);
}
