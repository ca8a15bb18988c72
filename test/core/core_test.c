/*-------------------------------------------------------------------------
 *
 * core_test.c
 *	  Standalone checks of the numeric core (the src/ *_core.c files, API in src/uscore.h),
 *	  without PostgreSQL, for sanitizer and valgrind builds.
 *
 * Every result of the core is compared with a naive implementation written here
 * from the definitions (scikit-learn's semantics), on small data generated with a
 * local seeded generator: scalers, silhouette (both code paths), inertia,
 * Calinski-Harabasz, Davies-Bouldin, K-Means (bounded against plain Lloyd, label
 * numbering, degenerate inputs, determinism) and the minimum-cost assignment
 * (against brute force).  A bounded fuzz loop then feeds random shapes, labels and
 * values of wide magnitudes to every entry point.
 *
 * The UsCore given to the core allocates with calloc (abort on NULL) and tracks
 * every allocation: a call must leave nothing allocated but what it returns, and
 * must never free what it did not allocate.
 *
 * Output is TAP: "ok N - ..." or "not ok N - ..." per check, "# ..." diagnostics,
 * the plan "1..N" at the end.  Exit status 0 (failures show as "not ok").
 *
 *	  core_test [fuzz_cases [fuzz_seconds]]	(defaults 400 and 5)
 *
 * Tolerances: "relative 1e-12" means |got - want| <= 1e-12 * max(|want|, floor)
 * where floor is the natural scale of the quantity (1 for a silhouette, which lies
 * in [-1, 1]; the data's magnitude for a center or a quantile).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uscore.h"

/* ---------------------------------------------------------------- TAP */

static int	n_tests;
static int	n_failed;

static bool
Check(bool cond, const char *fmt,...)
{
	va_list		ap;

	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static void
Diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Failures found inside one check: the first few are printed as diagnostics */
typedef struct Errs
{
	int			count;
} Errs;

static void
Err(Errs *e, const char *fmt,...)
{
	va_list		ap;

	if (e->count++ >= 5)
		return;
	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* |got - want| <= rel * max(|want|, floor); NaN only equals NaN */
static bool
Close(double got, double want, double rel, double floor)
{
	double		scale = fabs(want) > floor ? fabs(want) : floor;

	if (isnan(want) || isnan(got))
		return isnan(want) && isnan(got);
	if (got == want)
		return true;
	return fabs(got - want) <= rel * scale;
}

/* ---------------------------------------------------------------- PRNG */

/* splitmix64 (Steele, Lea & Flood 2014) */
typedef struct Rng
{
	uint64_t	s;
} Rng;

static uint64_t
RngNext(Rng *r)
{
	uint64_t	z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
RngUniform(Rng *r)
{
	return (double) (RngNext(r) >> 11) * 0x1.0p-53;
}

static double
RngUniformCb(void *arg)
{
	return RngUniform((Rng *) arg);
}

/* integer in [0, n) */
static int64_t
RngInt(Rng *r, int64_t n)
{
	return (int64_t) (RngNext(r) % (uint64_t) n);
}

static double
RngNormal(Rng *r)
{
	double		u = RngUniform(r);
	double		v = RngUniform(r);

	return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* ---------------------------------------------------------------- tracked memory */

#define HDR 16
#define MAGIC_LIVE 0x75736c6976656d6dULL
#define MAGIC_DEAD 0x7573646561646d6dULL

typedef struct Tracker
{
	int64_t		live;			/* allocations not released */
	int64_t		bad_free;		/* release of a pointer not live */
	int64_t		checks;			/* interrupt checks */
	size_t		live_bytes;
	size_t		peak_bytes;
} Tracker;

static Tracker tracker;

static void *
TrackAlloc(void *arg, size_t size)
{
	Tracker    *t = arg;
	unsigned char *p;

	if (size > SIZE_MAX - HDR || (p = calloc(1, size + HDR)) == NULL)
	{
		fprintf(stderr, "core_test: out of memory (%zu bytes)\n", size);
		abort();
	}
	memcpy(p, &size, sizeof(size_t));
	{
		uint64_t	m = MAGIC_LIVE;

		memcpy(p + 8, &m, 8);
	}
	t->live++;
	t->live_bytes += size;
	if (t->live_bytes > t->peak_bytes)
		t->peak_bytes = t->live_bytes;
	return p + HDR;
}

static void
TrackRelease(void *arg, void *ptr)
{
	Tracker    *t = arg;
	unsigned char *p = (unsigned char *) ptr - HDR;
	uint64_t	m;
	size_t		size;

	memcpy(&m, p + 8, 8);
	if (m != MAGIC_LIVE)
	{
		t->bad_free++;
		return;
	}
	memcpy(&size, p, sizeof(size_t));
	m = MAGIC_DEAD;
	memcpy(p + 8, &m, 8);
	t->live--;
	t->live_bytes -= size;
	free(p);
}

static void
TrackCheck(void *arg)
{
	((Tracker *) arg)->checks++;
}

static void
TrackProgress(void *arg, const char *msg)
{
	(void) arg;
	(void) msg;
}

static const UsCore core = {TrackAlloc, TrackRelease, TrackCheck, TrackProgress, &tracker, 1, NULL};

/* Plain allocation for the test's own arrays */
static void *
Xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

/* ---------------------------------------------------------------- data */

/* n x d values: normal blobs around k random centers; labels[i] its blob */
static double *
Blobs(Rng *r, int64_t n, int d, int k, double spread, double sigma, int32_t *labels)
{
	double	   *x = Xcalloc((size_t) n * d, sizeof(double));
	double	   *c = Xcalloc((size_t) k * d, sizeof(double));

	for (int i = 0; i < k * d; i++)
		c[i] = (RngUniform(r) * 2 - 1) * spread;
	for (int64_t i = 0; i < n; i++)
	{
		/* every blob gets a row first, then random ones */
		int			b = i < k ? (int) i : (int) RngInt(r, k);

		for (int j = 0; j < d; j++)
			x[i * d + j] = c[b * d + j] + sigma * RngNormal(r);
		if (labels)
			labels[i] = b;
	}
	free(c);
	return x;
}

/* Shuffle rows and labels together */
static void
Shuffle(Rng *r, double *x, int32_t *lab, int64_t n, int d)
{
	double	   *tmp = Xcalloc(d, sizeof(double));

	for (int64_t i = n - 1; i > 0; i--)
	{
		int64_t		j = RngInt(r, i + 1);
		int32_t		t = lab[i];

		lab[i] = lab[j];
		lab[j] = t;
		memcpy(tmp, x + i * d, sizeof(double) * d);
		memcpy(x + i * d, x + j * d, sizeof(double) * d);
		memcpy(x + j * d, tmp, sizeof(double) * d);
	}
	free(tmp);
}

/* Renumber labels to 0..k-1 in order of first appearance; returns k */
static int
Renumber(int32_t *lab, int64_t n, int maxlab)
{
	int32_t    *map = Xcalloc(maxlab + 1, sizeof(int32_t));
	int			k = 0;

	for (int i = 0; i <= maxlab; i++)
		map[i] = -1;
	for (int64_t i = 0; i < n; i++)
	{
		if (map[lab[i]] < 0)
			map[lab[i]] = k++;
		lab[i] = map[lab[i]];
	}
	free(map);
	return k;
}

static double
NaiveDist(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
		s += (a[j] - b[j]) * (a[j] - b[j]);
	return sqrt(s);
}

/* ---------------------------------------------------------------- scalers */

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* numpy.percentile, linear, written from the definition */
static double
NaiveQuantile(const double *s, int64_t n, double q)
{
	double		pos = q * (double) (n - 1);
	int64_t		lo = (int64_t) floor(pos);
	double		f = pos - (double) lo;

	if (lo >= n - 1)
		return s[n - 1];
	return s[lo] + f * (s[lo + 1] - s[lo]);
}

static void
NaiveScale(const double *x, int64_t n, int d, UsScaleMethod method, double *center,
		   double *scale)
{
	double	   *col = Xcalloc(n, sizeof(double));

	for (int j = 0; j < d; j++)
	{
		bool		constant = true;

		for (int64_t i = 0; i < n; i++)
		{
			col[i] = x[i * d + j];
			if (col[i] != col[0])
				constant = false;
		}
		switch (method)
		{
			case US_SCALE_ZSCORE:
				{
					double		s = 0.0,
								v = 0.0;

					for (int64_t i = 0; i < n; i++)
						s += col[i];
					center[j] = s / (double) n;
					for (int64_t i = 0; i < n; i++)
						v += (col[i] - center[j]) * (col[i] - center[j]);
					scale[j] = constant ? 1.0 : sqrt(v / (double) n);
					if (constant)
						center[j] = col[0];
					break;
				}
			case US_SCALE_MINMAX:
				{
					double		lo = col[0],
								hi = col[0];

					for (int64_t i = 1; i < n; i++)
					{
						lo = col[i] < lo ? col[i] : lo;
						hi = col[i] > hi ? col[i] : hi;
					}
					center[j] = lo;
					scale[j] = (hi - lo < 10 * DBL_EPSILON) ? 1.0 : hi - lo;
					break;
				}
			case US_SCALE_ROBUST:
				{
					double		iqr;

					qsort(col, n, sizeof(double), CmpDouble);
					center[j] = n % 2 ? col[n / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
					iqr = NaiveQuantile(col, n, 0.75) - NaiveQuantile(col, n, 0.25);
					scale[j] = iqr < 10 * DBL_EPSILON ? 1.0 : iqr;
					break;
				}
			default:
				center[j] = 0.0;
				scale[j] = 1.0;
		}
	}
	free(col);
}

static const char *
MethodName(UsScaleMethod m)
{
	switch (m)
	{
		case US_SCALE_ZSCORE:
			return "zscore";
		case US_SCALE_MINMAX:
			return "minmax";
		case US_SCALE_ROBUST:
			return "robust";
		default:
			return "none";
	}
}

/* Fit with the core and naively; compare, then round-trip apply/inverse */
static void
CheckScaleCase(const char *name, const double *x, int64_t n, int d)
{
	UsScaleMethod methods[] = {US_SCALE_ZSCORE, US_SCALE_MINMAX, US_SCALE_ROBUST, US_SCALE_NONE};

	for (int mi = 0; mi < 4; mi++)
	{
		UsScaleMethod method = methods[mi];
		double	   *c = Xcalloc(d, sizeof(double));
		double	   *s = Xcalloc(d, sizeof(double));
		double	   *nc = Xcalloc(d, sizeof(double));
		double	   *ns = Xcalloc(d, sizeof(double));
		double	   *copy = Xcalloc((size_t) n * d, sizeof(double));
		UsMatrix	m = {n, d, (double *) x};
		UsMatrix	cm = {n, d, copy};
		int64_t		live = tracker.live;
		Errs		e = {0};

		UsScaleFit(&core, &m, method, c, s);
		if (tracker.live != live)
			Err(&e, "%ld allocations left", (long) (tracker.live - live));
		NaiveScale(x, n, d, method, nc, ns);
		for (int j = 0; j < d; j++)
		{
			double		mag = 0.0;

			for (int64_t i = 0; i < n; i++)
				mag = fmax(mag, fabs(x[i * d + j]));
			if (!Close(c[j], nc[j], 1e-12, mag))
				Err(&e, "column %d center %.17g, naive %.17g", j, c[j], nc[j]);
			if (!Close(s[j], ns[j], 1e-12, DBL_MIN))
				Err(&e, "column %d scale %.17g, naive %.17g", j, s[j], ns[j]);
			if (ns[j] == 1.0 && s[j] != 1.0)
				Err(&e, "column %d scale %.17g, want exactly 1", j, s[j]);
		}
		/* apply then inverse gives back the data */
		memcpy(copy, x, sizeof(double) * n * d);
		UsScaleApply(&cm, c, s);
		for (int64_t i = 0; i < n * d; i++)
			if (!Close(copy[i], (x[i] - c[i % d]) / s[i % d], 0, 0))
			{
				Err(&e, "applied value %ld differs", (long) i);
				break;
			}
		UsScaleInverse(&cm, c, s);
		for (int64_t i = 0; i < n * d; i++)
		{
			double		mag = fmax(fabs(x[i]), fabs(c[i % d]));

			if (!Close(copy[i], x[i], 1e-14, mag))
			{
				Err(&e, "round trip of value %ld: %.17g -> %.17g", (long) i, x[i], copy[i]);
				break;
			}
		}
		Check(e.count == 0, "scale %s: %s (n = %ld, d = %d)", MethodName(method), name,
			  (long) n, d);
		free(c);
		free(s);
		free(nc);
		free(ns);
		free(copy);
	}
}

/* Streaming fits (row by row, split in two and combined) against UsScaleFit */
static void
CheckScaleStreaming(const char *name, const double *x, int64_t n, int d, int64_t split)
{
	double	   *za = Xcalloc((size_t) d * US_ZSCORE_ACC_PER_COL, sizeof(double));
	double	   *zb = Xcalloc((size_t) d * US_ZSCORE_ACC_PER_COL, sizeof(double));
	double	   *ma = Xcalloc((size_t) d * US_MINMAX_ACC_PER_COL, sizeof(double));
	double	   *mb = Xcalloc((size_t) d * US_MINMAX_ACC_PER_COL, sizeof(double));
	double	   *c = Xcalloc(d, sizeof(double));
	double	   *s = Xcalloc(d, sizeof(double));
	double	   *fc = Xcalloc(d, sizeof(double));
	double	   *fs = Xcalloc(d, sizeof(double));
	double	   *col = Xcalloc(n, sizeof(double));
	UsMatrix	m = {n, d, (double *) x};
	Errs		e = {0};

	for (int64_t i = 0; i < n; i++)
	{
		if (i < split)
		{
			UsZscoreAccAdd(za, i, x + i * d, d);
			UsMinmaxAccAdd(ma, i, x + i * d, d);
		}
		else
		{
			UsZscoreAccAdd(zb, i - split, x + i * d, d);
			UsMinmaxAccAdd(mb, i - split, x + i * d, d);
		}
	}
	UsZscoreAccCombine(za, split, zb, n - split, d);
	UsMinmaxAccCombine(ma, split, mb, n - split, d);

	UsZscoreAccFinish(za, n, d, c, s);
	UsScaleFit(&core, &m, US_SCALE_ZSCORE, fc, fs);
	for (int j = 0; j < d; j++)
	{
		double		mag = 0.0;

		for (int64_t i = 0; i < n; i++)
			mag = fmax(mag, fabs(x[i * d + j]));
		if (!Close(c[j], fc[j], 1e-12, mag) || !Close(s[j], fs[j], 1e-10, DBL_MIN))
			Err(&e, "zscore column %d: streaming %.17g %.17g, fit %.17g %.17g",
				j, c[j], s[j], fc[j], fs[j]);
	}
	UsMinmaxAccFinish(ma, d, c, s);
	UsScaleFit(&core, &m, US_SCALE_MINMAX, fc, fs);
	for (int j = 0; j < d; j++)
		if (c[j] != fc[j] || s[j] != fs[j])
			Err(&e, "minmax column %d: streaming %.17g %.17g, fit %.17g %.17g",
				j, c[j], s[j], fc[j], fs[j]);
	UsScaleFit(&core, &m, US_SCALE_ROBUST, fc, fs);
	for (int j = 0; j < d; j++)
	{
		double		rc,
					rs;

		for (int64_t i = 0; i < n; i++)
			col[i] = x[i * d + j];
		UsRobustColumn(&core, col, n, &rc, &rs);
		if (rc != fc[j] || rs != fs[j])
			Err(&e, "robust column %d: UsRobustColumn %.17g %.17g, fit %.17g %.17g",
				j, rc, rs, fc[j], fs[j]);
	}
	Check(e.count == 0, "scale streaming fits (split %ld + %ld) agree with UsScaleFit: %s",
		  (long) split, (long) (n - split), name);
	free(za);
	free(zb);
	free(ma);
	free(mb);
	free(c);
	free(s);
	free(fc);
	free(fs);
	free(col);
}

static void
TestScalers(void)
{
	Rng			r = {1};

	{
		/* random columns with different magnitudes and a constant column */
		int64_t		n = 101;
		int			d = 5;
		double	   *x = Xcalloc(n * d, sizeof(double));

		for (int64_t i = 0; i < n; i++)
		{
			x[i * d + 0] = RngNormal(&r);
			x[i * d + 1] = 1e6 + 1e-2 * RngNormal(&r);
			x[i * d + 2] = 3.25;	/* constant */
			x[i * d + 3] = (double) RngInt(&r, 5);	/* ties */
			x[i * d + 4] = -1e-7 * RngUniform(&r);
		}
		CheckScaleCase("mixed magnitudes, a constant column, ties", x, n, d);
		CheckScaleStreaming("mixed magnitudes", x, n, d, 40);
		CheckScaleStreaming("mixed magnitudes, all in the second part", x, n, d, 0);
		/* even row count: median is a mean of two */
		CheckScaleCase("even row count", x, 100, d);
		CheckScaleCase("n = 2", x, 2, d);
		CheckScaleCase("n = 1", x, 1, d);
		CheckScaleStreaming("n = 1", x, 1, d, 1);
		CheckScaleCase("n = 3", x, 3, d);
		CheckScaleCase("n = 4", x, 4, d);
		free(x);
	}
	{
		/* a single column, d = 1, and every column constant */
		double		x1[7] = {5, -1, 2, 2, 9, 0.5, -3};
		double		xc[6] = {-7, 7, -7, 7, -7, 7};

		CheckScaleCase("d = 1", x1, 7, 1);
		CheckScaleCase("every column constant", xc, 3, 2);
	}
	{
		/* n = 2, one column constant, one not */
		double		x2[4] = {1e300, 1, 1e300, 3};

		CheckScaleCase("n = 2, huge constant column", x2, 2, 2);
	}
}

/* ---------------------------------------------------------------- metrics */

static void
NaiveSilhouette(const double *x, int64_t n, int d, const int32_t *lab, int k,
				double *per, double *mean)
{
	double	   *sums = Xcalloc(k, sizeof(double));
	int64_t    *cnt = Xcalloc(k, sizeof(int64_t));
	double		total = 0.0;

	for (int64_t i = 0; i < n; i++)
		cnt[lab[i]]++;
	for (int64_t i = 0; i < n; i++)
	{
		int			own = lab[i];
		double		a,
					b = INFINITY,
					mx;

		memset(sums, 0, sizeof(double) * k);
		for (int64_t j = 0; j < n; j++)
			if (j != i)
				sums[lab[j]] += NaiveDist(x + i * d, x + j * d, d);
		if (cnt[own] == 1)
		{
			per[i] = 0.0;
			continue;
		}
		a = sums[own] / (double) (cnt[own] - 1);
		for (int c = 0; c < k; c++)
			if (c != own && sums[c] / (double) cnt[c] < b)
				b = sums[c] / (double) cnt[c];
		mx = a > b ? a : b;
		per[i] = mx > 0 ? (b - a) / mx : 0.0;
	}
	for (int64_t i = 0; i < n; i++)
		total += per[i];
	*mean = total / (double) n;
	free(sums);
	free(cnt);
}

/* centroids (k x d) and counts */
static void
NaiveCentroids(const double *x, int64_t n, int d, const int32_t *lab, int k,
			   double *cent, int64_t *cnt)
{
	memset(cent, 0, sizeof(double) * k * d);
	memset(cnt, 0, sizeof(int64_t) * k);
	for (int64_t i = 0; i < n; i++)
	{
		cnt[lab[i]]++;
		for (int j = 0; j < d; j++)
			cent[lab[i] * d + j] += x[i * d + j];
	}
	for (int c = 0; c < k; c++)
		for (int j = 0; j < d; j++)
			cent[c * d + j] /= (double) cnt[c];
}

static void
NaiveScores(const double *x, int64_t n, int d, const int32_t *lab, int k,
			double *inertia, double *ch, double *db)
{
	double	   *cent = Xcalloc((size_t) k * d, sizeof(double));
	int64_t    *cnt = Xcalloc(k, sizeof(int64_t));
	double	   *mean = Xcalloc(d, sizeof(double));
	double	   *intra = Xcalloc(k, sizeof(double));
	double		w = 0.0,
				b = 0.0,
				total = 0.0;
	bool		intra_zero = true,
				cd_zero = true;

	NaiveCentroids(x, n, d, lab, k, cent, cnt);
	for (int64_t i = 0; i < n; i++)
	{
		double		dd = NaiveDist(x + i * d, cent + lab[i] * d, d);

		w += dd * dd;
		intra[lab[i]] += dd;
		for (int j = 0; j < d; j++)
			mean[j] += x[i * d + j] / (double) n;
	}
	*inertia = w;
	for (int c = 0; c < k; c++)
	{
		double		dd = NaiveDist(cent + c * d, mean, d);

		b += (double) cnt[c] * dd * dd;
	}
	*ch = w == 0.0 ? 1.0 : b * (double) (n - k) / (w * (double) (k - 1));

	/* Davies-Bouldin as sklearn: allclose(., 0) tests, zero distances are infinite */
	for (int c = 0; c < k; c++)
	{
		intra[c] /= (double) cnt[c];
		if (fabs(intra[c]) > 1e-8)
			intra_zero = false;
	}
	for (int a = 0; a < k; a++)
	{
		double		worst = -INFINITY;

		for (int c = 0; c < k; c++)
		{
			double		cd = NaiveDist(cent + a * d, cent + c * d, d);

			if (cd > 1e-8)
				cd_zero = false;
			if (cd == 0.0)
				cd = INFINITY;
			if ((intra[a] + intra[c]) / cd > worst)
				worst = (intra[a] + intra[c]) / cd;
		}
		total += worst;
	}
	*db = (intra_zero || cd_zero) ? 0.0 : total / (double) k;
	free(cent);
	free(cnt);
	free(mean);
	free(intra);
}

/* Compare every metric of one labelled data set with the naive versions */
static void
CheckMetricsCase(const char *name, const double *x, int64_t n, int d, const int32_t *lab,
				 int k)
{
	UsMatrix	m = {n, d, (double *) x};
	double	   *per = Xcalloc(n, sizeof(double));
	double	   *nper = Xcalloc(n, sizeof(double));
	double		sil = NAN,
				nsil = NAN,
				ni,
				nch,
				ndb,
				got;
	int64_t		live = tracker.live;
	int64_t		checks = tracker.checks;
	Errs		e = {0};

	NaiveScores(x, n, d, lab, k, &ni, &nch, &ndb);
	if (k >= 2)
	{
		NaiveSilhouette(x, n, d, lab, k, nper, &nsil);
		sil = UsSilhouette(&core, &m, lab, k, per);
		if (!Close(sil, nsil, 1e-12, 1.0))
			Err(&e, "silhouette %.17g, naive %.17g", sil, nsil);
		for (int64_t i = 0; i < n; i++)
			if (!Close(per[i], nper[i], 1e-12, 1.0))
				Err(&e, "silhouette of row %ld: %.17g, naive %.17g", (long) i, per[i], nper[i]);
		got = UsSilhouette(&core, &m, lab, k, NULL);
		if (got != sil)
			Err(&e, "silhouette without per_row %.17g, with %.17g", got, sil);
		if (tracker.checks == checks)
			Err(&e, "the silhouette never checked interrupts");
		Check(e.count == 0, "silhouette and per_row: %s (n = %ld, d = %d, k = %d, %s path)",
			  name, (long) n, d, k, k <= (4 * d > 64 ? 4 * d : 64) ? "symmetric" : "streamed");
		e.count = 0;
	}
	got = UsInertia(&core, &m, lab, k);
	if (!Close(got, ni, 1e-12, DBL_MIN))
		Err(&e, "inertia %.17g, naive %.17g", got, ni);
	got = UsCalinskiHarabasz(&core, &m, lab, k);
	if (k >= 2 && !Close(got, nch, 1e-12, DBL_MIN))
		Err(&e, "Calinski-Harabasz %.17g, naive %.17g", got, nch);
	got = UsDaviesBouldin(&core, &m, lab, k);
	if (k >= 2 && !Close(got, ndb, 1e-12, DBL_MIN))
		Err(&e, "Davies-Bouldin %.17g, naive %.17g", got, ndb);
	if (tracker.live != live)
		Err(&e, "%ld allocations left", (long) (tracker.live - live));
	Check(e.count == 0, "inertia, Calinski-Harabasz, Davies-Bouldin: %s", name);
	free(per);
	free(nper);
}

static void
TestMetrics(void)
{
	Rng			r = {2};
	struct
	{
		const char *name;
		int64_t		n;
		int			d;
		int			k;
		double		sigma;
	}			cases[] = {
		{"blobs", 200, 3, 4, 1.0},
		{"n = 2, k = 2", 2, 2, 2, 1.0},
		{"n = 3, k = 2", 3, 2, 2, 1.0},
		{"n = 63", 63, 2, 3, 2.0},
		{"n = 64", 64, 2, 3, 2.0},
		{"n = 65", 65, 2, 3, 2.0},
		{"n = 130, d = 1", 130, 1, 5, 3.0},
		{"d = 33", 150, 33, 6, 1.0},
		{"overlapping blobs", 257, 4, 7, 20.0},
		{"k = 64, d = 2 (last symmetric k)", 200, 2, 64, 1.0},
		{"k = 65, d = 2 (streamed)", 200, 2, 65, 1.0},
		{"k = 80, d = 1 (streamed)", 190, 1, 80, 1.0},
		{"k = 80, d = 33 (symmetric: k <= 4 d)", 190, 33, 80, 1.0},
		{"k = 133, d = 33 (streamed)", 300, 33, 133, 1.0},
		{"many singletons (k = n - 1)", 40, 3, 39, 1.0},
		{"n = 700 (11 x 11 tiles)", 700, 5, 9, 4.0},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		int32_t    *lab = Xcalloc(cases[c].n, sizeof(int32_t));
		double	   *x = Blobs(&r, cases[c].n, cases[c].d, cases[c].k, 10.0, cases[c].sigma, lab);

		Shuffle(&r, x, lab, cases[c].n, cases[c].d);
		CheckMetricsCase(cases[c].name, x, cases[c].n, cases[c].d, lab, cases[c].k);
		free(x);
		free(lab);
	}

	{
		/* k = 2 with one huge cluster and a few rows apart */
		int64_t		n = 301;
		int			d = 2;
		int32_t    *lab = Xcalloc(n, sizeof(int32_t));
		double	   *x = Xcalloc(n * d, sizeof(double));

		for (int64_t i = 0; i < n; i++)
		{
			lab[i] = i % 100 == 7 ? 1 : 0;
			x[i * d] = RngNormal(&r) + (lab[i] ? 8 : 0);
			x[i * d + 1] = RngNormal(&r);
		}
		CheckMetricsCase("k = 2, one huge cluster (298 + 3)", x, n, d, lab, 2);
		/* one singleton cluster */
		for (int64_t i = 0; i < n; i++)
			lab[i] = i == 150 ? 1 : 0;
		CheckMetricsCase("k = 2, a singleton cluster", x, n, d, lab, 2);
		free(x);
		free(lab);
	}
	{
		/* duplicate points: a = b = 0 rows, zero within-dispersion */
		double		x[12] = {1, 1, 1, 1, 1, 1, 5, 5, 5, 5, 5, 5};
		int32_t		lab[6] = {0, 0, 0, 1, 1, 1};
		int32_t		lab2[6] = {0, 1, 0, 1, 0, 1};
		int32_t		lab1[6] = {0, 0, 0, 0, 0, 0};
		double		y[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

		CheckMetricsCase("duplicate points, clusters on them", x, 6, 2, lab, 2);
		CheckMetricsCase("duplicate points, clusters across them", x, 6, 2, lab2, 2);
		CheckMetricsCase("every point the same", y, 6, 2, lab2, 2);
		CheckMetricsCase("k = 1", x, 6, 2, lab1, 1);
	}
	{
		/* Davies-Bouldin's allclose(., 0) tests: tight clusters, tiny data, equal centroids */
		int64_t		n = 120;
		int			d = 2;
		int32_t    *lab = Xcalloc(n, sizeof(int32_t));
		double	   *x = Blobs(&r, n, d, 3, 10.0, 1e-5, lab);
		double		ring[16] = {-1, 0, 1, 0, 0, -3, 0, 3, -2, 0, 2, 0, 0, -1, 0, 1};
		int32_t		rl[8] = {0, 0, 1, 1, 2, 2, 1, 1};

		CheckMetricsCase("tight clusters (sigma 1e-5)", x, n, d, lab, 3);
		for (int64_t i = 0; i < n * d; i++)
			x[i] *= 1e-9;
		CheckMetricsCase("tiny data (every distance below 1e-8)", x, n, d, lab, 3);
		CheckMetricsCase("clusters with the same centroid", ring, 8, 2, rl, 3);
		free(x);
		free(lab);
	}
	{
		/* integer grid with many equal distances */
		int64_t		n = 97;
		int			d = 3;
		int32_t    *lab = Xcalloc(n, sizeof(int32_t));
		double	   *x = Xcalloc(n * d, sizeof(double));

		for (int64_t i = 0; i < n * d; i++)
			x[i] = (double) RngInt(&r, 3);
		for (int64_t i = 0; i < n; i++)
			lab[i] = (int32_t) RngInt(&r, 5);
		CheckMetricsCase("integer grid, random labels", x, n, d, lab, Renumber(lab, n, 4));
		free(x);
		free(lab);
	}
}

/* ---------------------------------------------------------------- K-Means */

static void
FreeResult(UsKmeansResult *r)
{
	UsFree(&core, r->labels);
	UsFree(&core, r->centers);
	UsFree(&core, r->sizes);
	memset(r, 0, sizeof(*r));
}

static void
RunKmeans(const double *x, int64_t n, int d, int k, int n_init, uint64_t seed, bool plain,
		  const double *init, UsKmeansResult *res)
{
	Rng			r = {seed};
	UsMatrix	m = {n, d, (double *) x};
	UsKmeansParams p = {0};

	p.k = k;
	p.n_init = n_init;
	p.max_iter = 300;
	p.tol = 1e-4;
	p.init = init;
	p.uniform = RngUniformCb;
	p.rng_arg = &r;
	p.plain = plain;
	p.verbose = true;			/* exercises the progress messages */
	memset(res, 0, sizeof(*res));
	UsKmeans(&core, &m, &p, res);
}

/* Properties of one result; returns the number of problems (printed) */
static void
CheckKmeansResult(Errs *e, const double *x, int64_t n, int d, int k, const UsKmeansResult *r)
{
	int64_t    *cnt = Xcalloc(k, sizeof(int64_t));
	int			nonempty = 0;
	double		inertia = 0.0;

	for (int64_t i = 0; i < n; i++)
	{
		if (r->labels[i] < 0 || r->labels[i] >= k)
		{
			Err(e, "row %ld has label %d", (long) i, r->labels[i]);
			free(cnt);
			return;
		}
		cnt[r->labels[i]]++;
	}
	for (int c = 0; c < k; c++)
	{
		if (cnt[c] != r->sizes[c])
			Err(e, "cluster %d has %ld rows, sizes says %ld", c, (long) cnt[c], (long) r->sizes[c]);
		if (c > 0 && cnt[c] > cnt[c - 1])
			Err(e, "cluster %d (%ld rows) is bigger than cluster %d (%ld)", c, (long) cnt[c],
				c - 1, (long) cnt[c - 1]);
		if (cnt[c] > 0)
			nonempty++;
	}
	if (nonempty != r->nonempty)
		Err(e, "nonempty %d, counted %d", r->nonempty, nonempty);
	for (int64_t i = 0; i < n; i++)
	{
		double		own = 0.0,
					best;
		const double *c = r->centers + (size_t) r->labels[i] * d;

		for (int j = 0; j < d; j++)
			own += (x[i * d + j] - c[j]) * (x[i * d + j] - c[j]);
		inertia += own;
		(void) UsKmeansNearest(r->centers, k, d, x + i * d, &best);
		if (own > best * (1 + 1e-12) + DBL_MIN)
			Err(e, "row %ld: its center at %.17g, nearest at %.17g", (long) i, own, best);
	}
	if (!Close(r->inertia, inertia, 1e-12, DBL_MIN))
		Err(e, "inertia %.17g, recomputed %.17g", r->inertia, inertia);
	if (!isfinite(r->inertia) || r->iterations < 1)
		Err(e, "inertia %g, iterations %d", r->inertia, r->iterations);
	free(cnt);
}

/* Bounded against plain Lloyd, properties, determinism, memory */
static void
CheckKmeansCase(const char *name, const double *x, int64_t n, int d, int k, int n_init,
				uint64_t seed, int want_nonempty)
{
	UsKmeansResult a,
				b,
				c;
	int64_t		live = tracker.live;
	Errs		e = {0};

	RunKmeans(x, n, d, k, n_init, seed, false, NULL, &a);
	if (tracker.live != live + 3)
		Err(&e, "%ld allocations left besides the 3 result arrays",
			(long) (tracker.live - live - 3));
	CheckKmeansResult(&e, x, n, d, k, &a);
	if (want_nonempty >= 0 && a.nonempty != want_nonempty)
		Err(&e, "nonempty %d, want %d", a.nonempty, want_nonempty);
	Check(e.count == 0, "kmeans result: %s (n = %ld, d = %d, k = %d, n_init = %d, seed %lu)",
		  name, (long) n, d, k, n_init, (unsigned long) seed);

	e.count = 0;
	RunKmeans(x, n, d, k, n_init, seed, true, NULL, &b);
	for (int64_t i = 0; i < n; i++)
		if (a.labels[i] != b.labels[i])
			Err(&e, "row %ld: label %d with bounds, %d plain", (long) i, a.labels[i], b.labels[i]);
	if (!Close(a.inertia, b.inertia, 1e-12, DBL_MIN))
		Err(&e, "inertia %.17g with bounds, %.17g plain", a.inertia, b.inertia);
	for (int i = 0; i < k * d; i++)
		if (!Close(a.centers[i], b.centers[i], 1e-12, 1.0))
			Err(&e, "center value %d: %.17g with bounds, %.17g plain", i, a.centers[i], b.centers[i]);
	Check(e.count == 0, "kmeans with bounds = plain Lloyd: %s", name);

	e.count = 0;
	RunKmeans(x, n, d, k, n_init, seed, false, NULL, &c);
	if (memcmp(a.labels, c.labels, sizeof(int32_t) * n) != 0 ||
		memcmp(a.centers, c.centers, sizeof(double) * k * d) != 0 ||
		a.inertia != c.inertia || a.iterations != c.iterations)
		Err(&e, "two runs with seed %lu differ", (long) seed);
	Check(e.count == 0, "kmeans deterministic: %s", name);
	FreeResult(&a);
	FreeResult(&b);
	FreeResult(&c);
	if (tracker.live != live || tracker.bad_free != 0)
		Check(false, "kmeans memory: %ld allocations left, %ld bad frees",
			  (long) (tracker.live - live), (long) tracker.bad_free);
}

static void
TestKmeans(void)
{
	Rng			r = {3};

	{
		int64_t		n = 500;
		double	   *x = Blobs(&r, n, 4, 5, 10.0, 1.0, NULL);

		CheckKmeansCase("separated blobs", x, n, 4, 5, 3, 42, 5);
		CheckKmeansCase("separated blobs, k above the blobs", x, n, 4, 9, 2, 7, 9);
		CheckKmeansCase("k = 1", x, n, 4, 1, 2, 5, 1);
		free(x);
	}
	{
		int64_t		n = 700;
		double	   *x = Blobs(&r, n, 2, 3, 1.0, 3.0, NULL);

		CheckKmeansCase("one cloud, k = 8 (many moving rows)", x, n, 2, 8, 3, 11, 8);
		CheckKmeansCase("one cloud, k = 70", x, n, 2, 70, 1, 12, 70);
		free(x);
	}
	{
		int64_t		n = 300;
		double	   *x = Blobs(&r, n, 33, 6, 2.0, 1.0, NULL);

		CheckKmeansCase("d = 33", x, n, 33, 6, 2, 13, 6);
		free(x);
	}
	{
		int64_t		n = 257;
		double	   *x = Blobs(&r, n, 1, 4, 5.0, 1.0, NULL);

		CheckKmeansCase("d = 1", x, n, 1, 4, 4, 14, 4);
		free(x);
	}
	{
		/* integer grid: many exact ties between centers */
		int64_t		n = 400;
		int			d = 2;
		double	   *x = Xcalloc(n * d, sizeof(double));

		for (int64_t i = 0; i < n * d; i++)
			x[i] = (double) RngInt(&r, 6);
		CheckKmeansCase("integer grid, ties", x, n, d, 7, 4, 15, 7);
		CheckKmeansCase("integer grid, ties, k = 36 = distinct points", x, n, d, 36, 2, 16, 36);
		free(x);
	}
	{
		/* duplicate points: 5 distinct rows, each repeated */
		int64_t		n = 40;
		int			d = 3;
		double	   *x = Xcalloc(n * d, sizeof(double));
		double		pts[5][3] = {{0, 0, 0}, {1, 0, 0}, {0, 5, 0}, {3, 3, 3}, {-2, 1, 7}};

		for (int64_t i = 0; i < n; i++)
			memcpy(x + i * d, pts[(i * 7) % 5], sizeof(double) * d);
		CheckKmeansCase("duplicate points, k = 3", x, n, d, 3, 3, 17, 3);
		CheckKmeansCase("duplicate points, k = 5 = distinct points", x, n, d, 5, 3, 18, 5);
		CheckKmeansCase("fewer distinct points (5) than k = 8", x, n, d, 8, 2, 19, 5);
		CheckKmeansCase("fewer distinct points (5) than k = n = 40", x, n, d, 40, 1, 20, 5);
		free(x);
	}
	{
		/* k = n on distinct points: each row its own cluster, inertia 0 */
		int64_t		n = 12;
		int			d = 2;
		double	   *x = Blobs(&r, n, d, 3, 4.0, 1.0, NULL);
		UsKmeansResult res;

		CheckKmeansCase("k = n = 12", x, n, d, 12, 2, 21, 12);
		RunKmeans(x, n, d, 12, 1, 21, false, NULL, &res);
		Check(res.inertia == 0.0, "kmeans k = n: inertia %g is 0", res.inertia);
		FreeResult(&res);
		CheckKmeansCase("n = 1, k = 1", x, 1, d, 1, 1, 22, 1);
		CheckKmeansCase("n = 2, k = 2", x, 2, d, 2, 1, 23, 2);
		free(x);
	}
	{
		/* every row the same */
		int64_t		n = 30;
		int			d = 2;
		double	   *x = Xcalloc(n * d, sizeof(double));

		for (int64_t i = 0; i < n * d; i++)
			x[i] = 1.5;
		CheckKmeansCase("every row the same, k = 4", x, n, d, 4, 2, 24, 1);
		free(x);
	}
	{
		/* given initial centers: one run from them, result as plain from them */
		int64_t		n = 300;
		int			d = 3;
		double	   *x = Blobs(&r, n, d, 4, 6.0, 1.5, NULL);
		double		init[12];
		UsKmeansResult a,
					b;
		Errs		e = {0};

		memcpy(init, x, sizeof(init));	/* the first 4 rows, one per blob */
		RunKmeans(x, n, d, 4, 5, 25, false, init, &a);
		RunKmeans(x, n, d, 4, 5, 26, true, init, &b);
		CheckKmeansResult(&e, x, n, d, 4, &a);
		if (memcmp(a.labels, b.labels, sizeof(int32_t) * n) != 0 || !Close(a.inertia, b.inertia, 1e-12, DBL_MIN))
			Err(&e, "bounds and plain differ from given centers");
		Check(e.count == 0, "kmeans from given centers: bounded = plain, whatever the seed");
		FreeResult(&a);
		FreeResult(&b);
		free(x);
	}
	{
		/* more rows than US_CHECK_EVERY: interrupts are checked inside the passes */
		int64_t		n = 3 * US_CHECK_EVERY + 17;
		double	   *x = Blobs(&r, n, 2, 6, 5.0, 1.5, NULL);
		int64_t		checks = tracker.checks;
		UsKmeansResult a;

		CheckKmeansCase("n = 3 US_CHECK_EVERY + 17", x, n, 2, 6, 2, 27, 6);
		checks = tracker.checks;
		RunKmeans(x, n, 2, 6, 1, 27, false, NULL, &a);
		Check(tracker.checks - checks >= 3 * (int64_t) a.iterations,
			  "kmeans checks interrupts in every pass over %ld rows (%ld checks, %d iterations)",
			  (long) n, (long) (tracker.checks - checks), a.iterations);
		FreeResult(&a);
		free(x);
	}
	{
		/* many seeds on overlapping data, where bounds matter most */
		int			bad = 0;
		int			runs = 0;

		for (uint64_t seed = 100; seed < 130; seed++)
		{
			int64_t		n = 50 + RngInt(&r, 250);
			int			d = 1 + (int) RngInt(&r, 6);
			int			k = 2 + (int) RngInt(&r, 12);
			double	   *x = Blobs(&r, n, d, 1 + (int) RngInt(&r, 6), 3.0, 2.0, NULL);
			UsKmeansResult a,
						b;
			Errs		e = {0};

			RunKmeans(x, n, d, k, 2, seed, false, NULL, &a);
			RunKmeans(x, n, d, k, 2, seed, true, NULL, &b);
			CheckKmeansResult(&e, x, n, d, k, &a);
			if (memcmp(a.labels, b.labels, sizeof(int32_t) * n) != 0 ||
				!Close(a.inertia, b.inertia, 1e-12, DBL_MIN))
				Err(&e, "seed %lu (n = %ld, d = %d, k = %d): bounds and plain differ",
					(unsigned long) seed, (long) n, d, k);
			bad += e.count > 0;
			runs++;
			FreeResult(&a);
			FreeResult(&b);
			free(x);
		}
		Check(bad == 0, "kmeans bounded = plain on %d random overlapping data sets (%d differ)",
			  runs, bad);
	}
}

/* ---------------------------------------------------------------- assignment */

static double best_cost;

static void
Permute(const double *cost, int n, int *perm, int depth, double acc)
{
	if (depth == n)
	{
		if (acc < best_cost)
			best_cost = acc;
		return;
	}
	for (int i = depth; i < n; i++)
	{
		int			t = perm[depth];

		perm[depth] = perm[i];
		perm[i] = t;
		Permute(cost, n, perm, depth + 1, acc + cost[depth * n + perm[depth]]);
		perm[i] = perm[depth];
		perm[depth] = t;
	}
}

static void
TestAssignment(void)
{
	Rng			r = {4};
	int			bad = 0,
				cases = 0;

	for (int n = 1; n <= 7; n++)
		for (int rep = 0; rep < 25; rep++)
		{
			double		cost[49];
			int			assign[7];
			int			perm[7];
			bool		seen[7] = {0};
			double		total = 0.0;
			int64_t		live = tracker.live;
			bool		okc = true;

			for (int i = 0; i < n * n; i++)
			{
				switch (rep % 4)
				{
					case 0:
						cost[i] = RngUniform(&r);
						break;
					case 1:
						cost[i] = (double) RngInt(&r, 3);	/* many ties */
						break;
					case 2:
						cost[i] = (RngUniform(&r) - 0.5) * 1e6; /* negative too */
						break;
					default:
						cost[i] = RngUniform(&r) * RngUniform(&r) * 1e-3;
				}
			}
			for (int i = 0; i < n; i++)
				perm[i] = i;
			best_cost = INFINITY;
			Permute(cost, n, perm, 0, 0.0);
			UsMinCostAssignment(&core, cost, n, assign);
			for (int i = 0; i < n; i++)
			{
				if (assign[i] < 0 || assign[i] >= n || seen[assign[i]])
				{
					okc = false;
					break;
				}
				seen[assign[i]] = true;
				total += cost[i * n + assign[i]];
			}
			if (okc && !Close(total, best_cost, 1e-12, 1e-300))
				okc = false;
			if (tracker.live != live)
				okc = false;
			if (!okc)
			{
				if (bad < 5)
					Diag("  n = %d, rep %d: cost %.17g, brute force %.17g", n, rep, total, best_cost);
				bad++;
			}
			cases++;
		}
	Check(bad == 0, "min-cost assignment = brute force over all permutations, n = 1..7 (%d cases, %d wrong)",
		  cases, bad);
}

/*
 * Run fn in a child process with a time limit: returns 0 if it returned true, 1 if
 * it was still running after the limit, 2 if it returned false or failed otherwise.
 * Keeps a call that never returns from stopping the whole program.
 */
static int
InChild(bool (*fn) (void), unsigned seconds)
{
	pid_t		pid;
	int			status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
	{
		alarm(seconds);
		_exit(fn() ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return 1;
	return 2;
}

/* Whether assign is a permutation of 0..n-1; total cost in *total */
static bool
IsPermutation(const int *assign, int n, const double *cost, double *total)
{
	bool		seen[16] = {0};

	*total = 0.0;
	for (int i = 0; i < n; i++)
	{
		if (assign[i] < 0 || assign[i] >= n || seen[assign[i]])
			return false;
		seen[assign[i]] = true;
		*total += cost[i * n + assign[i]];
	}
	return true;
}

/* A row whose every cost is infinite (a squared distance that overflowed) */
static bool
AssignInfiniteRow(void)
{
	double		cost[4] = {INFINITY, INFINITY, 1.0, 2.0};
	int			assign[2];
	double		total;

	UsMinCostAssignment(&core, cost, 2, assign);
	return IsPermutation(assign, 2, cost, &total);
}

/* Infinite costs off a finite assignment: that one is found */
static bool
AssignInfiniteOffPath(void)
{
	double		cost[9] = {INFINITY, 1.0, INFINITY,
						   INFINITY, INFINITY, 2.0,
						   3.0, INFINITY, 7.0};
	double		cost2[16] = {INFINITY, INFINITY, INFINITY, INFINITY,
							 INFINITY, 5.0, INFINITY, INFINITY,
							 NAN, INFINITY, INFINITY, 1.0,
							 INFINITY, NAN, 4.0, INFINITY};
	int			assign[4];
	double		total;

	UsMinCostAssignment(&core, cost, 3, assign);
	if (!IsPermutation(assign, 3, cost, &total) || total != 6.0)
		return false;
	UsMinCostAssignment(&core, cost2, 4, assign);
	return IsPermutation(assign, 4, cost2, &total);
}

/* Costs near the top of the double range */
static bool
AssignHugeCosts(void)
{
	double		cost[9] = {1e308, 1.7e308, 1e300, 1.7e308, 1e308, 1e308, 1e307, 1.7e308, 1.7e308};
	double		neg[9] = {-1.7e308, 1.7e308, 1e300, 1.7e308, -1e308, 1e308, 1e307, 1.7e308, -1.7e308};
	int			assign[3];
	double		total;

	UsMinCostAssignment(&core, cost, 3, assign);
	if (!IsPermutation(assign, 3, cost, &total))
		return false;
	UsMinCostAssignment(&core, neg, 3, assign);
	return IsPermutation(assign, 3, neg, &total);
}

static const char *
ChildResult(int rc)
{
	return rc == 0 ? "returned a right assignment" :
		rc == 1 ? "still looping after 2 s" : "wrong assignment or failed";
}

static void
TestAssignmentEdges(void)
{
	int			rc;

	rc = InChild(AssignInfiniteRow, 2);
	Check(rc == 0, "min-cost assignment with a row of infinite costs: %s", ChildResult(rc));
	rc = InChild(AssignInfiniteOffPath, 2);
	Check(rc == 0, "min-cost assignment with infinite and NaN costs off a finite assignment: %s",
		  ChildResult(rc));
	rc = InChild(AssignHugeCosts, 2);
	Check(rc == 0, "min-cost assignment with costs near +-DBL_MAX: %s", ChildResult(rc));
}

/* ---------------------------------------------------------------- fuzz */

typedef struct FuzzStats
{
	int			cases;
	int			failures;
	int			huge;			/* cases whose values could overflow squares */
	int			zscore_nan;		/* zscore scales that came out NaN */
} FuzzStats;

static void
FuzzOne(Rng *r, FuzzStats *st, uint64_t case_seed)
{
	Rng			cr = {case_seed};
	int64_t		n = 1 + RngInt(&cr, RngInt(&cr, 4) == 0 ? 400 : 70);
	int			d = 1 + (int) RngInt(&cr, RngInt(&cr, 3) == 0 ? 40 : 5);
	int			maxlab = (int) RngInt(&cr, n < 100 ? n : 100) + 1;
	double	   *x = Xcalloc((size_t) n * d, sizeof(double));
	double	   *colmag = Xcalloc(d, sizeof(double));
	int32_t    *lab = Xcalloc(n, sizeof(int32_t));
	double	   *c = Xcalloc(d, sizeof(double));
	double	   *s = Xcalloc(d, sizeof(double));
	double	   *per = Xcalloc(n, sizeof(double));
	double		maxabs = 0.0;
	int			k;
	bool		safe;
	UsMatrix	m = {n, d, x};
	int64_t		live = tracker.live;
	Errs		e = {0};

	(void) r;
	/* per-column magnitude 10^[-300, 300], or moderate; some discrete columns */
	for (int j = 0; j < d; j++)
		colmag[j] = RngInt(&cr, 3) == 0 ? pow(10.0, (RngUniform(&cr) * 600.0) - 300.0) :
			pow(10.0, RngUniform(&cr) * 6.0 - 3.0);
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
		{
			double		v = RngInt(&cr, 4) == 0 ? (double) RngInt(&cr, 3) : RngNormal(&cr);

			x[i * d + j] = v * colmag[j];
			maxabs = fmax(maxabs, fabs(x[i * d + j]));
		}
	if (RngInt(&cr, 5) == 0 && n > 1)
		/* duplicate rows */
		for (int64_t i = 1; i < n; i += 2)
			memcpy(x + i * d, x + (i - 1) * d, sizeof(double) * d);
	/* labels with gaps, renumbered */
	for (int64_t i = 0; i < n; i++)
		lab[i] = (int32_t) (RngInt(&cr, maxlab) * 3);
	k = Renumber(lab, n, maxlab * 3);
	/* every sum of squares stays finite below this */
	safe = maxabs < 1e150;
	if (!safe)
		st->huge++;

	for (int mi = 0; mi <= 3; mi++)
	{
		UsScaleFit(&core, &m, (UsScaleMethod) mi, c, s);
		for (int j = 0; j < d; j++)
		{
			/*
			 * zscore's moments are taken on huge columns times a power of two:
			 * its center and scale are finite for every finite column (a
			 * population standard deviation is at most half the range)
			 */
			if (mi == US_SCALE_ZSCORE && isnan(s[j]))
				st->zscore_nan++;
			if (!isfinite(c[j]) || !(s[j] > 0))
				Err(&e, "case %lu: %s column %d: center %g scale %g", (unsigned long) case_seed,
					MethodName(mi), j, c[j], s[j]);
			else if ((mi == US_SCALE_ZSCORE || safe) && !isfinite(s[j]))
				Err(&e, "case %lu: %s column %d: scale %g", (unsigned long) case_seed,
					MethodName(mi), j, s[j]);
		}
	}
	if (k >= 2)
	{
		double		sil = UsSilhouette(&core, &m, lab, k, per);

		if (safe && n <= 150)
		{
			double	   *nper = Xcalloc(n, sizeof(double));
			double		nsil;

			NaiveSilhouette(x, n, d, lab, k, nper, &nsil);
			for (int64_t i = 0; i < n; i++)
				if (!Close(per[i], nper[i], 1e-10, 1.0))
				{
					Err(&e, "case %lu: silhouette of row %ld %.17g, naive %.17g",
						(unsigned long) case_seed, (long) i, per[i], nper[i]);
					break;
				}
			free(nper);
		}
		/* in [-1, 1] whatever the magnitudes: huge rows are scored scaled down */
		if (!(sil >= -1.0 && sil <= 1.0))
			Err(&e, "case %lu: silhouette %g", (unsigned long) case_seed, sil);
		for (int64_t i = 0; i < n; i++)
			if (!(per[i] >= -1.0 && per[i] <= 1.0))
			{
				Err(&e, "case %lu: silhouette of row %ld %g", (unsigned long) case_seed, (long) i, per[i]);
				break;
			}
		{
			double		ch = UsCalinskiHarabasz(&core, &m, lab, k);
			double		db = UsDaviesBouldin(&core, &m, lab, k);

			/* CH is n-k / 0 = NaN when k = n: sklearn's too; not checked */
			if (safe && k < n && !(ch >= 0 && isfinite(ch)))
				Err(&e, "case %lu: Calinski-Harabasz %g (k = %d)", (unsigned long) case_seed, ch, k);
			if (safe && !(db >= 0 && isfinite(db)))
				Err(&e, "case %lu: Davies-Bouldin %g", (unsigned long) case_seed, db);
			/* huge rows: never NaN (an Infinity is the caller's 22003) */
			if (!(db >= 0) || (k < n && !(ch >= 0)))
				Err(&e, "case %lu: Calinski-Harabasz %g, Davies-Bouldin %g", (unsigned long) case_seed, ch, db);
		}
	}
	{
		double		in = UsInertia(&core, &m, lab, k);

		if ((safe && !isfinite(in)) || !(in >= 0))
			Err(&e, "case %lu: inertia %g", (unsigned long) case_seed, in);
	}
	{
		int			kk = 1 + (int) RngInt(&cr, n < 20 ? n : 20);
		UsKmeansResult res;
		Rng			kr = {case_seed ^ 0x5555};
		UsKmeansParams p = {0};

		p.k = kk;
		p.n_init = 1 + (int) RngInt(&cr, 3);
		p.max_iter = 1 + (int) RngInt(&cr, 50);
		p.tol = RngInt(&cr, 2) ? 0.0 : 1e-4;
		p.uniform = RngUniformCb;
		p.rng_arg = &kr;
		p.plain = RngInt(&cr, 4) == 0;
		memset(&res, 0, sizeof(res));
		UsKmeans(&core, &m, &p, &res);
		for (int64_t i = 0; i < n; i++)
			if (res.labels[i] < 0 || res.labels[i] >= kk)
			{
				Err(&e, "case %lu: kmeans label %d of row %ld", (unsigned long) case_seed,
					res.labels[i], (long) i);
				break;
			}
		if (safe && !(res.inertia >= 0 && isfinite(res.inertia)))
			Err(&e, "case %lu: kmeans inertia %g", (unsigned long) case_seed, res.inertia);
		if (res.nonempty < 1 || res.nonempty > kk)
			Err(&e, "case %lu: kmeans nonempty %d", (unsigned long) case_seed, res.nonempty);
		if (safe)
		{
			/* the same run without bounds */
			UsKmeansResult pr;

			kr.s = case_seed ^ 0x5555;
			p.plain = !p.plain;
			memset(&pr, 0, sizeof(pr));
			UsKmeans(&core, &m, &p, &pr);
			if (memcmp(res.labels, pr.labels, sizeof(int32_t) * n) != 0 ||
				!Close(res.inertia, pr.inertia, 1e-12, DBL_MIN))
				Err(&e, "case %lu: kmeans (k = %d, max_iter %d, tol %g) with and without bounds differ: inertia %.17g, %.17g",
					(unsigned long) case_seed, kk, p.max_iter, p.tol, res.inertia, pr.inertia);
			FreeResult(&pr);
		}
		if (kk <= 6)
		{
			/* match the centers to random previous ones, as kmeans.c does */
			double		cost[36];
			int			assign[6];
			int			perm[6];
			double		total = 0.0;
			bool		finite = true;

			for (int a = 0; a < kk; a++)
				for (int b = 0; b < kk; b++)
				{
					double		sq = 0.0;

					for (int j = 0; j < d; j++)
					{
						double		t = res.centers[a * d + j] - x[RngInt(&cr, n) * d + j];

						sq += t * t;
					}
					cost[a * kk + b] = sq;
					finite = finite && isfinite(sq);
				}
			/* infinite costs: checked above, brute force cannot rank them */
			if (finite)
			{
				UsMinCostAssignment(&core, cost, kk, assign);
				for (int a = 0; a < kk; a++)
					total += cost[a * kk + assign[a]];
				for (int a = 0; a < kk; a++)
					perm[a] = a;
				best_cost = INFINITY;
				Permute(cost, kk, perm, 0, 0.0);
				if (!Close(total, best_cost, 1e-12, DBL_MIN))
					Err(&e, "case %lu: assignment cost %.17g, brute force %.17g",
						(unsigned long) case_seed, total, best_cost);
			}
		}
		FreeResult(&res);
	}
	if (tracker.live != live || tracker.bad_free != 0)
		Err(&e, "case %lu: %ld allocations left, %ld bad frees", (unsigned long) case_seed,
			(long) (tracker.live - live), (long) tracker.bad_free);
	st->cases++;
	if (e.count)
	{
		st->failures++;
		Diag("  fuzz case seed %lu: n = %ld, d = %d, k = %d, max |x| = %g",
			 (unsigned long) case_seed, (long) n, d, k, maxabs);
	}
	free(x);
	free(colmag);
	free(lab);
	free(c);
	free(s);
	free(per);
}

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- group moments */

static void
FreeGroupStats(UsGroupStats *st)
{
	UsFree(&core, st->count);
	UsFree(&core, st->sum);
	UsFree(&core, st->mean);
	UsFree(&core, st->m2);
	UsFree(&core, st->min);
	UsFree(&core, st->max);
}

/*
 * UsGroupMoments against a naive per group loop: NaN cells and rows in no group
 * (-1) left out, row k for every grouped row; overflow reports the column
 */
static void
TestGroupMoments(void)
{
	Rng			r = {11};
	int64_t		n = 5000;
	int			d = 3;
	int			k = 4;
	double	   *x = Xcalloc((size_t) n * d, sizeof(double));
	int32_t    *g = Xcalloc((size_t) n, sizeof(int32_t));
	UsMatrix	m = {n, d, x};
	UsGroupStats st;
	Errs		e = {0};
	int			bad;
	double		huge[4] = {1e308, 1, -1e308, 2};
	int32_t		g2[2] = {0, 0};

	for (int64_t i = 0; i < n; i++)
	{
		g[i] = (int32_t) RngInt(&r, k + 1) - 1;
		for (int j = 0; j < d; j++)
			x[i * d + j] = RngUniform(&r) < 0.05 ? NAN : 1e6 + RngNormal(&r) * (j + 1);
	}
	bad = UsGroupMoments(&core, &m, g, k, &st);
	for (int c = 0; c <= k; c++)
		for (int j = 0; j < d; j++)
		{
			int64_t		cnt = 0;
			double		sum = 0,
						ss = 0,
						lo = INFINITY,
						hi = -INFINITY,
						mean;
			size_t		cell = (size_t) c * d + j;

			for (int64_t i = 0; i < n; i++)
				if (g[i] >= 0 && (c == k || g[i] == c) && !isnan(x[i * d + j]))
				{
					cnt++;
					sum += x[i * d + j];
					lo = fmin(lo, x[i * d + j]);
					hi = fmax(hi, x[i * d + j]);
				}
			mean = sum / (double) cnt;
			for (int64_t i = 0; i < n; i++)
				if (g[i] >= 0 && (c == k || g[i] == c) && !isnan(x[i * d + j]))
					ss += (x[i * d + j] - mean) * (x[i * d + j] - mean);
			if (st.count[cell] != cnt || !Close(st.mean[cell], mean, 1e-12, 1) ||
				!Close(st.m2[cell], ss, 1e-9, 1) || st.min[cell] != lo || st.max[cell] != hi)
				Err(&e, "group %d column %d: count %ld/%ld mean %.17g/%.17g m2 %.17g/%.17g",
					c, j, (long) st.count[cell], (long) cnt, st.mean[cell], mean,
					st.m2[cell], ss);
		}
	Check(bad == -1 && e.count == 0,
		  "group moments: counts, means, squared deviations and extrema per group and overall match a naive loop");
	FreeGroupStats(&st);

	/* a column whose sum of squares overflows is reported, the finite one is not */
	m.n = 2;
	m.d = 2;
	m.x = huge;
	bad = UsGroupMoments(&core, &m, g2, 1, &st);
	Check(bad == 0, "group moments: the column whose squares overflow float8 is reported (%d)", bad);
	FreeGroupStats(&st);
	free(x);
	free(g);
}

/* ---------------------------------------------------------------- neighbours, DBSCAN */

/* Squared distance in column order (the index's own sum) */
static double
NaiveSq(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
		s += (a[j] - b[j]) * (a[j] - b[j]);
	return s;
}

/*
 * DBSCAN written from scikit-learn's code: every neighbourhood materialized
 * (O(n^2)), weights summed per neighbourhood, then _dbscan_inner's expansion with a
 * stack from each unlabelled core row in row order
 */
static void
NaiveDbscan(const double *x, int64_t n, int d, double eps, double min_samples,
			const double *w, int32_t *labels, bool *is_core)
{
	int64_t    *stack = Xcalloc((size_t) n * n + 1, sizeof(int64_t));
	int64_t		top = 0;
	int32_t		label = 0;

	for (int64_t i = 0; i < n; i++)
	{
		double		s = 0.0;

		for (int64_t j = 0; j < n; j++)
			if (NaiveSq(x + i * d, x + j * d, d) <= eps * eps)
				s += w ? w[j] : 1.0;
		is_core[i] = s >= min_samples;
		labels[i] = -1;
	}
	for (int64_t i0 = 0; i0 < n; i0++)
	{
		int64_t		i = i0;

		if (labels[i] != -1 || !is_core[i])
			continue;
		for (;;)
		{
			if (labels[i] == -1)
			{
				labels[i] = label;
				if (is_core[i])
					for (int64_t j = 0; j < n; j++)
						if (labels[j] == -1 && NaiveSq(x + i * d, x + j * d, d) <= eps * eps)
							stack[top++] = j;
			}
			if (top == 0)
				break;
			i = stack[--top];
		}
		label++;
	}
	free(stack);
}

typedef struct CollectArg
{
	char	   *seen;
	int64_t		count;
	bool		bad_dist;
	const double *q;
	const double *x;
	int			d;
} CollectArg;

static bool
CollectVisit(void *arg, int64_t j, double sq)
{
	CollectArg *c = arg;

	c->seen[j]++;
	c->count++;
	if (sq != NaiveSq(c->q, c->x + j * c->d, c->d))
		c->bad_dist = true;
	return true;
}

/* Radius and k-NN queries of every kind against a naive scan; returns failures */
static int
CheckNeighbors(const double *x, int64_t n, int d, double r, int knn, uint64_t seed,
			   Errs *e)
{
	UsMatrix	m = {n, d, (double *) x};
	char	   *seen = Xcalloc(n, 1);
	int64_t    *idx = Xcalloc(knn + 1, sizeof(int64_t));
	double	   *sq = Xcalloc(knn + 1, sizeof(double));
	double	   *all = Xcalloc(n, sizeof(double));
	int			before = e->count;

	for (int kind = US_NN_GRID; kind <= US_NN_BRUTE; kind++)
	{
		UsNeighbors ix;

		UsNeighborsBuild(&core, &m, (UsNeighborKind) kind, r, &ix);
		for (int64_t i = 0; i < n; i += 1 + n / 40)
		{
			const double *q = x + i * d;
			CollectArg	c = {seen, 0, false, q, x, d};
			int			got;

			memset(seen, 0, n);
			(void) UsNeighborsRadius(&ix, q, r, CollectVisit, &c);
			for (int64_t j = 0; j < n; j++)
				if (seen[j] != (NaiveSq(q, x + j * d, d) <= r * r))
				{
					Err(e, "case %lu kind %d: row %ld in the radius of row %ld %d times",
						(unsigned long) seed, kind, (long) j, (long) i, seen[j]);
					break;
				}
			if (c.bad_dist)
				Err(e, "case %lu kind %d: a squared distance differs", (unsigned long) seed, kind);
			got = UsNeighborsKnn(&ix, q, knn, idx, sq);
			for (int64_t j = 0; j < n; j++)
				all[j] = NaiveSq(q, x + j * d, d);
			if (got != (knn < n ? knn : n))
				Err(e, "case %lu kind %d: %d neighbours", (unsigned long) seed, kind, got);
			for (int t = 0; t < got; t++)
			{
				/* the t-th of (distance, row) ascending */
				int64_t		rank = 0;

				for (int64_t j = 0; j < n; j++)
					rank += all[j] < all[idx[t]] || (all[j] == all[idx[t]] && j < idx[t]);
				if (rank != t || sq[t] != all[idx[t]])
				{
					Err(e, "case %lu kind %d: neighbour %d of row %ld is row %ld of rank %ld",
						(unsigned long) seed, kind, t, (long) i, (long) idx[t], (long) rank);
					break;
				}
			}
		}
		UsNeighborsFree(&ix);
	}
	free(seen);
	free(idx);
	free(sq);
	free(all);
	return e->count - before;
}

/* DBSCAN of every index kind against the naive one; returns failures */
static int
CheckDbscan(const double *x, int64_t n, int d, double eps, double min_samples,
			const double *w, uint64_t seed, Errs *e)
{
	UsMatrix	m = {n, d, (double *) x};
	int32_t    *want = Xcalloc(n, sizeof(int32_t));
	bool	   *want_core = Xcalloc(n, sizeof(bool));
	int			before = e->count;

	NaiveDbscan(x, n, d, eps, min_samples, w, want, want_core);
	for (int kind = US_NN_AUTO; kind <= US_NN_BRUTE; kind++)
	{
		UsDbscanParams p = {eps, min_samples, w, (UsNeighborKind) kind};
		UsDbscanResult res;
		int64_t		live = tracker.live;

		UsDbscan(&core, &m, &p, &res);
		for (int64_t i = 0; i < n; i++)
			if (res.labels[i] != want[i] || res.core[i] != want_core[i])
			{
				Err(e, "case %lu kind %d (n %ld d %d eps %g min_samples %g): row %ld label %d core %d, naive %d core %d",
					(unsigned long) seed, kind, (long) n, d, eps, min_samples, (long) i,
					res.labels[i], res.core[i], want[i], want_core[i]);
				break;
			}
		UsFree(&core, res.labels);
		UsFree(&core, res.core);
		if (tracker.live != live)
			Err(e, "case %lu kind %d: %ld allocations left", (unsigned long) seed, kind,
				(long) (tracker.live - live));
	}
	free(want);
	free(want_core);
	return e->count - before;
}

/* Random rows for the neighbour checks: blobs, a lattice (ties), duplicates */
static double *
NeighborData(Rng *r, int64_t n, int d, int shape)
{
	double	   *x;

	if (shape == 0)
		return Blobs(r, n, d, 1 + (int) RngInt(r, 5), 3.0, 0.5 + RngUniform(r), NULL);
	x = Xcalloc((size_t) n * d, sizeof(double));
	for (int64_t i = 0; i < n * d; i++)
		x[i] = shape == 1 ? (double) RngInt(r, 6) * 0.5 : (double) RngInt(r, 3);
	return x;
}

static void
TestNeighbors(void)
{
	Rng			r = {41};
	Errs		e = {0};
	static const int dims[] = {1, 2, 3, 4, 8, 30};

	for (int c = 0; c < 36; c++)
	{
		int			d = dims[c % 6];
		int64_t		n = 1 + RngInt(&r, 300);
		double	   *x = NeighborData(&r, n, d, c / 6 % 3);

		CheckNeighbors(x, n, d, 0.2 + RngUniform(&r) * 1.5, 1 + (int) RngInt(&r, 12),
					   (uint64_t) c, &e);
		free(x);
	}
	Check(e.count == 0,
		  "neighbour index: radius and k-NN queries of the grid, the k-d tree and brute force match a naive scan (1 to 30 columns, ties, duplicates)");
}

static void
TestDbscan(void)
{
	Rng			r = {43};
	Errs		e = {0};
	static const int dims[] = {1, 2, 3, 5, 8, 30};
	int			fails = 0;

	for (int c = 0; c < 48; c++)
	{
		int			d = dims[c % 6];
		int64_t		n = 1 + RngInt(&r, 250);
		double	   *x = NeighborData(&r, n, d, c / 6 % 3);
		double		eps = c / 6 % 3 == 1 ? 0.5 * (1 + (double) RngInt(&r, 3)) :
			0.1 + RngUniform(&r) * 1.2;

		fails += CheckDbscan(x, n, d, eps, 1 + (double) RngInt(&r, 10), NULL, (uint64_t) c, &e);
		free(x);
	}
	Check(fails == 0,
		  "dbscan: labels and core rows of every index kind equal a naive DBSCAN with scikit-learn's expansion (eps at lattice distances, duplicates, min_samples 1 to 10)");

	/* sample weights, negative ones included */
	fails = 0;
	for (int c = 0; c < 12; c++)
	{
		int			d = 1 + c % 3;
		int64_t		n = 2 + RngInt(&r, 150);
		double	   *x = NeighborData(&r, n, d, c % 3);
		double	   *w = Xcalloc(n, sizeof(double));

		for (int64_t i = 0; i < n; i++)
			w[i] = c % 2 ? (double) RngInt(&r, 4) : RngUniform(&r) * 3 - 0.5;
		fails += CheckDbscan(x, n, d, 0.6, 1 + (double) RngInt(&r, 6), w, 100 + (uint64_t) c, &e);
		free(x);
		free(w);
	}
	Check(fails == 0, "dbscan: sample weights (zero and negative ones included) as the naive DBSCAN");

	/* a border row reachable from two clusters joins the lower-numbered one */
	{
		double		x[] = {0, 0.1, 0.2, 1.0, 1.8, 1.9, 2.0};
		UsMatrix	m = {7, 1, x};
		UsDbscanParams p = {0.85, 4, NULL, US_NN_AUTO};
		UsDbscanResult res;

		UsDbscan(&core, &m, &p, &res);
		Check(res.labels[3] == 0 && res.labels[6] == 1 && !res.core[3] && res.k == 2,
			  "dbscan: a border row within eps of two clusters joins cluster 0 (%d), the other is 1 (%d)",
			  res.labels[3], res.labels[6]);
		UsFree(&core, res.labels);
		UsFree(&core, res.core);
	}
	/* no rows; one row; huge magnitudes (the grid cannot be built: the k-d tree) */
	{
		double		big[] = {-1e300, 0, 1e300, 1, 1e300, 1.5};
		UsMatrix	m = {3, 2, big};
		UsDbscanParams p = {1.0, 2, NULL, US_NN_GRID};
		UsDbscanResult res;

		UsDbscan(&core, &m, &p, &res);
		Check(res.labels[0] == -1 && res.labels[1] == 0 && res.labels[2] == 0 && res.noise == 1,
			  "dbscan: rows 1e300 apart (no grid fits) cluster as the naive DBSCAN");
		UsFree(&core, res.labels);
		UsFree(&core, res.core);
		m.n = 0;
		UsDbscan(&core, &m, &p, &res);
		Check(res.k == 0 && res.noise == 0, "dbscan: no rows, no clusters");
		UsFree(&core, res.labels);
		UsFree(&core, res.core);
	}
	/* interrupts are checked within a query of a dense cell */
	{
		int64_t		n = 3000;
		double	   *x = Xcalloc((size_t) n * 2, sizeof(double));
		UsMatrix	m = {n, 2, x};
		UsDbscanParams p = {0.5, (double) n + 1, NULL, US_NN_AUTO};
		UsDbscanResult res;
		int64_t		checks = tracker.checks;

		UsDbscan(&core, &m, &p, &res);
		Check(res.noise == n && tracker.checks - checks >= n * n / US_CHECK_EVERY / 2,
			  "dbscan: %ld interrupt checks over %ld rows in one cell (never core), about one per US_CHECK_EVERY distances",
			  (long) (tracker.checks - checks), (long) n);
		UsFree(&core, res.labels);
		UsFree(&core, res.core);
		free(x);
	}
}

/* ---------------------------------------------------------------- agglomerative */

/*
 * The naive agglomerative clustering: at each step the closest pair of live clusters
 * by the linkage's definition computed from the rows (O(n^2) pairs of rows per step,
 * O(n^3) in all); merges in that order (non-decreasing for these four linkages).
 * members[i] is row i's cluster (a row number of the cluster).  Returns into a[],
 * b[] (row representatives) and dist[].
 */
static double
NaiveLinkageDist(const double *x, int64_t n, int d, const int64_t *member, int64_t ca,
				 int64_t cb, UsLinkage linkage)
{
	double		acc = linkage == US_LINKAGE_SINGLE ? INFINITY : 0.0;
	int64_t		na = 0;
	int64_t		nb = 0;

	if (linkage == US_LINKAGE_WARD)
	{
		double	   *c = Xcalloc((size_t) 2 * d, sizeof(double));
		double		sq = 0.0;

		for (int64_t i = 0; i < n; i++)
		{
			double	   *ci = member[i] == ca ? c : (member[i] == cb ? c + d : NULL);

			if (!ci)
				continue;
			if (member[i] == ca)
				na++;
			else
				nb++;
			for (int j = 0; j < d; j++)
				ci[j] += x[i * d + j];
		}
		for (int j = 0; j < d; j++)
		{
			double		t = c[j] / na - c[d + j] / nb;

			sq += t * t;
		}
		free(c);
		return sqrt(2.0 * na * nb / (na + nb) * sq);
	}
	for (int64_t i = 0; i < n; i++)
	{
		if (member[i] != ca)
			continue;
		na++;
		nb = 0;
		for (int64_t j = 0; j < n; j++)
		{
			double		dd;

			if (member[j] != cb)
				continue;
			nb++;
			dd = sqrt(NaiveSq(x + i * d, x + j * d, d));
			if (linkage == US_LINKAGE_SINGLE)
				acc = dd < acc ? dd : acc;
			else if (linkage == US_LINKAGE_COMPLETE)
				acc = dd > acc ? dd : acc;
			else
				acc += dd;
		}
	}
	return linkage == US_LINKAGE_AVERAGE ? acc / ((double) na * nb) : acc;
}

static void
NaiveAgglo(const double *x, int64_t n, int d, UsLinkage linkage, int64_t *a, int64_t *b,
		   double *dist)
{
	int64_t    *member = Xcalloc((size_t) n, sizeof(int64_t));

	for (int64_t i = 0; i < n; i++)
		member[i] = i;
	for (int64_t k = 0; k < n - 1; k++)
	{
		double		best = INFINITY;
		int64_t		ba = -1;
		int64_t		bb = -1;

		for (int64_t ca = 0; ca < n; ca++)
		{
			if (member[ca] != ca)
				continue;
			for (int64_t cb = ca + 1; cb < n; cb++)
			{
				double		dd;

				if (member[cb] != cb)
					continue;
				dd = NaiveLinkageDist(x, n, d, member, ca, cb, linkage);
				if (ba < 0 || dd < best)
				{
					best = dd;
					ba = ca;
					bb = cb;
				}
			}
		}
		a[k] = ba;
		b[k] = bb;
		dist[k] = best;
		for (int64_t i = 0; i < n; i++)
			if (member[i] == bb)
				member[i] = ba;
	}
	free(member);
}

/* Rows under each node: the leaves' smallest row (a node's identity), for comparing */
static void
TreeMinRows(const int64_t *children, int64_t n, int64_t *minrow, int64_t *err)
{
	int64_t    *used = Xcalloc((size_t) (2 * n), sizeof(int64_t));

	for (int64_t i = 0; i < n; i++)
		minrow[i] = i;
	for (int64_t i = 0; i < n - 1; i++)
	{
		int64_t		c0 = children[2 * i];
		int64_t		c1 = children[2 * i + 1];

		if (c0 < 0 || c1 < 0 || c0 >= n + i || c1 >= n + i || c0 == c1 || used[c0] || used[c1])
		{
			(*err)++;
			minrow[n + i] = 0;
			continue;
		}
		used[c0] = used[c1] = 1;
		minrow[n + i] = minrow[c0] < minrow[c1] ? minrow[c0] : minrow[c1];
	}
	free(used);
}

static const char *const linkage_names[] = {"ward", "complete", "average", "single"};

/*
 * One case: the tree is a tree (every node used once, sizes add up, distances
 * non-decreasing), the cut at every k is a partition into k numbered 0..k-1 whose
 * clusters are subtrees, and the threshold count agrees.  Without ties (exact = true)
 * the merges are the naive algorithm's: the same pairs of subtrees at distances within
 * 1e-9 relative, and the cut is the naive partition.
 */
static int
CheckAgglo(const double *x, int64_t n, int d, UsLinkage linkage, bool exact,
		   const char *what)
{
	UsMatrix	m = {n, d, (double *) x};
	UsAggloTree t;
	int64_t		errs = 0;
	int64_t    *minrow = Xcalloc((size_t) (2 * n), sizeof(int64_t));
	int32_t    *lab = Xcalloc((size_t) n, sizeof(int32_t));
	int64_t    *na = Xcalloc((size_t) n, sizeof(int64_t));
	int64_t    *nb = Xcalloc((size_t) n, sizeof(int64_t));
	double	   *nd = Xcalloc((size_t) n, sizeof(double));
	int64_t    *sz = Xcalloc((size_t) (2 * n), sizeof(int64_t));

	UsAgglo(&core, &m, linkage, NULL, &t);
	TreeMinRows(t.children, n, minrow, &errs);
	for (int64_t i = 0; i < n; i++)
		sz[i] = 1;
	for (int64_t i = 0; i < n - 1 && errs == 0; i++)
	{
		sz[n + i] = sz[t.children[2 * i]] + sz[t.children[2 * i + 1]];
		if (sz[n + i] != t.size[i] || !(t.distance[i] >= 0.0) ||
			(i > 0 && t.distance[i] < t.distance[i - 1]))
			errs++;
		if (linkage != US_LINKAGE_SINGLE && t.children[2 * i] > t.children[2 * i + 1])
			errs++;
	}
	if (exact && errs == 0 && n > 1)
	{
		/* the naive merges, as pairs of subtrees named by their smallest row */
		NaiveAgglo(x, n, d, linkage, na, nb, nd);
		for (int64_t i = 0; i < n - 1; i++)
		{
			int64_t		r0 = minrow[t.children[2 * i]];
			int64_t		r1 = minrow[t.children[2 * i + 1]];
			int64_t		lo = r0 < r1 ? r0 : r1;
			int64_t		hi = r0 < r1 ? r1 : r0;

			if (lo != na[i] || hi != nb[i] || !Close(t.distance[i], nd[i], 1e-9, 1e-300))
				errs++;
		}
	}
	for (int64_t k = 1; k <= n && errs == 0; k++)
	{
		int32_t    *seen = Xcalloc((size_t) n, sizeof(int32_t));
		int64_t		distinct = 0;

		UsAggloCut(&core, &t, k, lab);
		for (int64_t i = 0; i < n; i++)
		{
			if (lab[i] < 0 || lab[i] >= k)
			{
				errs++;
				break;
			}
			if (!seen[lab[i]]++)
				distinct++;
		}
		if (distinct != k)
			errs++;
		/* the clusters are the subtrees left when the last k - 1 merges are undone */
		for (int64_t i = 0; i < n - k && errs == 0; i++)
		{
			int64_t		c0 = t.children[2 * i];
			int64_t		c1 = t.children[2 * i + 1];

			if (lab[minrow[c0]] != lab[minrow[c1]])
				errs++;
		}
		free(seen);
	}
	if (n > 1 && errs == 0)
	{
		double		thr = t.distance[(n - 1) / 2];
		int64_t		want = 1;

		for (int64_t i = 0; i < n - 1; i++)
			want += t.distance[i] >= thr;
		if (UsAggloClustersAt(&t, thr) != want || UsAggloClustersAt(&t, INFINITY) != 1 ||
			UsAggloClustersAt(&t, 0.0) != n)
			errs++;
	}
	if (errs)
		Diag("agglomerative %s %s: n %ld, d %d: %ld errors", linkage_names[linkage], what,
			 (long) n, d, (long) errs);
	UsFree(&core, t.children);
	UsFree(&core, t.distance);
	UsFree(&core, t.size);
	free(sz);
	free(nd);
	free(nb);
	free(na);
	free(lab);
	free(minrow);
	return errs > 0;
}

static void
TestAgglo(void)
{
	Rng			r = {31};

	for (int l = 0; l < 4; l++)
	{
		int			fails = 0;
		int			cases = 0;

		for (int c = 0; c < 12; c++)
		{
			int64_t		n = 1 + RngInt(&r, 70);
			int			d = 1 + (int) RngInt(&r, 5);
			double	   *x = Xcalloc((size_t) (n * d), sizeof(double));

			for (int64_t i = 0; i < n * d; i++)
				x[i] = RngNormal(&r);
			fails += CheckAgglo(x, n, d, (UsLinkage) l, true, "normal");
			for (int64_t i = 0; i < n * d; i++)
				x[i] = (double) RngInt(&r, 3);
			fails += CheckAgglo(x, n, d, (UsLinkage) l, false, "ties");
			cases += 2;
			free(x);
		}
		Check(fails == 0, "agglomerative %s: %d cases against the naive O(n^3) version, %d failed",
			  linkage_names[l], cases, fails);
	}
	/* past the compaction threshold: the live clusters move down several times */
	{
		int64_t		n = 700;
		int			d = 3;
		double	   *x = Xcalloc((size_t) (n * d), sizeof(double));
		int			fails = 0;

		for (int64_t i = 0; i < n * d; i++)
			x[i] = RngNormal(&r);
		for (int l = 0; l < 4; l++)
			fails += CheckAgglo(x, n, d, (UsLinkage) l, n <= 200, "compacted");
		Check(fails == 0, "agglomerative: 700 rows, every linkage through its compactions");
		free(x);
	}
}

/* One fuzz case of agglomerative clustering: shapes, magnitudes, ties */
static int
FuzzAgglo(uint64_t case_seed)
{
	Rng			r = {case_seed * 104729};
	int			d = 1 + (int) RngInt(&r, 6);
	int64_t		n = 1 + RngInt(&r, 45);
	double		scale = ldexp(1.0, (int) RngInt(&r, 80) - 40);
	bool		ties = RngInt(&r, 2) == 0;
	double	   *x = Xcalloc((size_t) (n * d), sizeof(double));
	int			fails = 0;

	for (int64_t i = 0; i < n * d; i++)
		x[i] = (ties ? (double) RngInt(&r, 3) : RngNormal(&r)) * scale;
	fails += CheckAgglo(x, n, d, (UsLinkage) RngInt(&r, 4), !ties, "fuzz");
	free(x);
	return fails;
}

/* One fuzz case of the neighbour index and DBSCAN */
static int
FuzzDbscan(uint64_t case_seed)
{
	Rng			r = {case_seed * 7919};
	Errs		e = {0};
	int			d = 1 + (int) RngInt(&r, RngInt(&r, 3) == 0 ? 12 : 3);
	int64_t		n = 1 + RngInt(&r, 120);
	double	   *x = NeighborData(&r, n, d, (int) RngInt(&r, 3));
	double		scale = ldexp(1.0, (int) RngInt(&r, 80) - 40);
	double		eps = (0.05 + RngUniform(&r) * 2) * scale;

	for (int64_t i = 0; i < n * d; i++)
		x[i] *= scale;
	CheckDbscan(x, n, d, eps, 1 + (double) RngInt(&r, 8), NULL, case_seed, &e);
	CheckNeighbors(x, n, d, eps, 1 + (int) RngInt(&r, 10), case_seed, &e);
	free(x);
	return e.count;
}

/* ---------------------------------------------------------------- mean shift */

/* Squared distance in column order (scikit-learn's k-d tree's, the index's) */
static double
NaiveSqDist(const double *a, const double *b, int d)
{
	double		s = 0.0;

	for (int j = 0; j < d; j++)
		s += (a[j] - b[j]) * (a[j] - b[j]);
	return s;
}

/* estimate_bandwidth over every row, from the definition: sort every distance */
static double
NaiveBandwidth(const double *x, int64_t n, int d, double quantile)
{
	int64_t		k = (int64_t) ((double) n * quantile);
	double	   *dist = Xcalloc(n, sizeof(double));
	double		total = 0.0;

	k = k < 1 ? 1 : k;
	for (int64_t i = 0; i < n; i++)
	{
		for (int64_t j = 0; j < n; j++)
			dist[j] = NaiveSqDist(x + i * d, x + j * d, d);
		qsort(dist, n, sizeof(double), CmpDouble);
		total += sqrt(dist[k - 1]);
	}
	free(dist);
	return total / (double) n;
}

/*
 * scikit-learn's MeanShift.fit written out plainly: O(n^2) bins, full scans, plain
 * sums; returns k, labels[n] and centers (k x d, allocated) filled
 */
static int
NaiveMeanShift(const double *x, int64_t n, int d, double bw, bool bin_seeding,
			   int min_bin_freq, bool cluster_all, int max_iter, int32_t *labels,
			   double **centers_out, int *n_iter)
{
	double	   *seeds = Xcalloc((size_t) n * d, sizeof(double));
	int64_t    *freq = Xcalloc(n, sizeof(int64_t));
	double	   *bins = Xcalloc((size_t) n * d, sizeof(double));
	int64_t		nbins = 0;
	int64_t		nseeds = 0;
	double	   *cen = Xcalloc((size_t) n * d, sizeof(double));
	int64_t    *inten = Xcalloc(n, sizeof(int64_t));
	int64_t		nc = 0;
	double	   *mean = Xcalloc(d, sizeof(double));
	double	   *old = Xcalloc(d, sizeof(double));
	bool	   *uniq;
	int			k = 0;
	double	   *out;

	*n_iter = 0;
	if (bin_seeding)
	{
		for (int64_t i = 0; i < n; i++)
		{
			int64_t		b;

			for (b = 0; b < nbins; b++)
			{
				bool		same = true;

				for (int j = 0; j < d; j++)
					same = same && bins[b * d + j] == rint(x[i * d + j] / bw);
				if (same)
					break;
			}
			if (b == nbins)
			{
				for (int j = 0; j < d; j++)
					bins[b * d + j] = rint(x[i * d + j] / bw);
				nbins++;
			}
			freq[b]++;
		}
		for (int64_t b = 0; b < nbins; b++)
			if (freq[b] >= min_bin_freq)
			{
				for (int j = 0; j < d; j++)
					seeds[nseeds * d + j] = (double) ((float) bins[b * d + j] * (float) bw);
				nseeds++;
			}
	}
	if (!bin_seeding || nseeds == n)
	{
		memcpy(seeds, x, sizeof(double) * n * d);
		nseeds = n;
	}
	for (int64_t s = 0; s < nseeds; s++)
	{
		int			it = 0;
		int64_t		cnt = 0;

		memcpy(mean, seeds + s * d, sizeof(double) * d);
		for (;;)
		{
			double		moved = 0.0;

			cnt = 0;
			memcpy(old, mean, sizeof(double) * d);
			memset(mean, 0, sizeof(double) * d);
			for (int64_t i = 0; i < n; i++)
				if (NaiveSqDist(old, x + i * d, d) <= bw * bw)
				{
					for (int j = 0; j < d; j++)
						mean[j] += x[i * d + j];
					cnt++;
				}
			if (cnt == 0)
				break;
			for (int j = 0; j < d; j++)
			{
				mean[j] /= (double) cnt;
				moved += (mean[j] - old[j]) * (mean[j] - old[j]);
			}
			if (sqrt(moved) < 1e-3 * bw || it == max_iter)
				break;
			it++;
		}
		*n_iter = it > *n_iter ? it : *n_iter;
		if (cnt > 0)
		{
			int64_t		c;

			for (c = 0; c < nc; c++)
				if (memcmp(cen + c * d, mean, sizeof(double) * d) == 0)
					break;
			if (c == nc)
				memcpy(cen + nc++ * d, mean, sizeof(double) * d);
			inten[c] = cnt;
		}
	}
	/* sort by (intensity, coordinates) descending: selection sort */
	for (int64_t a = 0; a < nc; a++)
		for (int64_t b = a + 1; b < nc; b++)
		{
			bool		after = inten[b] > inten[a];

			if (inten[b] == inten[a])
				for (int j = 0; j < d; j++)
					if (cen[b * d + j] != cen[a * d + j])
					{
						after = cen[b * d + j] > cen[a * d + j];
						break;
					}
			if (after)
			{
				int64_t		t = inten[a];

				inten[a] = inten[b];
				inten[b] = t;
				for (int j = 0; j < d; j++)
				{
					double		v = cen[a * d + j];

					cen[a * d + j] = cen[b * d + j];
					cen[b * d + j] = v;
				}
			}
		}
	uniq = Xcalloc(nc > 0 ? nc : 1, sizeof(bool));
	for (int64_t a = 0; a < nc; a++)
		uniq[a] = true;
	for (int64_t a = 0; a < nc; a++)
		if (uniq[a])
			for (int64_t b = 0; b < nc; b++)
				if (b != a && NaiveSqDist(cen + a * d, cen + b * d, d) <= bw * bw)
					uniq[b] = false;
	out = Xcalloc((size_t) (nc > 0 ? nc : 1) * d, sizeof(double));
	for (int64_t a = 0; a < nc; a++)
		if (uniq[a])
			memcpy(out + k++ * d, cen + a * d, sizeof(double) * d);
	for (int64_t i = 0; i < n && k > 0; i++)
	{
		int			best = 0;
		double		bd = NaiveSqDist(x + i * d, out, d);

		for (int c = 1; c < k; c++)
		{
			double		t = NaiveSqDist(x + i * d, out + c * d, d);

			if (t < bd)
			{
				bd = t;
				best = c;
			}
		}
		labels[i] = cluster_all || sqrt(bd) <= bw ? best : US_NOISE;
	}
	free(seeds);
	free(freq);
	free(bins);
	free(cen);
	free(inten);
	free(mean);
	free(old);
	free(uniq);
	*centers_out = out;
	return k;
}

/* Mean Shift of every index kind against the naive one; the number of failures */
static int
CheckMeanShift(const double *x, int64_t n, int d, double bw, bool bin_seeding,
			   int min_bin_freq, bool cluster_all, int max_iter, uint64_t seed, Errs *e)
{
	int32_t    *want = Xcalloc(n > 0 ? n : 1, sizeof(int32_t));
	double	   *wc;
	int			wit;
	int			wk = NaiveMeanShift(x, n, d, bw, bin_seeding, min_bin_freq, cluster_all,
									max_iter, want, &wc, &wit);
	int			before = e->count;
	double		mag = 0.0;

	for (int64_t i = 0; i < n * d; i++)
		mag = fabs(x[i]) > mag ? fabs(x[i]) : mag;
	for (int kind = US_NN_AUTO; kind <= US_NN_BRUTE; kind++)
	{
		UsMatrix	m = {n, d, (double *) x};
		UsMeanShiftParams p = {bw, bin_seeding, min_bin_freq, cluster_all, max_iter,
		(UsNeighborKind) kind};
		UsMeanShiftResult res;
		int			rc = UsMeanShift(&core, &m, &p, &res);
		bool		ok = (rc == US_MEANSHIFT_NO_SEED) == (wk == 0);

		if (ok && rc == 0)
		{
			ok = res.k == wk && res.n_iter == wit;
			for (int64_t i = 0; ok && i < n; i++)
				ok = res.labels[i] == want[i];
			for (int64_t i = 0; ok && i < (int64_t) wk * d; i++)
				ok = Close(res.centers[i], wc[i], 1e-12, mag > 1e-300 ? mag : 1.0);
		}
		if (!ok)
			Err(e, "mean shift case %lu, index %d: n %ld d %d bandwidth %g bins %d: k %d (naive %d), n_iter %d (naive %d), rc %d",
				(unsigned long) seed, kind, (long) n, d, bw, bin_seeding, rc == 0 ? res.k : 0,
				wk, rc == 0 ? res.n_iter : 0, wit, rc);
		UsFree(&core, res.labels);
		if (rc == 0)
		{
			UsFree(&core, res.centers);
			UsFree(&core, res.intensity);
			UsFree(&core, res.sizes);
		}
	}
	free(want);
	free(wc);
	return e->count - before;
}

static void
TestMeanShift(void)
{
	Rng			r = {47};
	Errs		e = {0};
	static const int dims[] = {1, 2, 3, 5, 8, 30};
	int			fails = 0;

	for (int c = 0; c < 36; c++)
	{
		int			d = dims[c % 6];
		int64_t		n = 1 + RngInt(&r, 200);
		double	   *x = NeighborData(&r, n, d, c / 6 % 3);
		double		bw = c / 6 % 3 == 1 ? 0.5 * (1 + (double) RngInt(&r, 3)) :
			0.3 + RngUniform(&r) * 2.5;

		fails += CheckMeanShift(x, n, d, bw, c % 2 == 1, 1 + (int) RngInt(&r, 3), c % 3 != 0,
								c % 5 == 0 ? (int) RngInt(&r, 3) : 300, (uint64_t) c, &e);
		free(x);
	}
	Check(fails == 0,
		  "mean shift: labels, centres (relative 1e-12), k and n_iter of every index kind equal a naive MeanShift (bin seeding, min_bin_freq, cluster_all, max_iter 0 to 2, ties)");

	/* estimate_bandwidth against sorting every distance */
	fails = 0;
	for (int c = 0; c < 24; c++)
	{
		int			d = dims[c % 6];
		int64_t		n = 1 + RngInt(&r, c < 20 ? 300 : 3000);
		double	   *x = NeighborData(&r, n, d, c / 6 % 3);
		double		q = c % 4 == 0 ? 1.0 : 0.01 + RngUniform(&r) * 0.9;
		UsMatrix	m = {n, d, x};
		double		got = UsEstimateBandwidth(&core, &m, q, 0, 0);
		double		want = NaiveBandwidth(x, n, d, q);

		if (!Close(got, want, 1e-12, 1e-300))
		{
			Err(&e, "bandwidth case %d: n %ld d %d quantile %g: %.17g, naive %.17g", c,
				(long) n, d, q, got, want);
			fails++;
		}
		free(x);
	}
	Check(fails == 0,
		  "mean shift: estimate_bandwidth equals the mean of every row's k-th distance (quantile 0.01 to 1, ties, up to 3000 rows)");

	/* numpy's RandomState(seed).permutation (values printed by numpy 1.24) */
	{
		int64_t		p[10];
		static const int64_t w0[] = {2, 8, 4, 9, 1, 6, 7, 3, 0, 5};
		static const int64_t w1[] = {6, 3, 4, 0, 1, 5, 2};
		static const int64_t w2[] = {4, 1, 0, 2, 3};
		bool		ok = true;

		UsRandomStatePermutation(&core, 0, 10, p);
		ok = memcmp(p, w0, sizeof(w0)) == 0;
		UsRandomStatePermutation(&core, 12345, 7, p);
		ok = ok && memcmp(p, w1, sizeof(w1)) == 0;
		UsRandomStatePermutation(&core, 4294967295U, 5, p);
		ok = ok && memcmp(p, w2, sizeof(w2)) == 0;
		Check(ok, "mean shift: the n_samples sample is numpy's RandomState(seed).permutation (seeds 0, 12345, 2^32 - 1)");
	}

	/* a sample: the mean over its rows only */
	{
		int64_t		n = 400;
		double	   *x = NeighborData(&r, n, 3, 0);
		int64_t		perm[400];
		double	   *s = Xcalloc(150 * 3, sizeof(double));
		UsMatrix	m = {n, 3, x};
		double		got;
		double		want;

		UsRandomStatePermutation(&core, 9, n, perm);
		for (int i = 0; i < 150; i++)
			memcpy(s + i * 3, x + perm[i] * 3, sizeof(double) * 3);
		got = UsEstimateBandwidth(&core, &m, 0.3, 150, 9);
		want = NaiveBandwidth(s, 150, 3, 0.3);
		Check(Close(got, want, 1e-12, 1e-300),
			  "mean shift: estimate_bandwidth with n_samples 150 of 400 is the sample's (%.17g, naive %.17g)",
			  got, want);
		free(s);
		free(x);
	}

	/* no seed with a row within the bandwidth: bins too sparse for min_bin_freq */
	{
		double		x[] = {0, 0, 10, 10, 20, 20, 30, 30};
		UsMatrix	m = {4, 2, x};
		UsMeanShiftParams p = {1.0, true, 2, true, 300, US_NN_AUTO};
		UsMeanShiftResult res;
		int			rc = UsMeanShift(&core, &m, &p, &res);

		Check(rc == US_MEANSHIFT_NO_SEED, "mean shift: no bin with min_bin_freq rows gives no seed (%d)", rc);
		UsFree(&core, res.labels);
		m.n = 0;
		rc = UsMeanShift(&core, &m, &p, &res);
		Check(rc == US_MEANSHIFT_NO_SEED, "mean shift: no rows, no seed");
		UsFree(&core, res.labels);
	}
	/* interrupts are checked while every row climbs in one dense cloud */
	{
		int64_t		n = 3000;
		double	   *x = NeighborData(&r, n, 2, 0);
		UsMatrix	m = {n, 2, x};
		UsMeanShiftParams p = {5.0, false, 1, true, 300, US_NN_AUTO};
		UsMeanShiftResult res;
		int64_t		checks = tracker.checks;
		int			rc = UsMeanShift(&core, &m, &p, &res);

		Check(rc == 0 && tracker.checks - checks >= n * n / US_CHECK_EVERY / 2,
			  "mean shift: %ld interrupt checks while %ld seeds climb, about one per US_CHECK_EVERY distances",
			  (long) (tracker.checks - checks), (long) n);
		checks = tracker.checks;
		(void) UsEstimateBandwidth(&core, &m, 0.3, 0, 0);
		Check(tracker.checks - checks >= n * n / US_CHECK_EVERY / 2,
			  "mean shift: %ld interrupt checks in estimate_bandwidth over %ld rows",
			  (long) (tracker.checks - checks), (long) n);
		UsFree(&core, res.labels);
		UsFree(&core, res.centers);
		UsFree(&core, res.intensity);
		UsFree(&core, res.sizes);
		free(x);
	}
}

/* One fuzz case of Mean Shift */
static int
FuzzMeanShift(uint64_t case_seed)
{
	Rng			r = {case_seed * 104729};
	Errs		e = {0};
	int			d = 1 + (int) RngInt(&r, RngInt(&r, 3) == 0 ? 12 : 3);
	int64_t		n = 1 + RngInt(&r, 100);
	double	   *x = NeighborData(&r, n, d, (int) RngInt(&r, 3));
	double		scale = ldexp(1.0, (int) RngInt(&r, 80) - 40);
	double		bw = (0.2 + RngUniform(&r) * 2) * scale;
	UsMatrix	m = {n, d, x};
	double		q = 0.05 + RngUniform(&r) * 0.95;

	for (int64_t i = 0; i < n * d; i++)
		x[i] *= scale;
	CheckMeanShift(x, n, d, bw, RngInt(&r, 2) == 1, 1 + (int) RngInt(&r, 3),
				   RngInt(&r, 2) == 1, 300, case_seed, &e);
	if (!Close(UsEstimateBandwidth(&core, &m, q, 0, 0), NaiveBandwidth(x, n, d, q), 1e-12,
			   1e-300))
		Err(&e, "fuzz case %lu: estimate_bandwidth differs from the naive one",
			(unsigned long) case_seed);
	free(x);
	return e.count;
}

static void
TestFuzz(int max_cases, double seconds)
{
	Rng			r = {5};
	FuzzStats	st = {0};
	double		t0 = Now();

	int			dbscan_cases = 0;
	int			dbscan_failures = 0;
	int			agglo_cases = 0;
	int			agglo_failures = 0;
	int			meanshift_cases = 0;
	int			meanshift_failures = 0;

	for (int i = 0; i < max_cases && Now() - t0 < seconds; i++)
	{
		FuzzOne(&r, &st, 1000 + (uint64_t) i);
		if (i % 4 == 0)
		{
			dbscan_cases++;
			dbscan_failures += FuzzDbscan(1000 + (uint64_t) i) > 0;
		}
		if (i % 4 == 2)
		{
			agglo_cases++;
			agglo_failures += FuzzAgglo(1000 + (uint64_t) i);
			meanshift_cases++;
			meanshift_failures += FuzzMeanShift(1000 + (uint64_t) i) > 0;
		}
	}
	Check(agglo_failures == 0 && agglo_cases > 0,
		  "fuzz: %d cases of agglomerative clustering at magnitudes 2^-40 to 2^40, %d failed",
		  agglo_cases, agglo_failures);
	Check(dbscan_failures == 0 && dbscan_cases > 0,
		  "fuzz: %d cases of DBSCAN and neighbour queries at magnitudes 2^-40 to 2^40, %d failed",
		  dbscan_cases, dbscan_failures);
	Check(meanshift_failures == 0 && meanshift_cases > 0,
		  "fuzz: %d cases of Mean Shift and estimate_bandwidth at magnitudes 2^-40 to 2^40, %d failed",
		  meanshift_cases, meanshift_failures);
	Diag("fuzz: %d cases (%d with values that can overflow squares, %d NaN zscore scales) in %.1f s",
		 st.cases, st.huge, st.zscore_nan, Now() - t0);
	Check(st.failures == 0 && st.cases > 0,
		  "fuzz: %d cases of random shapes, labels and magnitudes, %d failed",
		  st.cases, st.failures);
}

/* ---------------------------------------------------------------- shared pieces */

static int
CmpInt32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/* Index order of the sort test: by key, then by index (a total order) */
static int
CmpIdxKey(int64_t a, int64_t b, void *arg)
{
	const double *key = arg;

	if (key[a] != key[b])
		return key[a] < key[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/* The canonical row order, written out for qsort */
static struct
{
	const double *x;
	const int32_t *lab;
	int			d;
}			naive_rows;

static int
CmpRowsNaive(const void *pa, const void *pb)
{
	int64_t		a = *(const int64_t *) pa;
	int64_t		b = *(const int64_t *) pb;

	if (naive_rows.lab[a] != naive_rows.lab[b])
		return naive_rows.lab[a] < naive_rows.lab[b] ? -1 : 1;
	for (int c = 0; c < naive_rows.d; c++)
	{
		double		u = naive_rows.x[a * naive_rows.d + c];
		double		v = naive_rows.x[b * naive_rows.d + c];

		if (u != v)
			return u < v ? -1 : 1;
	}
	return (a > b) - (a < b);
}

/* Fill x[n] with one of the shapes that break simple quicksorts */
static void
SortShape(Rng *r, double *x, int64_t n, int shape)
{
	for (int64_t i = 0; i < n; i++)
	{
		switch (shape)
		{
			case 0:
				x[i] = RngNormal(r);
				break;
			case 1:
				x[i] = (double) RngInt(r, 5);	/* many duplicates */
				break;
			case 2:
				x[i] = (double) i;	/* sorted */
				break;
			case 3:
				x[i] = (double) (n - i);	/* reversed */
				break;
			case 4:
				x[i] = (double) (i < n / 2 ? i : n - i);	/* organ pipe */
				break;
			case 5:
				x[i] = 7.0;		/* all equal */
				break;
			default:
				x[i] = (i % 2) ? (double) i : -(double) i;	/* sawtooth */
		}
	}
}

static void
TestSorts(void)
{
	Rng			r = {21};
	int64_t		sizes[] = {0, 1, 2, 3, 16, 17, 100, 1000, 50000};
	int			bad_d = 0,
				bad_i = 0,
				cases = 0;
	int64_t		checks0;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (int shape = 0; shape < 7; shape++)
		{
			int64_t		n = sizes[s];
			double	   *x = Xcalloc(n + 1, sizeof(double));
			double	   *want = Xcalloc(n + 1, sizeof(double));
			int32_t    *xi = Xcalloc(n + 1, sizeof(int32_t));
			int32_t    *wi = Xcalloc(n + 1, sizeof(int32_t));
			SortShape(&r, x, n, shape);
			memcpy(want, x, sizeof(double) * n);
			qsort(want, n, sizeof(double), CmpDouble);
			for (int64_t i = 0; i < n; i++)
			{
				xi[i] = (int32_t) (x[i] * 1000.0) - (shape == 0 ? 0 : 50);
				wi[i] = xi[i];
			}
			qsort(wi, n, sizeof(int32_t), CmpInt32);
			UsSortDoubles(&core, x, n);
			UsSortInt32(&core, xi, n);
			if (n > 0 && memcmp(x, want, sizeof(double) * n) != 0)
				bad_d++;
			if (n > 0 && memcmp(xi, wi, sizeof(int32_t) * n) != 0)
				bad_i++;
			free(x);
			free(want);
			free(xi);
			free(wi);
			cases++;
		}
	Check(bad_d == 0 && bad_i == 0, "introsort of doubles and int32 = qsort, %d cases of 7 shapes (%d, %d wrong)",
		  cases, bad_d, bad_i);

	/* indexes by key: a permutation in key order (keys re-made, then checked) */
	{
		int64_t		n = 30000;
		double	   *key = Xcalloc(n, sizeof(double));
		int64_t    *idx = Xcalloc(n, sizeof(int64_t));
		bool	   *seen = Xcalloc(n, sizeof(bool));
		bool		ok = true;

		for (int64_t i = 0; i < n; i++)
		{
			key[i] = (double) RngInt(&r, 100);
			idx[i] = i;
		}
		UsSortIndexes(&core, idx, n, CmpIdxKey, key);
		for (int64_t i = 0; i < n && ok; i++)
		{
			ok = !seen[idx[i]];
			seen[idx[i]] = true;
			if (i > 0 && CmpIdxKey(idx[i - 1], idx[i], key) >= 0)
				ok = false;
		}
		Check(ok, "index sort gives the permutation in the comparison's total order");
		free(key);
		free(idx);
		free(seen);
	}

	/* rows in canonical order: by label, values, row number (naive: qsort on indexes) */
	{
		int			bad = 0;

		for (int rep = 0; rep < 24; rep++)
		{
			int64_t		n = rep < 12 ? 1 + RngInt(&r, 40) : 1 + RngInt(&r, 20000);
			int			d = 1 + (int) RngInt(&r, 4);
			double	   *x = Xcalloc(n * d, sizeof(double));
			int32_t    *lab = Xcalloc(n, sizeof(int32_t));
			int64_t    *got = Xcalloc(n, sizeof(int64_t));
			int64_t    *want = Xcalloc(n, sizeof(int64_t));

			for (int64_t i = 0; i < n; i++)
			{
				lab[i] = (int32_t) RngInt(&r, 4) - (rep % 2 ? 2 : 0);
				for (int c = 0; c < d; c++)
					/* few values: ties on the first value and on whole rows; -0 and 0 */
					x[i * d + c] = rep % 3 == 0 ? RngNormal(&r) :
						(RngInt(&r, 7) == 0 ? -0.0 : (double) RngInt(&r, 3));
				want[i] = i;
			}
			naive_rows.x = x;
			naive_rows.lab = lab;
			naive_rows.d = d;
			qsort(want, n, sizeof(int64_t), CmpRowsNaive);
			UsSortRowsCanonical(&core, x, lab, n, d, got);
			if (memcmp(got, want, sizeof(int64_t) * n) != 0)
				bad++;
			free(x);
			free(lab);
			free(got);
			free(want);
		}
		Check(bad == 0, "rows in canonical order (label, values, row) = qsort of indexes, 24 cases (%d wrong)", bad);
	}

	/* interrupts are checked inside a sort, whatever the shape */
	{
		int64_t		n = 200000;
		double	   *x = Xcalloc(n, sizeof(double));
		bool		ok = true;

		for (int shape = 0; shape < 7; shape++)
		{
			SortShape(&r, x, n, shape);
			checks0 = tracker.checks;
			UsSortDoubles(&core, x, n);
			/* n log2 n / US_CHECK_EVERY steps at least; at least n / US_CHECK_EVERY */
			if (tracker.checks - checks0 < n / US_CHECK_EVERY)
			{
				Diag("  shape %d: %ld checks for %ld values", shape,
					 (long) (tracker.checks - checks0), (long) n);
				ok = false;
			}
		}
		Check(ok, "sorting 200,000 values checks interrupts at least every US_CHECK_EVERY steps");
		free(x);
	}
}

/* Naive compaction: distinct labels sorted, each row's rank among them */
static int
NaiveCompact(const int32_t *lab, int64_t n, int32_t *out, int64_t *kept)
{
	int32_t    *u = Xcalloc(n + 1, sizeof(int32_t));
	int64_t		m = 0;
	int			k = 0;

	for (int64_t i = 0; i < n; i++)
		if (lab[i] != -1)
			u[m++] = lab[i];
	qsort(u, m, sizeof(int32_t), CmpInt32);
	for (int64_t i = 0; i < m; i++)
		if (i == 0 || u[i] != u[i - 1])
			u[k++] = u[i];
	*kept = 0;
	for (int64_t i = 0; i < n; i++)
		if (lab[i] != -1)
			for (int c = 0; c < k; c++)
				if (u[c] == lab[i])
				{
					out[(*kept)++] = c;
					break;
				}
	free(u);
	return k;
}

static void
TestCompactLabels(void)
{
	Rng			r = {22};
	int			bad = 0,
				cases = 0;
	bool		rows_ok = true;

	for (int rep = 0; rep < 60; rep++)
	{
		int64_t		n = 1 + RngInt(&r, rep < 30 ? 50 : 3000);
		int32_t    *lab = Xcalloc(n, sizeof(int32_t));
		int32_t    *got = Xcalloc(n, sizeof(int32_t));
		int32_t    *want = Xcalloc(n, sizeof(int32_t));
		int64_t		kg,
					kw;
		int			cg,
					cw;

		for (int64_t i = 0; i < n; i++)
		{
			switch (rep % 4)
			{
				case 0:			/* small labels with noise */
					lab[i] = (int32_t) RngInt(&r, 6) - 1;
					break;
				case 1:			/* sparse: the sorted path */
					lab[i] = (int32_t) (RngNext(&r) >> 32);
					break;
				case 2:			/* negative clusters, noise, a few wide */
					lab[i] = RngInt(&r, 4) == 0 ? INT32_MIN + (int32_t) RngInt(&r, 3) :
						(int32_t) RngInt(&r, 9) - 5;
					break;
				default:		/* only noise sometimes */
					lab[i] = RngInt(&r, 10) == 0 ? 1000000 : -1;
			}
		}
		cw = NaiveCompact(lab, n, want, &kw);
		cg = UsCompactLabels(&core, lab, n, got, &kg);
		if (cg != cw || kg != kw || memcmp(got, want, sizeof(int32_t) * kw) != 0)
		{
			if (bad < 5)
				Diag("  rep %d: k %d (naive %d), kept %ld (naive %ld)", rep, cg, cw,
					 (long) kg, (long) kw);
			bad++;
		}
		/* in place, and the rows that go with them */
		if (rep % 4 == 0)
		{
			UsMatrix	m = {n, 2, Xcalloc(n * 2, sizeof(double))};
			UsMatrix	out;
			int32_t    *ol;
			int64_t		rr = 0;
			int			k;

			for (int64_t i = 0; i < n * 2; i++)
				m.x[i] = (double) i;
			k = UsCompactRows(&core, &m, lab, &out, &ol);
			for (int64_t i = 0; i < n; i++)
				if (lab[i] != -1)
				{
					if (out.x[rr * 2] != m.x[i * 2] || out.x[rr * 2 + 1] != m.x[i * 2 + 1] ||
						ol[rr] != want[rr])
						rows_ok = false;
					rr++;
				}
			if (k != cw || out.n != kw || rr != kw)
				rows_ok = false;
			UsFree(&core, out.x);
			UsFree(&core, ol);
			free(m.x);
			(void) UsCompactLabels(&core, lab, n, lab, &kg);
			if (memcmp(lab, want, sizeof(int32_t) * kw) != 0)
				rows_ok = false;
		}
		free(lab);
		free(got);
		free(want);
		cases++;
	}
	Check(bad == 0, "label compaction = naive sort-and-rank, noise dropped (%d cases, %d wrong)",
		  cases, bad);
	Check(rows_ok, "compacted rows and in-place compaction agree with the naive labels");
}

static void
TestMoments(void)
{
	Rng			r = {23};
	int64_t		n = 777;
	int			d = 4;
	double	   *x = Xcalloc(n * d, sizeof(double));
	UsMatrix	m = {n, d, x};
	int64_t		count[4];
	double		mean[4],
				m2[4];
	int			shift[4];
	UsMoments	mo = {count, mean, m2, shift};
	bool		ok = true;

	/* columns: normal, offset (1e6 + small), huge +-1e308, NaN holes */
	for (int64_t i = 0; i < n; i++)
	{
		x[i * d] = RngNormal(&r) * 3.0 + 1.0;
		x[i * d + 1] = 1e6 + RngNormal(&r) * 1e-4;
		x[i * d + 2] = (i % 2 ? 1.0 : -1.0) * (1e308 - (double) i * 1e300);
		x[i * d + 3] = i % 5 == 0 ? NAN : RngUniform(&r);
	}
	UsColumnMoments(&core, &m, true, &mo);
	for (int j = 0; j < d; j++)
	{
		long double s = 0,
					ss = 0;
		int64_t		c = 0;
		double		wm,
					wsd,
					gsd;

		for (int64_t i = 0; i < n; i++)
			if (!isnan(x[i * d + j]))
			{
				s += x[i * d + j];
				c++;
			}
		for (int64_t i = 0; i < n; i++)
			if (!isnan(x[i * d + j]))
				ss += (x[i * d + j] - s / c) * (x[i * d + j] - s / c);
		wm = (double) (s / c);
		wsd = (double) sqrtl(ss / (c - 1));
		gsd = UsMomentsStddev(&mo, j, (double) (c - 1));
		if (count[j] != c || !Close(mean[j], wm, 1e-13, j == 2 ? 1e308 : 1.0) ||
			!Close(gsd, wsd, 1e-10, 0.0) || !isfinite(mean[j]) || !isfinite(gsd))
		{
			Diag("  column %d: count %ld (%ld), mean %.17g (%.17g), sd %.17g (%.17g)", j,
				 (long) count[j], (long) c, mean[j], wm, gsd, wsd);
			ok = false;
		}
	}
	Check(ok, "column moments = long double two-pass (normal, offset, +-1e308, NaN skipped)");
	Check(shift[0] == 0 && shift[1] == 0 && shift[3] == 0 && shift[2] < 0,
		  "column moments shift only the huge column (shifts %d %d %d %d)",
		  shift[0], shift[1], shift[2], shift[3]);
	free(x);
}

static void
TestMatchPrevious(void)
{
	Rng			r = {24};
	int			bad = 0,
				cases = 0;

	for (int rep = 0; rep < 40; rep++)
	{
		int			k = 1 + (int) RngInt(&r, 6);
		int			d = 1 + (int) RngInt(&r, 3);
		int64_t		n = 50;
		double		prev[18],
					cent[18],
					orig[18],
					cost[36];
		int64_t		sizes[6],
					osizes[6];
		int32_t		lab[50],
					olab[50];
		int			perm[6],
					assign[6];
		double		total = 0.0;
		bool		okc = true;

		for (int i = 0; i < k * d; i++)
			prev[i] = RngNormal(&r) * 10.0;
		/* the new centers: the previous ones shuffled, moved a little */
		for (int i = 0; i < k; i++)
			perm[i] = i;
		for (int i = k - 1; i > 0; i--)
		{
			int			j = (int) RngInt(&r, i + 1);
			int			t = perm[i];

			perm[i] = perm[j];
			perm[j] = t;
		}
		for (int i = 0; i < k; i++)
			for (int c = 0; c < d; c++)
				cent[i * d + c] = prev[perm[i] * d + c] + (rep % 2 ? RngNormal(&r) * 5.0 : 0.0);
		memcpy(orig, cent, sizeof(cent));
		for (int i = 0; i < k; i++)
			sizes[i] = osizes[i] = 100 + i;
		for (int64_t i = 0; i < n; i++)
			lab[i] = olab[i] = (int32_t) RngInt(&r, k);
		for (int i = 0; i < k; i++)
			for (int j = 0; j < k; j++)
				cost[i * k + j] = NaiveDist(orig + i * d, prev + j * d, d) *
					NaiveDist(orig + i * d, prev + j * d, d);
		for (int i = 0; i < k; i++)
			perm[i] = i;
		best_cost = INFINITY;
		Permute(cost, k, perm, 0, 0.0);
		UsMatchPrevious(&core, prev, k, d, cent, sizes, lab, n, assign);
		for (int i = 0; i < k; i++)
		{
			total += cost[i * k + assign[i]];
			if (memcmp(cent + assign[i] * d, orig + i * d, sizeof(double) * d) != 0 ||
				sizes[assign[i]] != osizes[i])
				okc = false;
		}
		for (int64_t i = 0; i < n; i++)
			if (lab[i] != assign[olab[i]])
				okc = false;
		if (!okc || !Close(total, best_cost, 1e-12, 1e-300))
		{
			if (bad < 5)
				Diag("  rep %d: k %d, cost %.17g, brute force %.17g", rep, k, total, best_cost);
			bad++;
		}
		cases++;
	}
	Check(bad == 0, "matching to previous centers: least total squared distance (brute force), centers, sizes and labels moved with it (%d cases, %d wrong)",
		  cases, bad);
}

/* Naive elbow: the largest gap below the chord, by the definition */
static int
NaiveElbow(const double *x, const double *y, int count)
{
	double		lo = y[0],
				hi = y[0],
				best = 1e-9;
	int			bi = -1;

	for (int i = 1; i < count; i++)
	{
		lo = fmin(lo, y[i]);
		hi = fmax(hi, y[i]);
	}
	if (count < 3 || !(hi > lo))
		return -1;
	for (int i = 1; i < count - 1; i++)
	{
		double		t = (x[i] - x[0]) / (x[count - 1] - x[0]);
		double		chord = ((y[0] - lo) + t * ((y[count - 1] - lo) - (y[0] - lo))) / (hi - lo);
		double		gap = chord - (y[i] - lo) / (hi - lo);

		if (gap > best + 1e-12)
		{
			best = gap;
			bi = i;
		}
	}
	return bi;
}

static void
TestElbow(void)
{
	double		x[] = {1, 2, 3, 4, 5, 6, 7, 8};
	double		bend[] = {100, 40, 12, 10, 9, 8.5, 8, 7.8};
	double		line[] = {8, 7, 6, 5, 4, 3, 2, 1};
	double		flat[] = {3, 3, 3, 3};
	Rng			r = {25};
	int			bad = 0;

	Check(UsElbow(x, bend, 8, 1e-9) == 2 && UsElbow(x, line, 8, 1e-9) == -1 &&
		  UsElbow(x, flat, 4, 1e-9) == -1 && UsElbow(x, bend, 2, 1e-9) == -1,
		  "elbow: the bend of 100, 40, 12, 10, ... is at the third k; none on a line, a flat curve or two points");
	for (int rep = 0; rep < 200; rep++)
	{
		double		y[8];
		double		v = 1000.0;

		for (int i = 0; i < 8; i++)
		{
			v *= 0.3 + 0.7 * RngUniform(&r);
			y[i] = v;
		}
		if (UsElbow(x, y, 8, 1e-9) != NaiveElbow(x, y, 8))
			bad++;
	}
	Check(bad == 0, "elbow = the naive largest gap below the chord on 200 decreasing curves (%d wrong)", bad);
}

static void
TestDistanceKernels(void)
{
	Rng			r = {26};
	int			bad = 0;

	for (int d = 1; d <= 9; d++)
	{
		int			k = 1 + (int) RngInt(&r, 11);
		int			kp = (k + US_BLOCK - 1) / US_BLOCK * US_BLOCK;
		double	   *c = Xcalloc(k * d, sizeof(double));
		double	   *ct = Xcalloc(kp * d, sizeof(double));
		double	   *out = Xcalloc(kp, sizeof(double));
		double		x[9];
		double		xt[9 * US_TILE];
		double		tile[US_TILE];
		double		rows[US_TILE * 9];

		for (int i = 0; i < k * d; i++)
			c[i] = RngNormal(&r);
		for (int j = 0; j < d; j++)
			x[j] = RngNormal(&r);
		UsTransposeBlocks(c, k, d, ct);
		UsSqDistBlocks(x, ct, d, kp, out);
		for (int i = 0; i < k; i++)
			if (out[i] != UsSqDist(x, c + i * d, d) ||
				!Close(out[i], NaiveDist(x, c + i * d, d) * NaiveDist(x, c + i * d, d), 1e-14, 1e-300))
				bad++;
		for (int i = k; i < kp; i++)
			if (!Close(out[i], NaiveDist(x, (double[9]) {0}, d) * NaiveDist(x, (double[9]) {0}, d), 1e-14, 1e-300))
				bad++;
		for (int j = 0; j < US_TILE; j++)
			for (int cc = 0; cc < d; cc++)
			{
				rows[j * d + cc] = RngNormal(&r);
				xt[cc * US_TILE + j] = rows[j * d + cc];
			}
		UsSqDistTile(x, xt, US_TILE, d, tile);
		for (int j = 0; j < US_TILE; j++)
			if (!Close(tile[j], NaiveDist(x, rows + j * d, d) * NaiveDist(x, rows + j * d, d), 1e-14, 1e-300))
				bad++;
		free(c);
		free(ct);
		free(out);
	}
	Check(bad == 0, "distance kernels (blocks of centers, tiles) = naive squared distances, d = 1..9 (%d wrong)", bad);

	{
		double		small[] = {1, -2, 3};
		double		big[] = {1e308, -1e308, 3};
		double		mid[] = {0x1p447, 1};
		int			sb = UsSafeShift(&core, big, 3);
		double		two[] = {1e308, 1.0, -1e308, 1.0};
		double		fine[] = {1e150, 1.0, -1e150, 1.0};
		UsMatrix	mt = {2, 2, two};
		UsMatrix	mf = {2, 2, fine};

		Check(UsSafeShift(&core, small, 3) == 0 && UsSafeShift(&core, mid, 2) == 0 &&
			  sb < 0 && fabs(ldexp(1e308, sb)) < 0x1p448 && fabs(ldexp(1e308, sb)) >= 0x1p447,
			  "safe shift: 0 below 2^448, else brings the largest value into [2^447, 2^448) (shift %d)", sb);
		Check(UsDistanceOverflowColumn(&core, &mt) == 0 && UsDistanceOverflowColumn(&core, &mf) == -1,
			  "distance range: +-1e308 overflows (column 0 named), +-1e150 does not");
	}
}

/* Scores of rows near the largest float8: finite, and those of the rows scaled down */
static void
TestMetricsHuge(void)
{
	double		x[] = {1e308, -1e308, 1e308, -1e308};
	int32_t		lab[] = {0, 0, 1, 1};
	UsMatrix	m = {4, 1, x};
	double		per[4];
	double		s = UsSilhouette(&core, &m, lab, 2, per);
	double		small[] = {1, 5, 2, -3, 10, 4, 11, 0, -7, 2, -6, 1};
	double		bigx[12];
	int32_t		l3[] = {0, 0, 1, 1, 2, 2};
	UsMatrix	ms = {6, 2, small};
	UsMatrix	mb = {6, 2, bigx};

	Check(s == -0.5 && per[0] == -0.5 && per[3] == -0.5,
		  "silhouette of +-1e308 rows is -0.5 (each row is 2e308 from its cluster's other row, 1e308 on average from the other cluster), got %.17g", s);
	Check(UsCalinskiHarabasz(&core, &m, lab, 2) == 0.0 && UsDaviesBouldin(&core, &m, lab, 2) == 0.0,
		  "Calinski-Harabasz and Davies-Bouldin of +-1e308 rows with equal centroids are 0");
	Check(isinf(UsInertia(&core, &m, lab, 2)), "inertia of +-1e308 rows is out of range (Infinity, for the caller's 22003)");
	for (int i = 0; i < 12; i++)
		bigx[i] = ldexp(small[i], 900);
	Check(UsSilhouette(&core, &mb, l3, 3, NULL) == UsSilhouette(&core, &ms, l3, 3, NULL) &&
		  UsCalinskiHarabasz(&core, &mb, l3, 3) == UsCalinskiHarabasz(&core, &ms, l3, 3) &&
		  UsDaviesBouldin(&core, &mb, l3, 3) == UsDaviesBouldin(&core, &ms, l3, 3),
		  "silhouette, Calinski-Harabasz and Davies-Bouldin of rows times 2^900 equal those of the rows, bit for bit");
	for (int i = 0; i < 12; i++)
		bigx[i] = ldexp(small[i], 450);
	Check(UsInertia(&core, &mb, l3, 3) == ldexp(UsInertia(&core, &ms, l3, 3), 900),
		  "inertia of rows times 2^450 is that of the rows times 2^900, bit for bit");
}

/* ---------------------------------------------------------------- PCA and box statistics */

/*
 * One PCA checked from the definitions: rows of Vt orthonormal, C v = lambda v for
 * the covariance C = X_c^T X_c / (n - 1), variances descending and summing with the
 * rest to trace(C), coordinates X_c v (whitened: / sqrt(lambda)), each column's
 * largest magnitude positive (svd_flip), transform of a row equal to its coordinates
 */
static bool
PcaCheckOne(const double *x, int64_t n, int d, int k, bool whiten, bool quiet)
{
	UsMatrix	m = {n, d, Xcalloc((size_t) n * d, sizeof(double))};
	UsPcaResult res;
	double	   *mean = Xcalloc(d, sizeof(double));
	double	   *cov = Xcalloc((size_t) d * d, sizeof(double));
	double	   *row = Xcalloc(k, sizeof(double));
	double		trace = 0.0;
	double		scale = 0.0;
	double		err_orth = 0.0;
	double		err_eig = 0.0;
	double		err_coord = 0.0;
	double		err_tr;
	double		xmag = 0.0;
	bool		signs_ok = true;
	bool		order_ok = true;
	int			rc;

	memcpy(m.x, x, sizeof(double) * n * d);
	rc = UsPca(&core, &m, k, whiten, true, &res);
	if (rc != 0)
	{
		Check(false, "pca n = %ld, d = %d, k = %d: returned %d", (long) n, d, k, rc);
		free(m.x);
		free(mean);
		free(cov);
		free(row);
		return false;
	}
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			mean[j] += x[i * d + j] / (double) n;
	for (int64_t i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				cov[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]) /
					(double) (n - 1);
	for (int j = 0; j < d; j++)
		trace += cov[j * d + j];
	for (int a = 0; a < d * d; a++)
		scale = fmax(scale, fabs(cov[a]));
	scale = fmax(scale, 1e-300);
	/* coordinates: relative to the spread, or to the data's magnitude (centring rounds) */
	for (int64_t i = 0; i < n * d; i++)
		xmag = fmax(xmag, fabs(x[i]));
	xmag = fmax(sqrt(scale), xmag);
	for (int c = 0; c < k; c++)
	{
		const double *v = res.components + (size_t) c * d;
		double		big = -1.0;
		double		bigval = 0.0;

		for (int e = 0; e < k; e++)
		{
			double		dot = 0.0;

			for (int j = 0; j < d; j++)
				dot += v[j] * res.components[(size_t) e * d + j];
			err_orth = fmax(err_orth, fabs(dot - (c == e ? 1.0 : 0.0)));
		}
		for (int a = 0; a < d; a++)
		{
			double		cv = 0.0;

			for (int b = 0; b < d; b++)
				cv += cov[a * d + b] * v[b];
			err_eig = fmax(err_eig, fabs(cv - res.explained_variance[c] * v[a]) / scale);
		}
		if (c > 0 && res.explained_variance[c] > res.explained_variance[c - 1])
			order_ok = false;
		for (int64_t i = 0; i < n; i++)
		{
			double		p = 0.0;
			double		a;

			for (int j = 0; j < d; j++)
				p += (x[i * d + j] - mean[j]) * v[j];
			/* whitened: only components with variance (U sqrt(n - 1) otherwise) */
			if (whiten && res.explained_variance[c] > 1e-10 * scale)
				err_coord = fmax(err_coord, fabs(p / sqrt(res.explained_variance[c]) -
												 res.coords[i * k + c]));
			else if (!whiten)
				err_coord = fmax(err_coord, fabs(p - res.coords[i * k + c]) / xmag);
			a = fabs(res.coords[i * k + c]);
			if (a > big * (1 + 1e-9))
			{
				big = a;
				bigval = res.coords[i * k + c];
			}
		}
		/* a near tie for the largest magnitude may go either way */
		if (bigval < 0 && res.explained_variance[c] > 1e-12 * scale)
		{
			int			ties = 0;

			for (int64_t i = 0; i < n; i++)
				if (fabs(fabs(res.coords[i * k + c]) - big) <= 1e-9 * big)
					ties++;
			if (ties < 2)
				signs_ok = false;
		}
	}
	for (int64_t i = 0; i < n && i < 5; i++)
	{
		UsPcaTransform(res.mean, res.components, res.explained_variance, k, d, whiten,
					   x + i * d, row);
		for (int c = 0; c < k; c++)
			if (!whiten || res.explained_variance[c] > 1e-10 * scale)
				err_coord = fmax(err_coord, fabs(row[c] - res.coords[i * k + c]) /
								 (whiten ? 1.0 : xmag));
	}
	err_tr = fabs(res.total_variance - trace) / fmax(trace, 1e-300);
	if (!quiet || !(err_orth < 1e-12 && err_eig < 1e-11 && err_coord < 1e-10 &&
					err_tr < 1e-12 && signs_ok && order_ok))
		Check(err_orth < 1e-12 && err_eig < 1e-11 && err_coord < 1e-10 && err_tr < 1e-12 &&
			  signs_ok && order_ok,
			  "pca n = %ld, d = %d, k = %d%s: orthonormal (%.1e), C v = lambda v (%.1e), "
			  "coordinates (%.1e), total variance (%.1e), signs, order",
			  (long) n, d, k, whiten ? ", whiten" : "", err_orth, err_eig, err_coord, err_tr);
	UsFree(&core, res.mean);
	UsFree(&core, res.components);
	UsFree(&core, res.explained_variance);
	UsFree(&core, res.explained_variance_ratio);
	UsFree(&core, res.singular_values);
	UsFree(&core, res.coords);
	free(m.x);
	free(mean);
	free(cov);
	free(row);
	return err_orth < 1e-12 && err_eig < 1e-11 && err_coord < 1e-10 && err_tr < 1e-12 &&
		signs_ok && order_ok;
}

/* The largest eigenvalue by power iteration on C, against explained_variance[0] */
static void
PcaPowerIteration(void)
{
	Rng			r = {77};
	int64_t		n = 300;
	int			d = 5;
	double	   *x = Xcalloc((size_t) n * d, sizeof(double));
	double	   *mean = Xcalloc(d, sizeof(double));
	double	   *cov = Xcalloc((size_t) d * d, sizeof(double));
	double		v[5] = {1, 1, 1, 1, 1};
	double		lambda = 0.0;
	UsMatrix	m = {n, d, NULL};
	UsPcaResult res;
	int			rc;

	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			x[i * d + j] = RngNormal(&r) * (j + 1) + (j == 0 ? 3 * x[i * d + 1] : 0);
	for (int64_t i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			mean[j] += x[i * d + j] / (double) n;
	for (int64_t i = 0; i < n; i++)
		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				cov[a * d + b] += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]) / (n - 1);
	for (int it = 0; it < 2000; it++)
	{
		double		w[5] = {0};
		double		norm = 0.0;

		for (int a = 0; a < d; a++)
			for (int b = 0; b < d; b++)
				w[a] += cov[a * d + b] * v[b];
		for (int a = 0; a < d; a++)
			norm += w[a] * w[a];
		norm = sqrt(norm);
		for (int a = 0; a < d; a++)
			v[a] = w[a] / norm;
		lambda = norm;
	}
	m.x = x;
	rc = UsPca(&core, &m, 2, false, false, &res);
	Check(rc == 0 &&
		  fabs(res.explained_variance[0] - lambda) <= 1e-10 * lambda && res.coords == NULL,
		  "pca: the first variance is power iteration's largest eigenvalue (%.15g, %.15g)",
		  res.explained_variance[0], lambda);
	UsFree(&core, res.mean);
	UsFree(&core, res.components);
	UsFree(&core, res.explained_variance);
	UsFree(&core, res.explained_variance_ratio);
	UsFree(&core, res.singular_values);
	free(x);
	free(mean);
	free(cov);
}

static void
TestPca(void)
{
	Rng			r = {31};
	int			failures = 0;
	int			cases = 0;
	UsMatrix	m;
	UsPcaResult res;
	double		tiny[4] = {1, 2, 3, 4};

	/* correlated columns of different scales, more rows than columns and fewer */
	{
		int64_t		n = 200;
		int			d = 6;
		double	   *x = Xcalloc((size_t) n * d, sizeof(double));

		for (int64_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				x[i * d + j] = RngNormal(&r) * (j + 1) * 10 + (j > 0 ? x[i * d] : 0) + 100;
		PcaCheckOne(x, n, d, 3, false, false);
		PcaCheckOne(x, n, d, 6, false, false);
		PcaCheckOne(x, n, d, 2, true, false);
		PcaCheckOne(x, 4, d, 4, false, false);	/* n < d: the SVD of the matrix */
		PcaCheckOne(x, 6, d, 5, false, false);	/* n = d */
		free(x);
	}
	/* more rows than one block of the QR: R carried from block to block */
	{
		int64_t		n = 10000;
		int			d = 5;
		double	   *x = Xcalloc((size_t) n * d, sizeof(double));

		for (int64_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				x[i * d + j] = RngNormal(&r) * (j + 1) + (j > 0 ? 0.5 * x[i * d] : 0) - 7;
		PcaCheckOne(x, n, d, 3, false, false);
		PcaCheckOne(x, 4097, d, 5, true, false);
		free(x);
	}
	PcaPowerIteration();

	/* bad arguments: k outside 1..min(n, d), a single row */
	m.n = 2;
	m.d = 2;
	m.x = tiny;
	Check(UsPca(&core, &m, 0, false, true, &res) == US_PCA_BAD_ARGUMENT &&
		  UsPca(&core, &m, 3, false, true, &res) == US_PCA_BAD_ARGUMENT,
		  "pca: k = 0 and k > min(n, d) are refused");
	m.n = 1;
	Check(UsPca(&core, &m, 1, false, true, &res) == US_PCA_BAD_ARGUMENT,
		  "pca: a single row is refused");

	/* random shapes and magnitudes, constant and duplicated columns */
	for (int t = 0; t < 60; t++)
	{
		int64_t		n = 2 + RngInt(&r, 60);
		int			d = 1 + (int) RngInt(&r, 8);
		int			rk = (int) (n < d ? n : d);
		int			k = 1 + (int) RngInt(&r, rk);
		double		mag = pow(10.0, RngUniform(&r) * 12 - 6);
		double	   *x = Xcalloc((size_t) n * d, sizeof(double));

		for (int64_t i = 0; i < n; i++)
			for (int j = 0; j < d; j++)
				x[i * d + j] = (j == 2 && t % 3 == 0) ? 5.0 :
					(j == 3 && t % 4 == 0) ? x[i * d] : RngNormal(&r) * mag;
		cases++;
		if (!PcaCheckOne(x, n, d, k, t % 5 == 0 && t % 3 != 0 && t % 4 != 0, true))
			failures++;
		free(x);
	}
	Check(failures == 0, "pca: %d random shapes against the definitions, %d failed",
		  cases, failures);
}

/* Box statistics against quantiles taken by hand */
static void
TestBoxStats(void)
{
	double		v[] = {-50, 1, 2, 3, 4, 5, 6, 7, 8, 100};
	double		one[] = {7};
	UsBox		b;

	/* q1 at 2.25: 2 + 0.25 (3 - 2); q3 at 6.75; IQR 4.5, fences -4.5 and 13.5 */
	UsBoxStats(v, 10, &b);
	Check(b.n == 10 && b.min == -50 && b.max == 100 && fabs(b.q1 - 2.25) < 1e-15 &&
		  fabs(b.median - 4.5) < 1e-15 && fabs(b.q3 - 6.75) < 1e-15 &&
		  b.whisker_low == 1 && b.whisker_high == 8 && b.outliers_low == 1 &&
		  b.outliers_high == 1,
		  "box: quartiles 2.25, 4.5, 6.75, whiskers 1 and 8, one outlier each side");
	UsBoxStats(one, 1, &b);
	Check(b.q1 == 7 && b.median == 7 && b.q3 == 7 && b.whisker_low == 7 &&
		  b.whisker_high == 7 && b.outliers_low == 0 && b.outliers_high == 0,
		  "box: a single value is every figure");
	UsBoxStats(one, 0, &b);
	Check(b.n == 0 && isnan(b.median) && isnan(b.whisker_low), "box: no values give NaN");
}


/* ---------------------------------------------------------------- threads */

/*
 * A core with threads: pending says an interrupt is pending on every
 * ParPendingEvery-th poll (0: never), so the workers are stopped, joined, the check
 * runs and they start again in the middle of a loop
 */
static int	par_pending_every;
static int64_t par_pending_calls;

static bool
ParPending(void *arg)
{
	par_pending_calls++;
	return par_pending_every > 0 && par_pending_calls % par_pending_every == 0;
}

static UsCore
ThreadedCore(int workers)
{
	UsCore		c = core;

	c.workers = workers;
	c.pending = ParPending;
	return c;
}

/*
 * scipy's nn_chain for complete or average linkage, as written there: a full matrix,
 * every query a scan of all live clusters in order, the previous element of the chain
 * the starting minimum; then the stable sort and the relabelling.  The tree UsAgglo
 * makes (which reads only clusters whose centroids are near, in another order, on
 * threads) must be this one to the bit, ties included.
 */
static void
ScipyChain(const double *x, int64_t n, int d, bool average, int64_t *children,
		   double *dist)
{
	double	   *D = Xcalloc((size_t) (n * n), sizeof(double));
	int64_t    *size = Xcalloc((size_t) n, sizeof(int64_t));
	int64_t    *chain = Xcalloc((size_t) n, sizeof(int64_t));
	int64_t    *ra = Xcalloc((size_t) n, sizeof(int64_t));
	int64_t    *rb = Xcalloc((size_t) n, sizeof(int64_t));
	double	   *rd = Xcalloc((size_t) n, sizeof(double));
	int64_t    *order = Xcalloc((size_t) n, sizeof(int64_t));
	int64_t    *parent = Xcalloc((size_t) (2 * n), sizeof(int64_t));
	int64_t		len = 0;

	for (int64_t i = 0; i < n; i++)
	{
		size[i] = 1;
		for (int64_t j = 0; j < n; j++)
		{
			double		s = 0.0;

			for (int c = 0; c < d; c++)
			{
				double		t = x[i * d + c] - x[j * d + c];

				s += t * t;
			}
			D[i * n + j] = sqrt(s);
		}
	}
	for (int64_t k = 0; k < n - 1; k++)
	{
		int64_t		xx = 0;
		int64_t		yy = -1;
		double		cur = INFINITY;

		if (len == 0)
		{
			for (int64_t i = 0; i < n; i++)
				if (size[i] > 0)
				{
					chain[0] = i;
					break;
				}
			len = 1;
		}
		for (;;)
		{
			xx = chain[len - 1];
			if (len > 1)
			{
				yy = chain[len - 2];
				cur = D[xx * n + yy];
			}
			else
				cur = INFINITY;
			for (int64_t i = 0; i < n; i++)
				if (size[i] > 0 && i != xx && D[xx * n + i] < cur)
				{
					cur = D[xx * n + i];
					yy = i;
				}
			if (len > 1 && yy == chain[len - 2])
				break;
			chain[len++] = yy;
		}
		len -= 2;
		if (xx > yy)
		{
			int64_t		t = xx;

			xx = yy;
			yy = t;
		}
		ra[k] = xx;
		rb[k] = yy;
		rd[k] = cur;
		for (int64_t i = 0; i < n; i++)
		{
			double		v;

			if (size[i] == 0 || i == yy)
				continue;
			if (average)
				v = ((double) size[xx] * D[i * n + xx] + (double) size[yy] * D[i * n + yy]) /
					(double) (size[xx] + size[yy]);
			else
				v = D[i * n + xx] > D[i * n + yy] ? D[i * n + xx] : D[i * n + yy];
			D[i * n + yy] = D[yy * n + i] = v;
		}
		size[yy] += size[xx];
		size[xx] = 0;
	}
	/* stable sort by distance (insertion sort), then the union-find */
	for (int64_t i = 0; i < n - 1; i++)
	{
		int64_t		j = i;

		while (j > 0 && rd[order[j - 1]] > rd[i])
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (int64_t i = 0; i < 2 * n; i++)
		parent[i] = -1;
	for (int64_t i = 0; i < n - 1; i++)
	{
		int64_t		a = ra[order[i]];
		int64_t		b = rb[order[i]];

		while (parent[a] >= 0)
			a = parent[a];
		while (parent[b] >= 0)
			b = parent[b];
		if (a > b)
		{
			int64_t		t = a;

			a = b;
			b = t;
		}
		children[2 * i] = a;
		children[2 * i + 1] = b;
		dist[i] = rd[order[i]];
		parent[a] = parent[b] = n + i;
	}
	free(parent);
	free(order);
	free(rd);
	free(rb);
	free(ra);
	free(chain);
	free(size);
	free(D);
}

/*
 * Complete and average linkage against ScipyChain, on data with many ties (and past
 * the compactions), with 1 to 3 threads and interrupts arriving mid-run
 */
static void
TestAggloChain(void)
{
	Rng			r = {77};
	static const int64_t sizes[] = {2, 9, 60, 333, 1400, 2600};
	int			cases = 0;
	int			fails = 0;

	for (int s = 0; s < (int) (sizeof(sizes) / sizeof(sizes[0])); s++)
	{
		int64_t		n = sizes[s];
		int			d = 1 + (int) RngInt(&r, 4);
		double	   *x = Xcalloc((size_t) (n * d), sizeof(double));
		int64_t    *ch = Xcalloc((size_t) (2 * n), sizeof(int64_t));
		double	   *dd = Xcalloc((size_t) n, sizeof(double));

		for (int tie = 0; tie < 2; tie++)
		{
			for (int64_t i = 0; i < n * d; i++)
				x[i] = tie ? (double) RngInt(&r, 4) : RngNormal(&r) * 10.0;
			for (int l = 1; l <= 2; l++)
			{
				ScipyChain(x, n, d, l == 2, ch, dd);
				for (int w = 1; w <= 3; w++)
				{
					UsCore		c = ThreadedCore(w);
					UsMatrix	m = {n, d, x};
					UsAggloTree t;
					bool		same = true;

					par_pending_every = w == 3 ? 5 : 0;
					UsAgglo(&c, &m, (UsLinkage) l, NULL, &t);
					for (int64_t i = 0; i < n - 1; i++)
						if (t.children[2 * i] != ch[2 * i] ||
							t.children[2 * i + 1] != ch[2 * i + 1] ||
							memcmp(&t.distance[i], &dd[i], sizeof(double)) != 0)
							same = false;
					if (!same)
					{
						Diag("%s, n %ld, d %d, %s, %d workers: not scipy's tree",
							 linkage_names[l], (long) n, d, tie ? "ties" : "no ties", w);
						fails++;
					}
					cases++;
					UsFree(&c, t.children);
					UsFree(&c, t.distance);
					UsFree(&c, t.size);
				}
			}
		}
		free(dd);
		free(ch);
		free(x);
	}
	par_pending_every = 0;
	Check(fails == 0, "complete and average linkage: scipy's chain to the bit in %d cases (ties, compactions, 1 to 3 threads, interrupts)",
		  cases);
}

/*
 * A team of threads: many short loops, every part run once, with 1 to 8 threads and
 * loops of 1 to 40 parts
 */
typedef struct TeamSum
{
	int64_t    *hits;
} TeamSum;

static void
TeamSumPart(void *arg, int64_t part)
{
	TeamSum    *ts = arg;

	ts->hits[part]++;
}

static void
TestTeam(void)
{
	int64_t		hits[40];
	bool		ok = true;

	for (int w = 1; w <= 8; w *= 2)
	{
		UsCore		c = ThreadedCore(w);
		UsTeam	   *team = UsTeamStart(&c);

		for (int loop = 0; loop < 3000; loop++)
		{
			TeamSum		ts = {hits};
			int64_t		parts = 1 + loop % 40;

			memset(hits, 0, sizeof(hits));
			UsTeamRun(team, TeamSumPart, &ts, parts);
			for (int64_t p = 0; p < parts; p++)
				if (hits[p] != 1)
					ok = false;
		}
		UsTeamStop(team);
	}
	Check(ok, "a team of threads: 3000 loops of 1 to 40 parts, each part run once, 1 to 8 threads");
}

/* UsParallelRun on its own: a chunked sum of a slow series, and every row's output */
typedef struct ParSum
{
	const double *x;
	double	   *out;
	double		total;
	int64_t		combined;		/* chunks combined, in order */
	bool		in_order;
} ParSum;

static bool
ParSumChunk(void *arg, int64_t c, int64_t begin, int64_t end, void *partial,
			void *scratch, const UsParallel *par)
{
	ParSum	   *ps = arg;
	double		t = 0.0;

	for (int64_t i = begin; i < end; i++)
	{
		double		v = ps->x[i];

		/* enough work per row for the stop flag to be seen mid-chunk */
		for (int r = 0; r < 50; r++)
			v = sin(v) + 0.5 * v;
		ps->out[i] = v;
		t += v;
		if ((i - begin) % 64 == 63 && UsParallelStopping(par))
			return false;
	}
	*(double *) partial = t;
	*(double *) scratch = t;	/* scratch is the thread's own */
	return true;
}

static void
ParSumCombine(void *arg, int64_t c, int64_t begin, int64_t end, const void *partial)
{
	ParSum	   *ps = arg;

	if (c != ps->combined)
		ps->in_order = false;
	ps->combined++;
	ps->total += *(const double *) partial;
}

static double
RunParSum(const UsCore *c, const double *x, double *out, int64_t n, int64_t chunk,
		  bool *in_order)
{
	ParSum		ps = {x, out, 0.0, 0, true};
	UsParallelFor pf = {n, chunk, sizeof(double), sizeof(double), ParSumChunk,
	ParSumCombine, &ps};

	UsParallelRun(c, &pf);
	*in_order = ps.in_order && ps.combined == (n + chunk - 1) / chunk;
	return ps.total;
}

static bool
SameBits(const void *a, const void *b, size_t bytes)
{
	return memcmp(a, b, bytes) == 0;
}

static void
TestParallel(void)
{
	Rng			r = {77};
	int			workers[] = {2, 3, 8};
	int64_t		n = 20000;
	double	   *x = Xcalloc(n, sizeof(double));
	double	   *o1 = Xcalloc(n, sizeof(double));
	double	   *o2 = Xcalloc(n, sizeof(double));
	UsCore		one = ThreadedCore(1);
	bool		ord;
	double		t1;

	for (int64_t i = 0; i < n; i++)
		x[i] = RngUniform(&r) * 10 - 5;
	t1 = RunParSum(&one, x, o1, n, 777, &ord);
	Check(ord, "UsParallelRun with one worker combines every chunk in order");
	for (int pe = 0; pe <= 3; pe += 3)
	{
		for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++)
		{
			UsCore		cw = ThreadedCore(workers[w]);
			int64_t		live = tracker.live;
			double		t;

			par_pending_every = pe;
			memset(o2, 0, sizeof(double) * n);
			t = RunParSum(&cw, x, o2, n, 777, &ord);
			Check(ord && SameBits(&t, &t1, sizeof(double)) &&
				  SameBits(o1, o2, sizeof(double) * n) && tracker.live == live,
				  "UsParallelRun with %d workers%s: every row, the same sum bit for bit, chunks combined in order, nothing left allocated",
				  workers[w], pe ? " stopped and restarted by pending interrupts" : "");
		}
	}
	par_pending_every = 0;
	Check(UsParallelWorkers(&core, 100) == 1,
		  "no threads without a pending callback");
	{
		UsCore		c8 = ThreadedCore(8);

		Check(UsParallelWorkers(&c8, 3) == 3 && UsParallelWorkers(&c8, 100) == 8,
			  "at most one thread per chunk");
	}
	free(x);
	free(o1);
	free(o2);

	/* K-Means: labels, centers, inertia bit for bit for 1, 2, 3 and 8 workers */
	{
		int64_t		kn = 70000;
		int			d = 3;
		int			k = 7;
		double	   *kx = Blobs(&r, kn, d, k, 4.0, 1.5, NULL);
		UsKmeansResult base;
		int64_t		calls0;
		UsMatrix	m = {kn, d, kx};
		UsKmeansParams p = {0};
		Rng			rr;

		p.k = k;
		p.n_init = 2;
		p.max_iter = 300;
		p.tol = 1e-4;
		p.uniform = RngUniformCb;
		p.rng_arg = &rr;
		rr.s = 5;
		memset(&base, 0, sizeof(base));
		UsKmeans(&one, &m, &p, &base);
		calls0 = par_pending_calls;
		for (int pe = 0; pe <= 5; pe += 5)
			for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++)
			{
				UsCore		cw = ThreadedCore(workers[w]);
				UsKmeansResult res;

				par_pending_every = pe;
				rr.s = 5;
				memset(&res, 0, sizeof(res));
				UsKmeans(&cw, &m, &p, &res);
				Check(SameBits(res.labels, base.labels, sizeof(int32_t) * kn) &&
					  SameBits(res.centers, base.centers, sizeof(double) * k * d) &&
					  SameBits(&res.inertia, &base.inertia, sizeof(double)) &&
					  res.iterations == base.iterations,
					  "K-Means with %d workers%s: the labels, centers and inertia of one worker, bit for bit (inertia %.17g)",
					  workers[w], pe ? " and interrupts" : "", res.inertia);
				FreeResult(&res);
			}
		par_pending_every = 0;
		Check(par_pending_calls > calls0,
			  "K-Means on %ld rows ran its passes on threads (%ld polls for interrupts)",
			  (long) kn, (long) (par_pending_calls - calls0));
		FreeResult(&base);
		free(kx);
	}

	/* Silhouette, both forms, bit for bit */
	{
		int			ks[] = {5, 80};
		int64_t		ns[] = {3000, 1200};

		for (int f = 0; f < 2; f++)
		{
			int64_t		sn = ns[f];
			int			d = 3;
			int			k = ks[f];
			int32_t    *lab = Xcalloc(sn, sizeof(int32_t));
			double	   *sx = Blobs(&r, sn, d, k, 5.0, 1.0, lab);
			double	   *p1 = Xcalloc(sn, sizeof(double));
			double	   *p2 = Xcalloc(sn, sizeof(double));
			UsMatrix	m = {sn, d, sx};
			double		s1;

			Shuffle(&r, sx, lab, sn, d);
			s1 = UsSilhouette(&one, &m, lab, k, p1);
			for (int pe = 0; pe <= 2; pe += 2)
				for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++)
				{
					UsCore		cw = ThreadedCore(workers[w]);
					double		s2;

					par_pending_every = pe;
					s2 = UsSilhouette(&cw, &m, lab, k, p2);
					Check(SameBits(&s1, &s2, sizeof(double)) &&
						  SameBits(p1, p2, sizeof(double) * sn),
						  "silhouette (%s, k = %d) with %d workers%s: the one-worker values bit for bit (%.17g)",
						  f == 0 ? "symmetric" : "streamed", k, workers[w],
						  pe ? " and interrupts" : "", s2);
				}
			par_pending_every = 0;
			{
				double		naive;

				NaiveSilhouette(sx, sn, d, lab, k, p2, &naive);
				Check(Close(s1, naive, 1e-12, 1.0),
					  "chunked silhouette (%s) matches the naive one: %.17g vs %.17g",
					  f == 0 ? "symmetric" : "streamed", s1, naive);
			}
			free(lab);
			free(sx);
			free(p1);
			free(p2);
		}
	}
}

/* ---------------------------------------------------------------- spectral clustering */

/*
 * The normalized affinity S = D^-1/2 A0 D^-1/2 (n x n, full) from the definitions:
 * rbf exp(-gamma |x_i - x_j|^2), or the k nearest rows by brute force (self included,
 * ties to the lower row) symmetrized as 0.5 (C + C^T); the diagonal left out of the
 * degree and of S; dd = sqrt(degree) or 1
 */
static double *
NaiveSpectralS(const double *x, int n, int d, bool knn, double gamma, int nn, double *dd)
{
	double	   *a = Xcalloc((size_t) n * n, sizeof(double));

	if (!knn)
	{
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				a[i * n + j] = i == j ? 0.0 :
					exp(-gamma * NaiveDist(x + i * d, x + j * d, d) * NaiveDist(x + i * d, x + j * d, d));
	}
	else
	{
		double	   *dist = Xcalloc(n, sizeof(double));
		bool	   *taken = Xcalloc(n, sizeof(bool));

		for (int i = 0; i < n; i++)
		{
			for (int j = 0; j < n; j++)
			{
				double		s = 0.0;

				for (int c = 0; c < d; c++)
					s += (x[i * d + c] - x[j * d + c]) * (x[i * d + c] - x[j * d + c]);
				dist[j] = s;
				taken[j] = false;
			}
			for (int t = 0; t < nn && t < n; t++)
			{
				int			b = -1;

				for (int j = 0; j < n; j++)
					if (!taken[j] && (b < 0 || dist[j] < dist[b]))
						b = j;
				taken[b] = true;
				a[i * n + b] += 0.5;
				a[b * n + i] += 0.5;
			}
		}
		for (int i = 0; i < n; i++)
			a[i * n + i] = 0.0;
		free(dist);
		free(taken);
	}
	for (int i = 0; i < n; i++)
	{
		double		s = 0.0;

		for (int j = 0; j < n; j++)
			s += a[i * n + j];
		dd[i] = s == 0.0 ? 1.0 : sqrt(s);
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			a[i * n + j] /= dd[i] * dd[j];
	return a;
}

static void
SpectralFree(UsSpectralResult *r)
{
	UsFree(&core, r->embedding);
	UsFree(&core, r->eigenvalues);
	UsFree(&core, r->kmeans.labels);
	UsFree(&core, r->kmeans.centers);
	UsFree(&core, r->kmeans.sizes);
}

/*
 * One embedding checked from the definitions: u = dd * column c, normalized, is a
 * unit eigenvector of the naive S (|S u - lambda u| small), the columns orthonormal,
 * eigenvalues decreasing, each column's largest magnitude positive.  Returns problems.
 */
static int
SpectralCheckEmbedding(Errs *e, const char *what, const double *x, int n, int d, bool knn,
					   double gamma, int nn, const UsSpectralResult *r)
{
	double	   *dd = Xcalloc(n, sizeof(double));
	double	   *s = NaiveSpectralS(x, n, d, knn, gamma, nn, dd);
	double	   *u = Xcalloc((size_t) n * r->k, sizeof(double));
	int			bad = 0;

	for (int c = 0; c < r->k; c++)
	{
		double		norm = 0.0;
		double		res = 0.0;
		double		big = -1.0;
		double		bigv = 0.0;

		for (int i = 0; i < n; i++)
		{
			double		v = r->embedding[i * r->k + c];

			if (fabs(v) > big)
			{
				big = fabs(v);
				bigv = v;
			}
			u[c * n + i] = v * dd[i];
			norm += u[c * n + i] * u[c * n + i];
		}
		norm = sqrt(norm);
		for (int i = 0; i < n; i++)
			u[c * n + i] /= norm;
		for (int i = 0; i < n; i++)
		{
			double		su = 0.0;

			for (int j = 0; j < n; j++)
				su += s[i * n + j] * u[c * n + j];
			res += (su - r->eigenvalues[c] * u[c * n + i]) * (su - r->eigenvalues[c] * u[c * n + i]);
		}
		if (!(sqrt(res) < 1e-8) || !(fabs(norm - 1.0) < 1e-8) || !(bigv > 0) ||
			(c > 0 && r->eigenvalues[c] > r->eigenvalues[c - 1]))
		{
			Err(e, "%s: component %d: residual %g, norm %.17g, largest entry %g, eigenvalue %.17g",
				what, c, sqrt(res), norm, bigv, r->eigenvalues[c]);
			bad++;
		}
		for (int c2 = 0; c2 < c; c2++)
		{
			double		dot = 0.0;

			for (int i = 0; i < n; i++)
				dot += u[c * n + i] * u[c2 * n + i];
			if (!(fabs(dot) < 1e-8))
			{
				Err(e, "%s: components %d and %d not orthogonal (%g)", what, c2, c, dot);
				bad++;
			}
		}
	}
	free(u);
	free(s);
	free(dd);
	return bad;
}

/* true when labels and truth are the same partition (a one-to-one map) */
static bool
SamePartition(const int32_t *a, const int32_t *b, int64_t n, int k)
{
	int		   *ab = Xcalloc(k, sizeof(int));
	int		   *ba = Xcalloc(k, sizeof(int));
	bool		ok = true;

	for (int i = 0; i < k; i++)
		ab[i] = ba[i] = -1;
	for (int64_t i = 0; i < n && ok; i++)
	{
		if (a[i] < 0 || a[i] >= k || b[i] < 0 || b[i] >= k)
			ok = false;
		else if (ab[a[i]] < 0 && ba[b[i]] < 0)
		{
			ab[a[i]] = b[i];
			ba[b[i]] = a[i];
		}
		else if (ab[a[i]] != b[i] || ba[b[i]] != a[i])
			ok = false;
	}
	free(ab);
	free(ba);
	return ok;
}

static void
TestSpectral(void)
{
	Rng			r = {77};
	int			n = 240;
	int			d = 3;
	int			k = 4;
	int32_t    *truth = Xcalloc(n, sizeof(int32_t));
	double	   *x = Xcalloc((size_t) n * d, sizeof(double));
	UsMatrix	m = {n, d, x};
	UsSpectralParams p;
	UsSpectralResult a;
	UsSpectralResult b;
	UsSpectralResult full;
	Errs		e = {0};
	Rng			kr = {5};
	int64_t		checks0;
	int			rc;

	/* four blobs around the origin and 6 along each axis, sigma 0.5, rows shuffled */
	for (int i = 0; i < n; i++)
	{
		truth[i] = i % k;
		for (int j = 0; j < d; j++)
			x[i * d + j] = (truth[i] == j + 1 ? 6.0 : 0.0) + 0.5 * RngNormal(&r);
	}
	Shuffle(&r, x, truth, n, d);
	memset(&p, 0, sizeof(p));
	p.k = k;
	p.affinity = US_SPECTRAL_RBF;
	p.gamma = 0.2;
	p.n_neighbors = 10;
	p.n_init = 10;
	p.uniform = RngUniformCb;
	p.rng_arg = &kr;

	/* rbf: the eigen-equations, ARPACK's eigenvalues against LAPACK's, the partition */
	checks0 = tracker.checks;
	rc = UsSpectral(&core, &m, &p, &a);
	Check(rc == 0 && SpectralCheckEmbedding(&e, "rbf", x, n, d, false, p.gamma, 0, &a) == 0,
		  "spectral rbf: each column times sqrt(degree) is a unit eigenvector of D^-1/2 A0 D^-1/2 (residual < 1e-8), orthonormal, eigenvalues decreasing, largest entry positive (rc %d, %ld products)",
		  rc, (long) a.products);
	Check(rc == 0 && tracker.checks - checks0 > a.products,
		  "spectral rbf: an interrupt check before each of ARPACK's %ld steps (%ld checks)",
		  (long) a.products, (long) (tracker.checks - checks0));
	Check(rc == 0 && SamePartition(a.labels, truth, n, k),
		  "spectral rbf: the labels are the four separated blobs");
	{
		UsSpectralParams pf = p;
		Rng			fr = {5};
		int			bad = 0;

		pf.k = n;
		pf.rng_arg = &fr;
		rc = UsSpectralEmbedding(&core, &m, &pf, &full);
		for (int c = 0; c < k && rc == 0; c++)
			if (!(fabs(full.eigenvalues[c] - a.eigenvalues[c]) < 1e-10))
				bad++;
		Check(rc == 0 && bad == 0 && SpectralCheckEmbedding(&e, "rbf, k = n", x, n, d, false, p.gamma, 0, &full) == 0,
			  "spectral rbf: ARPACK's %d largest eigenvalues are LAPACK's (k = n, dsyevr) within 1e-10 (%d differ), and LAPACK's embedding checks out", k, bad);
		SpectralFree(&full);
	}
	kr.s = 5;
	rc = UsSpectral(&core, &m, &p, &b);
	Check(rc == 0 && memcmp(a.labels, b.labels, sizeof(int32_t) * n) == 0 &&
		  memcmp(a.embedding, b.embedding, sizeof(double) * n * k) == 0,
		  "spectral rbf: the same seed gives the same embedding and labels, bit for bit");
	SpectralFree(&a);
	SpectralFree(&b);

	/* nearest_neighbors */
	p.affinity = US_SPECTRAL_KNN;
	for (int nn = 2; nn <= 16; nn *= 2)
	{
		p.n_neighbors = nn;
		kr.s = 9;
		rc = UsSpectral(&core, &m, &p, &a);
		Check(rc == 0 && SpectralCheckEmbedding(&e, "knn", x, n, d, true, 0, nn, &a) == 0 &&
			  (nn < 8 || SamePartition(a.labels, truth, n, k)),
			  "spectral nearest_neighbors (n_neighbors %d): eigenvectors of the naive symmetrized k-NN graph's S%s (rc %d)",
			  nn, nn < 8 ? "" : ", the four blobs", rc);
		SpectralFree(&a);
	}

	/* a few rows, k = n and k = n - 1; bad arguments */
	{
		UsMatrix	small = {7, d, x};

		p.affinity = US_SPECTRAL_RBF;
		p.k = 7;
		rc = UsSpectral(&core, &small, &p, &a);
		Check(rc == 0 && SpectralCheckEmbedding(&e, "k = n", x, 7, d, false, p.gamma, 0, &a) == 0,
			  "spectral with k = n = 7 (LAPACK): eigenvectors (rc %d)", rc);
		SpectralFree(&a);
		p.k = 6;
		rc = UsSpectral(&core, &small, &p, &a);
		Check(rc == 0 && SpectralCheckEmbedding(&e, "k = n - 1", x, 7, d, false, p.gamma, 0, &a) == 0,
			  "spectral with k = n - 1 = 6 (ARPACK, ncv = n): eigenvectors (rc %d)", rc);
		SpectralFree(&a);
		p.k = 8;
		rc = UsSpectral(&core, &small, &p, &a);
		Check(rc == US_SPECTRAL_BAD_ARGUMENT, "spectral: k above the rows is a bad argument");
		p.k = 2;
		p.gamma = 0.0;
		rc = UsSpectral(&core, &small, &p, &a);
		Check(rc == US_SPECTRAL_BAD_ARGUMENT, "spectral: gamma 0 is a bad argument");
	}
	free(x);
	free(truth);
}

/* ---------------------------------------------------------------- at scale */

/*
 * The Lloyd step accumulator (kmeans_step_core.c) against a naive assignment; the
 * combinable moments (stats_core.c) against two-pass sums; mini-batch K-Means
 * (minibatch_core.c) on separated blobs
 */
static void
TestAtScale(void)
{
	Rng			r = {20261202};
	int			n = 3000,
				d = 5,
				k = 4;
	int32_t    *truth = Xcalloc(n, sizeof(int32_t));
	double	   *x = Blobs(&r, n, d, k, 10.0, 1.0, truth);
	double	   *centers = Xcalloc((size_t) k * d, sizeof(double));
	int64_t		len = UsStepLength(k, d);
	double	   *s1 = Xcalloc(len, sizeof(double));
	double	   *s2 = Xcalloc(len, sizeof(double));
	double	   *s3 = Xcalloc(len, sizeof(double));
	double	   *scratch = Xcalloc((size_t) (k + 4) * d, sizeof(double));
	double		alld[8];
	double	   *means = Xcalloc((size_t) k * d, sizeof(double));
	double	   *nsum = Xcalloc((size_t) k * d, sizeof(double));
	int64_t    *ncnt = Xcalloc(k, sizeof(int64_t));
	double		ninertia = 0.0;
	UsStepView	v1,
				v2,
				v3;
	bool		ok = true;

	for (int c = 0; c < k; c++)
		memcpy(centers + c * d, x + (c * 17) * d, sizeof(double) * d);
	UsStepInit(s1, centers, k, d);
	UsStepInit(s2, centers, k, d);
	UsStepInit(s3, centers, k, d);
	UsStepLayout(s1, &v1);
	UsStepLayout(s2, &v2);
	UsStepLayout(s3, &v3);
	for (int i = 0; i < n; i++)
	{
		double		d2;
		int			c = UsKmeansNearest(centers, k, d, x + i * d, &d2);

		UsStepAdd(&v1, x + i * d, alld);
		UsStepAdd(i < n / 3 ? &v2 : &v3, x + i * d, alld);
		for (int j = 0; j < d; j++)
			nsum[c * d + j] += x[i * d + j];
		ncnt[c]++;
		ninertia += d2;
	}
	for (int c = 0; c < k; c++)
	{
		ok = ok && v1.counts[c] == (double) ncnt[c];
		for (int j = 0; j < d; j++)
			ok = ok && v1.sums[c * d + j] == nsum[c * d + j];
	}
	Check(ok && Close(s1[4], ninertia, 1e-14, 1e-300),
		  "step accumulator: counts and sums as a naive assignment in row order, bit for bit");
	Check(UsStepCheck(s1, len, scratch) == NULL, "step accumulator: a fresh state is valid");
	Check(UsStepSameCenters(&v2, &v3), "step accumulator: states of the same centers match");
	UsStepCombine(&v2, &v3);
	ok = s2[3] == s1[3] && Close(s2[4], s1[4], 1e-13, 1e-300);
	for (int64_t i = 0; i < (int64_t) k * d; i++)
		ok = ok && Close(v2.sums[i], v1.sums[i], 1e-13, 1e-9);
	Check(ok, "step accumulator: two combined states equal one within 1e-13");
	UsStepMeans(&v1, means);
	ok = true;
	for (int c = 0; c < k; c++)
		for (int j = 0; j < d; j++)
			ok = ok && (ncnt[c] == 0 ? means[c * d + j] == centers[c * d + j] :
						Close(means[c * d + j], nsum[c * d + j] / ncnt[c], 1e-15, 1e-300));
	Check(ok, "step accumulator: means of the rows per center");
	s1[10] += 1.0;				/* a transposed center no longer matches */
	Check(UsStepCheck(s1, len, scratch) != NULL, "step accumulator: a tampered state is refused");
	Check(UsStepCheck(s1, len - 1, scratch) != NULL, "step accumulator: a short state is refused");

	/* moments: Welford plus Chan's merge against two passes */
	{
		double		a[US_MOMENT_LEN],
					b[US_MOMENT_LEN],
					all[US_MOMENT_LEN];
		double		mean = 0.0,
					m2 = 0.0,
					mn = HUGE_VAL,
					mx = -HUGE_VAL;

		UsMomentInit(a);
		UsMomentInit(b);
		UsMomentInit(all);
		for (int i = 0; i < n; i++)
		{
			double		xi = 1e6 + x[i * d];

			UsMomentAdd(i % 3 ? a : b, xi);
			UsMomentAdd(all, xi);
			mean += xi;
			mn = xi < mn ? xi : mn;
			mx = xi > mx ? xi : mx;
		}
		mean /= n;
		for (int i = 0; i < n; i++)
			m2 += (1e6 + x[i * d] - mean) * (1e6 + x[i * d] - mean);
		UsMomentMerge(a, b);
		Check(a[0] == n && Close(a[1], mean, 1e-14, 1e-300) && Close(a[2], m2, 1e-9, 1e-300) &&
			  a[3] == mn && a[4] == mx && Close(all[2], m2, 1e-9, 1e-300),
			  "moments: Welford and Chan's merge as two passes (mean 1e-14, M2 1e-9 at offset 1e6)");
	}

	/* cluster moments: inertia and between-cluster dispersion against two passes */
	{
		int64_t		bs = US_CLUSTER_BLOCK(d);
		double	   *ba = Xcalloc((size_t) k * bs, sizeof(double));
		double	   *bb = Xcalloc((size_t) k * bs, sizeof(double));
		double	   *bm = Xcalloc((size_t) 2 * k * bs, sizeof(double));
		int64_t		ma = 0,
					mb = 0,
					m;
		double		rows,
					inertia,
					between,
					want = 0.0,
					wantb = 0.0;
		double	   *cm = Xcalloc((size_t) k * d, sizeof(double));
		double	   *gm = Xcalloc(d, sizeof(double));
		int64_t    *cc = Xcalloc(k, sizeof(int64_t));

		for (int i = 0; i < n; i++)
		{
			double	   *blocks = i % 2 ? ba : bb;
			int64_t    *mm = i % 2 ? &ma : &mb;
			bool		found;
			int64_t		pos = UsClusterFind(blocks, *mm, d, truth[i], &found);

			if (!found)
			{
				memmove(blocks + (pos + 1) * bs, blocks + pos * bs,
						sizeof(double) * (*mm - pos) * bs);
				memset(blocks + pos * bs, 0, sizeof(double) * bs);
				blocks[pos * bs] = truth[i];
				(*mm)++;
			}
			UsClusterAdd(blocks + pos * bs, x + i * d, d);
			for (int j = 0; j < d; j++)
			{
				cm[truth[i] * d + j] += x[i * d + j];
				gm[j] += x[i * d + j];
			}
			cc[truth[i]]++;
		}
		m = UsClusterMerge(ba, ma, bb, mb, d, bm);
		UsClusterScores(bm, m, d, &rows, &inertia, &between);
		for (int c = 0; c < k; c++)
			for (int j = 0; j < d; j++)
				cm[c * d + j] /= cc[c];
		for (int j = 0; j < d; j++)
			gm[j] /= n;
		for (int i = 0; i < n; i++)
			want += UsSqDist(x + i * d, cm + truth[i] * d, d);
		for (int c = 0; c < k; c++)
			wantb += cc[c] * UsSqDist(cm + c * d, gm, d);
		Check(m == k && rows == n && Close(inertia, want, 1e-12, 1e-300) &&
			  Close(between, wantb, 1e-12, 1e-300),
			  "cluster moments: inertia and between-cluster dispersion as two passes (1e-12)");
		free(ba);
		free(bb);
		free(bm);
		free(cm);
		free(gm);
		free(cc);
	}

	/* mini-batch K-Means finds separated blobs */
	{
		UsMatrix	m = {n, d, x};
		UsMiniBatchParams p;
		UsMiniBatchResult res;
		double		inertia = 0.0,
					best = 0.0;
		int32_t    *lab = Xcalloc(n, sizeof(int32_t));
		int64_t    *cc = Xcalloc(k, sizeof(int64_t));
		double	   *cm = Xcalloc((size_t) k * d, sizeof(double));
		Rng			rr = {7};

		memset(&p, 0, sizeof(p));
		p.k = k;
		p.batch_size = 100;
		p.max_iter = 50;
		p.n_init = 3;
		p.n_total = n;
		p.max_no_improvement = 10;
		p.reassignment_ratio = 0.01;
		p.uniform = RngUniformCb;
		p.rng_arg = &rr;
		memset(&res, 0, sizeof(res));
		res.centers = centers;
		UsMiniBatchKmeans(&core, &m, &p, &res);
		for (int i = 0; i < n; i++)
		{
			double		d2;

			lab[i] = UsKmeansNearest(centers, k, d, x + i * d, &d2);
			inertia += d2;
		}
		for (int i = 0; i < n; i++)
		{
			cc[truth[i]]++;
			for (int j = 0; j < d; j++)
				cm[truth[i] * d + j] += x[i * d + j];
		}
		for (int c = 0; c < k; c++)
			for (int j = 0; j < d; j++)
				cm[c * d + j] /= cc[c];
		for (int i = 0; i < n; i++)
			best += UsSqDist(x + i * d, cm + truth[i] * d, d);
		Check(res.steps >= 1 && res.steps <= (int64_t) p.max_iter * n / p.batch_size &&
			  inertia <= 1.05 * best,
			  "mini-batch K-Means on separated blobs: inertia within 5%% of the true partition's "
			  "(%g, %g, %ld steps)", inertia, best, (long) res.steps);
		free(lab);
		free(cc);
		free(cm);
	}

	free(truth);
	free(x);
	free(centers);
	free(s1);
	free(s2);
	free(s3);
	free(scratch);
	free(means);
	free(nsum);
	free(ncnt);
}

/* Occurrences of needle in hay */
static int
CountOf(const char *hay, const char *needle)
{
	int			count = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		count++;
	return count;
}

/* data-marks of the root against the elements of class mark; no raw '<' from text */
static bool
SvgMarksAgree(const char *svg, const char *what)
{
	const char *dm = strstr(svg, "data-marks=\"");
	long		declared = dm ? strtol(dm + 12, NULL, 10) : -1;
	int			marks = CountOf(svg, "class=\"mark\"") + CountOf(svg, "class=\"mark ");

	if (declared != marks)
		Diag("%s: data-marks %ld, %d marks", what, declared, marks);
	return declared == marks && declared > 0 && CountOf(svg, "<title>") >= 1 &&
		CountOf(svg, "<desc>") == 1 && CountOf(svg, "</svg>") == 1;
}

/* The SVG writer: escaping, ticks, colours, and every chart's marks */
static void
TestSvg(void)
{
	UsSvg		s;
	double		ticks[US_SVG_MAX_TICKS];
	double		step = 0;
	int			n;
	char	   *doc;
	char		col[8];
	bool		ok = true;

	UsSvgInit(&core, &s, 10, 10);
	UsSvgEscaped(&s, "<a & 'b' \"c\">\x01");
	Check(strcmp(s.buf, "&lt;a &amp; &#39;b&#39; &quot;c&quot;&gt;?") == 0,
		  "svg: the five XML characters become entities, a control character '?'");
	doc = UsSvgFinish(&s, "t <1>", "d & e");
	Check(strstr(doc, "<title>t &lt;1&gt;</title>") && strstr(doc, "<desc>d &amp; e</desc>") &&
		  strstr(doc, "data-marks=\"0\""), "svg: the title and desc are escaped, no marks");
	UsFree(&core, doc);

	n = UsNiceTicks(0.13, 9.7, 6, ticks, US_SVG_MAX_TICKS, &step);
	Check(n == 6 && ticks[0] == 0 && ticks[n - 1] == 10 && step == 2,
		  "svg: ticks of [0.13, 9.7] are 0, 2, ..., 10 (%d ticks, step %g)", n, step);
	n = UsNiceTicks(-3.2, -3.2, 6, ticks, US_SVG_MAX_TICKS, NULL);
	Check(n >= 2 && ticks[0] <= -3.2 && ticks[n - 1] >= -3.2, "svg: one value gets ticks around it");
	Check(UsNiceTicks(NAN, 1, 6, ticks, US_SVG_MAX_TICKS, NULL) == 0 &&
		  UsNiceTicks(-DBL_MAX, DBL_MAX, 6, ticks, US_SVG_MAX_TICKS, NULL) <= US_SVG_MAX_TICKS,
		  "svg: no ticks for NaN, at most the maximum for the widest range");
	Check(strcmp(UsSegmentColor(-1), "#999999") == 0 &&
		  strcmp(UsSegmentColor(0), UsSegmentColor(8)) == 0 &&
		  strcmp(UsSegmentColor(0), UsSegmentColor(1)) != 0,
		  "svg: noise grey, the palette repeats after eight segments");
	UsSvgDiverging(-5, col);
	ok = strcmp(col, "#2166ac") == 0;
	UsSvgDiverging(0, col);
	ok = ok && strcmp(col, "#f7f7f7") == 0;
	UsSvgDiverging(1, col);
	Check(ok && strcmp(col, "#b2182b") == 0, "svg: diverging colours from blue to red, clipped");

	/* every chart: as many marks as it says, on small and degenerate figures */
	{
		double		x[6] = {0, 1, 2, 3, 4, 5};
		double		y[6] = {1, 1, 1, 1, 1, 1};
		double		z[6] = {-1, 2, NAN, 0.5, 3, -4};
		int32_t		lab[6] = {0, 0, 1, 1, -1, 1};
		int32_t		segs[3] = {-1, 0, 1};
		double		cx[3] = {NAN, 0.5, 3};
		double		cy[3] = {NAN, 1, 1};
		double		cz[3] = {NAN, 0, 0};
		UsScatterSpec sp = {6, x, y, z, lab, 3, segs, cx, cy, cz, "x <", "y &", "z"};
		const char *names[3] = {"a", "b<", "c"};
		double		share[6] = {0.5, 0.5, 0.2, 0.8, 1, 0};
		double		lift[6] = {1, 1, 0.4, 1.6, 2, 0};
		UsBox		boxes[6];
		int			ks[3] = {2, 3, 4};
		double		in[3] = {10, 5, 4};
		double		sil[3] = {0.5, NAN, 0.3};
		double		vals[5] = {0.1, -0.2, 0.5, 0.4, 0};
		int32_t		vlab[5] = {0, 0, 1, 1, 1};
		const char *algs[2] = {"kmeans", "dbscan"};
		double		bars[2] = {0.4, NAN};
		double		sorted[4] = {1, 2, 3, 10};

		for (int i = 0; i < 6; i++)
			UsBoxStats(sorted, i % 3 == 2 ? 0 : 4, &boxes[i]);
		doc = UsChartScatter(&core, &sp, "s", "d");
		Check(SvgMarksAgree(doc, "scatter") && CountOf(doc, "centroid\"") == 2 &&
			  strstr(doc, "x &lt;"), "svg: scatter of 6 points and 2 centroids (noise has none)");
		UsFree(&core, doc);
		doc = UsChart3d(&core, &sp, "s", "d");
		Check(SvgMarksAgree(doc, "3d"), "svg: 3-D view marks");
		UsFree(&core, doc);
		doc = UsChartHeatmap(&core, 2, segs + 1, 3, names, z, "h", "d");
		Check(SvgMarksAgree(doc, "heatmap") && strstr(doc, ">n/a<") && strstr(doc, "b&lt;"),
			  "svg: heatmap cells, n/a for NaN");
		UsFree(&core, doc);
		doc = UsChartMix(&core, 3, segs, 2, names, share, lift, "cat", "m", "d");
		Check(SvgMarksAgree(doc, "mix"), "svg: mix bars");
		UsFree(&core, doc);
		doc = UsChartBox(&core, 2, segs + 1, 3, names, boxes, "b", "d");
		Check(SvgMarksAgree(doc, "box") && CountOf(doc, "class=\"mark\"") == 4,
			  "svg: a box per segment and feature with values");
		UsFree(&core, doc);
		doc = UsChartSilhouette(&core, 5, vals, vlab, 2, segs + 1, 0.16, "s", "d");
		Check(SvgMarksAgree(doc, "silhouette") && strstr(doc, "average 0.160"),
			  "svg: one silhouette bar per row, the average");
		UsFree(&core, doc);
		doc = UsChartSweep(&core, 3, ks, in, sil, 1, 0, "k", "d");
		Check(SvgMarksAgree(doc, "sweep") && CountOf(doc, "class=\"mark\"") == 5,
			  "svg: sweep points, none for a NaN");
		UsFree(&core, doc);
		doc = UsChartBars(&core, 2, algs, bars, "silhouette", "c", "d");
		Check(SvgMarksAgree(doc, "bars") && strstr(doc, ">n/a<"), "svg: bars, n/a for NaN");
		UsFree(&core, doc);
	}
}

/* ---- The adjusted Rand index (ari_core.c) ---- */

/* The index the naive way: the pair counts over every pair of rows, in long double */
static double
NaiveAdjustedRand(const int64_t *t, const int64_t *p, int64_t n)
{
	long double tp = 0,
				fp = 0,
				fn = 0,
				tn = 0;

	for (int64_t i = 0; i < n; i++)
		for (int64_t j = 0; j < n; j++)
		{
			bool		st,
						sp;

			if (i == j)
				continue;
			st = t[i] == t[j];
			sp = p[i] == p[j];
			if (st && sp)
				tp += 1;
			else if (sp)
				fp += 1;
			else if (st)
				fn += 1;
			else
				tn += 1;
		}
	if (fn == 0 && fp == 0)
		return 1.0;
	return (double) (2.0L * (tp * tn - fn * fp) /
					 ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)));
}

static void
TestAdjustedRand(void)
{
	Rng			r = {77};
	int64_t		a4[4] = {0, 0, 1, 1};
	int64_t		b4[4] = {1, 1, 0, 0};
	int64_t		c4[4] = {0, 1, 0, 1};
	int64_t		ones[4] = {1, 1, 1, 1};
	int64_t		ids[4] = {0, 1, 2, 3};
	int64_t		same[4] = {0, 0, 0, 0};
	int64_t		split_a[3] = {5, 5, 9};
	int64_t		split_b[3] = {-1, -1, 2};
	int64_t		split_c[3] = {3, 4, 2};
	int			bad = 0;

	Check(UsAdjustedRandScore(&core, a4, b4, ones, 4) == 1.0,
		  "ari: the same partition renumbered is 1");
	Check(UsAdjustedRandScore(&core, a4, c4, ones, 4) == -0.5,
		  "ari: the discordant 4-row case is -0.5 (scikit-learn's example)");
	Check(UsAdjustedRandScore(&core, same, ids, ones, 4) == 0.0,
		  "ari: one group against every row its own is 0");
	Check(UsAdjustedRandScore(&core, same, same, ones, 0) == 1.0,
		  "ari: no cells is 1, as scikit-learn's empty case");
	/* a cell given in parts adds up: (5, -1) x 7, (9, 2) x 2 */
	Check(UsAdjustedRandScore(&core, split_a, split_b, split_c, 3) == 1.0,
		  "ari: a repeated pair of labels adds up");

	for (int c = 0; c < 60; c++)
	{
		int64_t		n = 2 + RngInt(&r, c < 40 ? 60 : 400);
		int64_t		kt = 1 + RngInt(&r, 8);
		int64_t		kp = 1 + RngInt(&r, 8);
		int64_t    *t = malloc(sizeof(int64_t) * n);
		int64_t    *p = malloc(sizeof(int64_t) * n);
		int64_t    *one = malloc(sizeof(int64_t) * n);
		double		got,
					want;

		for (int64_t i = 0; i < n; i++)
		{
			t[i] = RngInt(&r, kt) * 1000003 - 7;
			p[i] = RngUniform(&r) < 0.6 ? t[i] % 5 : RngInt(&r, kp) - 1;
			one[i] = 1;
		}
		got = UsAdjustedRandScore(&core, t, p, one, n);
		want = NaiveAdjustedRand(t, p, n);
		if (!(fabs(got - want) <= 1e-15 * fmax(1.0, fabs(want))))
		{
			if (bad++ < 3)
				Diag("ari case %d (n %ld): %.17g, naive %.17g", c, (long) n, got, want);
		}
		free(t);
		free(p);
		free(one);
	}
	Check(bad == 0, "ari: 60 random labelings agree with the pair-counting definition");
}

/* ------------------------------------------ mean shift and dbscan on worker threads */

/*
 * Mean Shift's bandwidth estimate and climbs, and DBSCAN's core test and joins, run on
 * UsParallelRun: for 2 workers, and 3 and 8 with interrupts stopping and restarting
 * the workers in the middle of chunks, every result equals one worker's bit for bit,
 * and nothing is left allocated
 */
/*
 * A core with threads whose pending callback says an interrupt is pending on every
 * dp_every-th poll, at most dp_left more times (reset before each run): the workers are
 * stopped and restarted in the middle of chunks a few times per run, and every run
 * still finishes however slowly its chunks go (under valgrind, a fixed rate of
 * interrupts could stop every chunk before it completes)
 */
static int	dp_every;
static int	dp_left;
static int64_t dp_calls;

static bool
DensityPending(void *arg)
{
	dp_calls++;
	if (dp_left > 0 && dp_every > 0 && dp_calls % dp_every == 0)
	{
		dp_left--;
		return true;
	}
	return false;
}

/* The worker counts run against one worker, and whether each is interrupted */
static const int dp_workers[] = {2, 3, 8};
static const bool dp_interrupted[] = {false, true, true};

static UsCore
DensityCore(int config)
{
	UsCore		c = core;

	c.workers = dp_workers[config];
	c.pending = DensityPending;
	dp_every = 2;
	dp_left = dp_interrupted[config] ? 3 : 0;
	return c;
}

static bool
SameMeanShift(const UsMeanShiftResult *a, const UsMeanShiftResult *b, int64_t n, int d)
{
	return a->k == b->k && a->n_iter == b->n_iter && a->nseeds == b->nseeds &&
		a->seeds_binned == b->seeds_binned && a->noise == b->noise &&
		SameBits(a->labels, b->labels, sizeof(int32_t) * (size_t) n) &&
		SameBits(a->centers, b->centers, sizeof(double) * (size_t) a->k * (size_t) d) &&
		SameBits(a->intensity, b->intensity, sizeof(int64_t) * (size_t) a->k) &&
		SameBits(a->sizes, b->sizes, sizeof(int64_t) * (size_t) a->k);
}

static void
FreeMeanShift(UsMeanShiftResult *r)
{
	UsFree(&core, r->labels);
	UsFree(&core, r->centers);
	UsFree(&core, r->intensity);
	UsFree(&core, r->sizes);
}

static void
TestDensityParallel(void)
{
	Rng			r = {91};
	int			nconfig = (int) (sizeof(dp_workers) / sizeof(dp_workers[0]));
	/* d 2: the grid; d 5: the k-d tree; d 30: brute force */
	int			dims[] = {2, 5, 30};

	for (int c = 0; c < 3; c++)
	{
		int			d = dims[c];
		int64_t		n = c == 2 ? 600 : 1100;
		double	   *x = Blobs(&r, n, d, 4, 4.0, 1.0, NULL);
		UsMatrix	m = {n, d, x};
		UsCore		one = ThreadedCore(1);
		int64_t		calls0 = dp_calls;
		int64_t		live0 = tracker.live;
		double		bw1 = UsEstimateBandwidth(&one, &m, 0.3, 0, 0);
		double		bs1 = UsEstimateBandwidth(&one, &m, 0.1, 520, 4);
		bool		same_bw = true;
		bool		same_fit = true;
		bool		any_binned = false;
		int			ks[2] = {0, 0};
		int64_t		seeds[2] = {0, 0};

		for (int w = 0; w < nconfig; w++)
		{
			UsCore		cw = DensityCore(w);
			double		bw = UsEstimateBandwidth(&cw, &m, 0.3, 0, 0);
			double		bs;

			cw = DensityCore(w);
			bs = UsEstimateBandwidth(&cw, &m, 0.1, 520, 4);
			if (!SameBits(&bw, &bw1, sizeof(double)) || !SameBits(&bs, &bs1, sizeof(double)))
			{
				Diag("d %d, %d workers%s: bandwidth %.17g vs %.17g, sample %.17g vs %.17g",
					 d, dp_workers[w], dp_interrupted[w] ? " and interrupts" : "", bw, bw1,
					 bs, bs1);
				same_bw = false;
			}
		}
		Check(same_bw,
			  "mean shift threads, d %d: estimate_bandwidth (every row, and a sample of 520) with 2 workers, and 3 and 8 with interrupts, is one worker's bit for bit (%.17g)",
			  d, bw1);

		/* bin seeding (few seeds) and every row a seed (rounds of seeds) */
		for (int b = 0; b < 2; b++)
		{
			/* in 30-D the bins' corners are too far from rows for the smaller bandwidth */
			UsMeanShiftParams p = {d == 30 ? bw1 : bs1, b == 0, 1, b == 0, 300, US_NN_AUTO};
			UsMeanShiftResult base;
			int			rc1 = UsMeanShift(&one, &m, &p, &base);

			ks[b] = base.k;
			seeds[b] = base.nseeds;
			any_binned = any_binned || base.seeds_binned;
			for (int w = 0; w < nconfig; w++)
			{
				UsCore		cw = DensityCore(w);
				UsMeanShiftResult res;
				int			rc = UsMeanShift(&cw, &m, &p, &res);

				if (rc != rc1 || (rc == 0 && !SameMeanShift(&res, &base, n, d)))
				{
					Diag("d %d, %s, %d workers%s: k %d vs %d, n_iter %d vs %d",
						 d, b == 0 ? "bin seeding" : "every row", dp_workers[w],
						 dp_interrupted[w] ? " and interrupts" : "", res.k, base.k,
						 res.n_iter, base.n_iter);
					same_fit = false;
				}
				FreeMeanShift(&res);
			}
			FreeMeanShift(&base);
		}
		Check(same_fit && any_binned && seeds[1] == n && ks[0] >= 1 && ks[1] >= 1,
			  "mean shift threads, d %d: labels, centres, intensities, sizes and n_iter with 2 workers, and 3 and 8 with interrupts, are one worker's bit for bit (%ld bin seeds, %d clusters; %ld row seeds, %d clusters)",
			  d, (long) seeds[0], ks[0], (long) seeds[1], ks[1]);
		Check(dp_calls > calls0 && tracker.live == live0,
			  "mean shift threads, d %d: the loops ran on threads (%ld polls for interrupts), nothing left allocated",
			  d, (long) (dp_calls - calls0));
		free(x);
	}

	/*
	 * DBSCAN: the core test by rows (k-d tree, brute force, weights) and by grid cells,
	 * the joins of the k-d tree and of brute force on threads (atomic unions)
	 */
	for (int c = 0; c < 4; c++)
	{
		int			d = c == 3 ? 2 : dims[c];
		int64_t		n = c == 2 ? 1500 : 4000;
		double	   *x = Blobs(&r, n, d, 5, 4.0, 1.0, NULL);
		double	   *wt = NULL;
		UsMatrix	m = {n, d, x};
		UsCore		one = ThreadedCore(1);
		UsDbscanParams p = {d == 2 ? 0.15 : (d == 5 ? 0.9 : 6.5), 6, NULL, US_NN_AUTO};
		UsDbscanResult base;
		int64_t		calls0 = dp_calls;
		bool		same = true;

		if (c == 3)
		{
			/* a negative weight: the grid's core test goes by rows, without early stops */
			wt = Xcalloc(n, sizeof(double));
			for (int64_t i = 0; i < n; i++)
				wt[i] = i % 97 == 0 ? -0.5 : 0.5 + RngUniform(&r);
			p.weight = wt;
		}
		UsDbscan(&one, &m, &p, &base);
		for (int w = 0; w < nconfig; w++)
		{
			UsCore		cw = DensityCore(w);
			UsDbscanResult res;

			UsDbscan(&cw, &m, &p, &res);
			if (res.k != base.k || res.ncore != base.ncore || res.noise != base.noise ||
				!SameBits(res.labels, base.labels, sizeof(int32_t) * (size_t) n) ||
				!SameBits(res.core, base.core, sizeof(bool) * (size_t) n))
			{
				Diag("dbscan d %d, %d workers%s: k %d vs %d, %ld vs %ld core rows",
					 d, dp_workers[w], dp_interrupted[w] ? " and interrupts" : "", res.k,
					 base.k, (long) res.ncore, (long) base.ncore);
				same = false;
			}
			UsFree(&core, res.labels);
			UsFree(&core, res.core);
		}
		Check(same && base.k >= 2 && base.ncore > 0 && base.ncore < n && dp_calls > calls0,
			  "dbscan threads, d %d%s: labels and core rows with 2 workers, and 3 and 8 with interrupts, are one worker's (%d clusters, %ld core rows, %ld noise; %ld polls)",
			  d, wt ? " with weights" : "", base.k, (long) base.ncore, (long) base.noise,
			  (long) (dp_calls - calls0));
		UsFree(&core, base.labels);
		UsFree(&core, base.core);
		free(wt);
		free(x);
	}
}

int
main(int argc, char **argv)
{
	int			fuzz_cases = argc > 1 ? atoi(argv[1]) : 400;
	double		fuzz_seconds = argc > 2 ? atof(argv[2]) : 5.0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	TestScalers();
	TestMetrics();
	TestKmeans();
	TestAssignment();
	TestAssignmentEdges();
	TestGroupMoments();
	TestSorts();
	TestCompactLabels();
	TestMoments();
	TestMatchPrevious();
	TestElbow();
	TestDistanceKernels();
	TestMetricsHuge();
	TestNeighbors();
	TestDbscan();
	TestAgglo();
	TestAggloChain();
	TestTeam();
	TestMeanShift();
	TestPca();
	TestBoxStats();
	TestParallel();
	TestSpectral();
	TestAtScale();
	TestSvg();
	TestAdjustedRand();
	TestDensityParallel();
	if (fuzz_cases > 0)
		TestFuzz(fuzz_cases, fuzz_seconds);
	Check(tracker.live == 0 && tracker.bad_free == 0,
		  "every allocation released once (%ld left, %ld bad frees, peak %zu bytes)",
		  (long) tracker.live, (long) tracker.bad_free, tracker.peak_bytes);
	printf("1..%d\n", n_tests);
	if (n_failed)
		Diag("%d of %d checks failed", n_failed, n_tests);
	return 0;
}
