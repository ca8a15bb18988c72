/*-------------------------------------------------------------------------
 *
 * sample.c
 *	  Sample users: a deterministic generator of social-media usage rows with
 *	  latent behavioral segments, for trying and testing segmentation.
 *
 * SQL: userseg_sample_users(n bigint, seed bigint DEFAULT 0,
 *							spread float8 DEFAULT 1.0) returns n rows
 *	 (user_id, age, gender, platform, daily_usage_minutes, posts_per_day,
 *	  likes_received_per_day, comments_received_per_day, messages_sent_per_day,
 *	  dominant_emotion);
 *	 userseg_sample_segments(n bigint, seed bigint DEFAULT 0,
 *							 spread float8 DEFAULT 1.0) returns the latent segment
 *	 of the same n users (user_id, latent_segment), the truth a segmentation of
 *	 the sample can be scored against.
 *
 * Design
 * ------
 * Each row is drawn on its own: its generator is a local pg_prng_state seeded
 * from a 64-bit mix of (seed, user_id).  The same n and seed give the same rows,
 * and the first m rows of any n >= m are the same (a prefix property), so a
 * 100-row sample is the head of the 10-million-row one.  Nothing depends on the
 * global generator or on any state outside the call.
 *
 * Model.  A user first belongs to one of six latent segments (weights in
 * percent):
 *
 *	 creators (16)		 Instagram/Snapchat, Happiness, long sessions, many posts,
 *						 many likes
 *	 scrollers (22)		 Facebook/Twitter, Neutral/Sadness/Anxiety/Boredom, fair
 *						 usage but few posts and messages
 *	 messengers (16)	 Whatsapp/Telegram/Snapchat, youngest, many messages
 *	 professionals (12)  LinkedIn, Boredom, oldest, short sessions, little activity
 *	 casual (22)		 a broad platform mix, short sessions, moderate activity
 *	 debaters (12)		 Twitter, Anger, many comments per like
 *
 * The segment sets the categorical mixes (gender, platform, dominant emotion:
 * one categorical draw each from the segment's table) and the centre of each
 * activity column.  Activity is correlated and right-skewed:
 *
 *	 z ~ N(0,1)                                     engagement, shared
 *	 r = exp(sigma_s * z)                           lognormal usage ratio
 *	 daily_usage_minutes = round(usage_s * r)
 *	 act = posts_s * r^1.2 * G(10)                  posting activity, G(k) a gamma
 *	 posts_per_day = round(act * G(12))               variate of shape k and mean 1
 *	 likes_received_per_day = round(likes_s * act * A),  A = exp(0.2 N - 0.2^2/2)
 *	 comments_received_per_day = round(comments_s * likes * G(10))
 *	 messages_sent_per_day = round(messages_s * r^0.8 * G(8))
 *	 age: normal (age_s, sd_s) truncated to [21, 35] by redrawing
 *
 * so usage, posts, likes and comments rise together within and across segments,
 * messages mark the messengers, and age sets the professionals apart.  Roughly
 * 0.2% of rows are outliers (a heavy or automated account): usage and the four
 * counts multiplied by a lognormal factor around 6, usage capped at 1440 minutes.
 * About 0.5% of rows each have a NULL age, a NULL messages_sent_per_day and a
 * NULL dominant_emotion (drawn independently).  Ordinary rows keep usage within
 * [10, 720] minutes.
 *
 * Spread.  spread in (0, 1] scales every within-segment draw around the
 * segment's centres: the age sd (sd_s * spread), the lognormal engagement
 * (sigma_s * spread * z), the likes factor (A = exp(0.2 spread N -
 * 0.02 spread^2)) and each gamma factor, taken to the power spread
 * (G(k)^spread, 1 when spread tends to 0).  spread = 1 is the model above,
 * bit for bit (no power is taken); smaller values shrink each segment towards
 * its centres, so the segments separate: at 0.1, DBSCAN and Mean Shift on age
 * and the log-scaled activity, z-scored, find the six segments (the demo's step
 * 7d and test/parity/test_sample_latent.py measure it).  The rounding of small
 * counts keeps some spread at any value.  The segment and the categories are
 * drawn first, so they do not depend on spread; the outliers and the NULLs keep
 * their rates, but the age redraws depend on spread and shift the rest of the
 * stream, so they fall on a few other rows.
 *
 * Latent segments.  userseg_sample_segments draws each row's segment exactly
 * as userseg_sample_users does (the first draw of the same per-row stream), so
 * its rows join the users on user_id for the same n, seed and spread, with the
 * same prefix property.  It takes spread only to mirror the users call (and
 * checks it the same way): the segment does not depend on it.
 *
 * Uniforms are the top 53 bits of pg_prng_uint64 (xoroshiro128**).  Normal
 * variates come from the Box-Muller transform in Marsaglia's polar form, gamma
 * variates from Marsaglia and Tsang's method with its squeeze ("A simple method
 * for generating gamma variables", ACM TOMS 26(3), 2000); their rejection loops
 * consume a variable number of draws, which is still deterministic for a row's
 * stream.  Only libm's log, exp and sqrt are used, without fast-math, so the
 * rows are the same from build to build; a libm that rounded log or exp
 * differently could, rarely, move a value by one.
 *
 * Cost and memory.  O(1) time and memory per row: a value-per-call set-returning
 * function that forms one tuple per call in the per-call memory context, so the
 * function holds no rows.  (In FROM, the executor's function scan keeps the
 * returned rows in a tuplestore that spills to disk beyond work_mem; in a
 * select list the rows stream.)  A planner support function, shared by both
 * functions, reports n rows for a constant n, so plans over the sample are
 * sized right.  Interrupts are checked once per row.
 *
 *-------------------------------------------------------------------------
 */
#include "userseg.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_sample_users);
PG_FUNCTION_INFO_V1(userseg_sample_segments);
PG_FUNCTION_INFO_V1(userseg_sample_users_support);

#define SAMPLE_MAX_ROWS		INT64CONST(100000000)
#define SAMPLE_NCOLS		10
#define SAMPLE_SEGMENT_NCOLS 2	/* user_id, latent_segment */
#define SAMPLE_NSEGMENTS	6

#define SAMPLE_AGE_MIN		21
#define SAMPLE_AGE_MAX		35
#define SAMPLE_USAGE_MIN	10
#define SAMPLE_USAGE_MAX	720
#define SAMPLE_USAGE_CAP	1440	/* outliers: a whole day */

#define SAMPLE_OUTLIER_RATE 0.002
#define SAMPLE_NULL_RATE	0.005

static const char *const sample_genders[] = {"Female", "Male", "Non-binary"};
#define SAMPLE_NGENDERS 3

static const char *const sample_platforms[] = {
	"Instagram", "Twitter", "Facebook", "LinkedIn", "Snapchat", "Whatsapp", "Telegram"
};
#define SAMPLE_NPLATFORMS 7

static const char *const sample_emotions[] = {
	"Happiness", "Anger", "Neutral", "Anxiety", "Boredom", "Sadness"
};
#define SAMPLE_NEMOTIONS 6

/* One latent segment: its share, categorical mixes and activity centres */
typedef struct SampleSegment
{
	const char *name;
	double		weight;
	double		gender[SAMPLE_NGENDERS];
	double		platform[SAMPLE_NPLATFORMS];
	double		emotion[SAMPLE_NEMOTIONS];
	double		age_mean;
	double		age_sd;
	double		usage;			/* median daily minutes */
	double		usage_sigma;	/* lognormal spread of usage */
	double		posts;			/* posting activity at median usage */
	double		likes;			/* likes received per unit of activity */
	double		comments;		/* comments received per like */
	double		messages;		/* messages sent at median usage */
} SampleSegment;

/*
 * The segments.  Mixes are in the order of sample_genders, sample_platforms
 * (Instagram, Twitter, Facebook, LinkedIn, Snapchat, Whatsapp, Telegram) and
 * sample_emotions (Happiness, Anger, Neutral, Anxiety, Boredom, Sadness); each
 * row sums to 1.
 */
static const SampleSegment sample_segments[SAMPLE_NSEGMENTS] = {
	{"creators", 0.16,
		{0.56, 0.30, 0.14},
		{0.62, 0.10, 0.04, 0.02, 0.14, 0.04, 0.04},
		{0.62, 0.03, 0.08, 0.17, 0.02, 0.08},
	26.0, 3.5, 170.0, 0.18, 7.0, 14.0, 0.33, 32.0},
	{"scrollers", 0.22,
		{0.30, 0.34, 0.36},
		{0.16, 0.22, 0.42, 0.04, 0.08, 0.04, 0.04},
		{0.04, 0.06, 0.26, 0.20, 0.20, 0.24},
	26.5, 4.0, 110.0, 0.18, 1.0, 12.0, 0.38, 10.0},
	{"messengers", 0.16,
		{0.40, 0.34, 0.26},
		{0.06, 0.04, 0.08, 0.02, 0.22, 0.34, 0.24},
		{0.26, 0.08, 0.30, 0.16, 0.06, 0.14},
	24.5, 3.0, 85.0, 0.18, 1.8, 10.0, 0.50, 50.0},
	{"professionals", 0.12,
		{0.36, 0.46, 0.18},
		{0.04, 0.10, 0.12, 0.66, 0.00, 0.04, 0.04},
		{0.04, 0.03, 0.22, 0.12, 0.50, 0.09},
	31.0, 2.5, 50.0, 0.18, 1.0, 11.0, 0.45, 10.0},
	{"casual", 0.22,
		{0.34, 0.36, 0.30},
		{0.20, 0.16, 0.26, 0.08, 0.08, 0.12, 0.10},
		{0.12, 0.08, 0.30, 0.12, 0.20, 0.18},
	28.0, 3.5, 60.0, 0.18, 2.2, 10.0, 0.40, 18.0},
	{"debaters", 0.12,
		{0.28, 0.56, 0.16},
		{0.08, 0.70, 0.10, 0.04, 0.02, 0.02, 0.04},
		{0.04, 0.52, 0.06, 0.20, 0.04, 0.14},
	27.0, 3.5, 105.0, 0.18, 4.5, 9.0, 0.70, 22.0},
};

/* A row's random stream: the generator and the spare Box-Muller variate */
typedef struct SampleRng
{
	pg_prng_state prng;
	bool		has_spare;
	double		spare;
} SampleRng;

/* State kept across calls */
typedef struct SampleState
{
	int64		n;
	uint64		seed_mix;
	double		spread;			/* within-segment spread, (0, 1] */
	double		weights[SAMPLE_NSEGMENTS];	/* segment shares */
	TupleDesc	tupdesc;
	Datum		genders[SAMPLE_NGENDERS];
	Datum		platforms[SAMPLE_NPLATFORMS];
	Datum		emotions[SAMPLE_NEMOTIONS];
	Datum		segments[SAMPLE_NSEGMENTS]; /* names, for the segments call */
} SampleState;

/*
 * Mix 64 bits (splitmix64's finalizer)
 */
static inline uint64
SampleMix64(uint64 x)
{
	x += UINT64CONST(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/*
 * Seed a row's stream from the call's seed and the row number
 */
static void
SampleRngInit(SampleRng *rng, uint64 seed_mix, int64 row)
{
	pg_prng_seed(&rng->prng, SampleMix64(seed_mix ^ (uint64) row));
	rng->has_spare = false;
}

/*
 * Uniform in [0, 1): the top 53 bits of the next pg_prng value.  Exact in binary
 * and cheaper than ldexp, and it ties the rows to pg_prng's generator alone.
 */
static inline double
SampleUniform(SampleRng *rng)
{
	return (double) (pg_prng_uint64(&rng->prng) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Standard normal variate: Box-Muller in Marsaglia's polar form (no sine or
 * cosine; a point drawn in the square is kept if it falls in the unit disc)
 */
static double
SampleNormal(SampleRng *rng)
{
	double		v1,
				v2,
				s,
				f;

	if (rng->has_spare)
	{
		rng->has_spare = false;
		return rng->spare;
	}
	do
	{
		v1 = 2.0 * SampleUniform(rng) - 1.0;
		v2 = 2.0 * SampleUniform(rng) - 1.0;
		s = v1 * v1 + v2 * v2;
	} while (s >= 1.0 || s == 0.0);
	f = sqrt(-2.0 * log(s) / s);
	rng->spare = v2 * f;
	rng->has_spare = true;
	return v1 * f;
}

/*
 * Gamma variate of shape k >= 1 and mean 1 (Marsaglia and Tsang)
 */
static double
SampleGamma(SampleRng *rng, double k)
{
	double		d = k - 1.0 / 3.0;
	double		c = 1.0 / sqrt(9.0 * d);

	for (;;)
	{
		double		x = SampleNormal(rng);
		double		v = 1.0 + c * x;
		double		u;

		if (v <= 0.0)
			continue;
		v = v * v * v;
		u = 1.0 - SampleUniform(rng);	/* (0, 1]: log is finite */
		/* the squeeze accepts most draws without a logarithm */
		if (u < 1.0 - 0.0331 * (x * x) * (x * x) ||
			log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return d * v / k;
	}
}

/*
 * Index drawn from a discrete distribution of m probabilities summing to 1
 */
static int
SampleCategory(SampleRng *rng, const double *p, int m)
{
	double		u = SampleUniform(rng);
	int			i;

	for (i = 0; i < m - 1; i++)
	{
		if (u < p[i])
			return i;
		u -= p[i];
	}
	return m - 1;
}

/*
 * A gamma factor of mean 1 with its spread scaled: g^spread (g itself at 1)
 */
static inline double
SampleSpreadFactor(double g, double spread)
{
	return spread == 1.0 ? g : pow(g, spread);
}

/*
 * The row's latent segment: the first draw of its stream
 */
static inline int
SampleSegmentOf(SampleState *st, SampleRng *rng)
{
	return SampleCategory(rng, st->weights, SAMPLE_NSEGMENTS);
}

/*
 * Round a non-negative double to an int32, saturating
 */
static inline int32
SampleRound(double x)
{
	if (!(x > 0.0))
		return 0;
	if (x >= (double) PG_INT32_MAX)
		return PG_INT32_MAX;
	return (int32) rint(x);
}

/*
 * Generate the row with the given user_id into values/nulls
 */
static void
SampleRow(SampleState *st, int64 row, Datum *values, bool *nulls)
{
	SampleRng	rng;
	const SampleSegment *seg;
	double		z,
				r,
				usage,
				act,
				posts,
				likes,
				comments,
				messages,
				age,
				age_sd,
				sigma,
				lsd;
	double		spread = st->spread;
	int			tries;

	SampleRngInit(&rng, st->seed_mix, row);

	/* Segment and categories */
	seg = &sample_segments[SampleSegmentOf(st, &rng)];

	memset(nulls, false, SAMPLE_NCOLS * sizeof(bool));
	values[0] = Int64GetDatum(row);
	values[2] = st->genders[SampleCategory(&rng, seg->gender, SAMPLE_NGENDERS)];
	values[3] = st->platforms[SampleCategory(&rng, seg->platform, SAMPLE_NPLATFORMS)];
	values[9] = st->emotions[SampleCategory(&rng, seg->emotion, SAMPLE_NEMOTIONS)];

	/* Age: truncated normal, redrawn until within range (then clamped) */
	age_sd = seg->age_sd * spread;
	age = seg->age_mean;
	for (tries = 0; tries < 16; tries++)
	{
		age = rint(seg->age_mean + age_sd * SampleNormal(&rng));
		if (age >= SAMPLE_AGE_MIN && age <= SAMPLE_AGE_MAX)
			break;
	}
	age = Min(Max(age, SAMPLE_AGE_MIN), SAMPLE_AGE_MAX);
	values[1] = Int32GetDatum((int32) age);

	/* Correlated, right-skewed activity */
	sigma = seg->usage_sigma * spread;
	lsd = 0.2 * spread;
	z = SampleNormal(&rng);
	r = exp(sigma * z);
	usage = seg->usage * r;
	usage = Min(Max(usage, SAMPLE_USAGE_MIN), SAMPLE_USAGE_MAX);
	act = seg->posts * exp(1.2 * sigma * z) *
		SampleSpreadFactor(SampleGamma(&rng, 10.0), spread);
	posts = act * SampleSpreadFactor(SampleGamma(&rng, 12.0), spread);
	/* 0.02 spread^2 = (0.2 spread)^2 / 2, written so that spread 1 gives 0.02 */
	likes = seg->likes * act * exp(lsd * SampleNormal(&rng) - 0.02 * spread * spread);
	comments = seg->comments * likes * SampleSpreadFactor(SampleGamma(&rng, 10.0), spread);
	messages = seg->messages * exp(0.8 * sigma * z) *
		SampleSpreadFactor(SampleGamma(&rng, 8.0), spread);

	/* Rare outliers: heavy or automated accounts */
	if (SampleUniform(&rng) < SAMPLE_OUTLIER_RATE)
	{
		double		f = exp(log(6.0) + 0.4 * SampleNormal(&rng));

		usage = Min(usage * f, SAMPLE_USAGE_CAP);
		posts *= f;
		likes *= f;
		comments *= f;
		messages *= f;
	}

	values[4] = Int32GetDatum(SampleRound(usage));
	values[5] = Int32GetDatum(SampleRound(posts));
	values[6] = Int32GetDatum(SampleRound(likes));
	values[7] = Int32GetDatum(SampleRound(comments));
	values[8] = Int32GetDatum(SampleRound(messages));

	/* Missing values, each drawn on its own */
	nulls[1] = SampleUniform(&rng) < SAMPLE_NULL_RATE;
	nulls[8] = SampleUniform(&rng) < SAMPLE_NULL_RATE;
	nulls[9] = SampleUniform(&rng) < SAMPLE_NULL_RATE;
}

/*
 * Check the number of rows asked for
 */
static inline void
SampleCheckRows(int64 n)
{
	if (n < 1 || n > SAMPLE_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of sample users must be between 1 and " INT64_FORMAT,
						SAMPLE_MAX_ROWS),
				 errdetail("The call asked for " INT64_FORMAT " users.", n),
				 errhint("Pass n between 1 and " INT64_FORMAT ".", SAMPLE_MAX_ROWS)));
}

/*
 * Check the spread of the segments
 */
static inline void
SampleCheckSpread(double spread)
{
	if (isnan(spread) || !(spread > 0.0 && spread <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("spread of the sample segments must be greater than 0 and at most 1"),
				 errdetail("The call asked for spread %g.", spread),
				 errhint("Pass spread in (0, 1]: 1 (the default) for overlapping segments, "
						 "smaller values such as 0.1 for well-separated ones.")));
}

/*
 * First call of either set-returning function: check the arguments, build the
 * state in the multi-call context, bless the result type of ncols columns
 */
static SampleState *
SampleFirstCall(FunctionCallInfo fcinfo, FuncCallContext *funcctx, int ncols,
				const char *fname)
{
	int64		n = PG_GETARG_INT64(0);
	int64		seed = PG_GETARG_INT64(1);
	double		spread = PG_GETARG_FLOAT8(2);
	MemoryContext oldcontext;
	TupleDesc	tupdesc;
	SampleState *st;
	int			i;

	SampleCheckRows(n);
	SampleCheckSpread(spread);

	oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	if (tupdesc->natts != ncols)
		elog(ERROR, "%s returns %d columns, expected %d, please report a bug",
			 fname, tupdesc->natts, ncols);

	st = palloc0(sizeof(SampleState));
	st->n = n;
	st->seed_mix = SampleMix64((uint64) seed);
	st->spread = spread;
	st->tupdesc = BlessTupleDesc(tupdesc);
	for (i = 0; i < SAMPLE_NSEGMENTS; i++)
	{
		st->weights[i] = sample_segments[i].weight;
		st->segments[i] = CStringGetTextDatum(sample_segments[i].name);
	}
	for (i = 0; i < SAMPLE_NGENDERS; i++)
		st->genders[i] = CStringGetTextDatum(sample_genders[i]);
	for (i = 0; i < SAMPLE_NPLATFORMS; i++)
		st->platforms[i] = CStringGetTextDatum(sample_platforms[i]);
	for (i = 0; i < SAMPLE_NEMOTIONS; i++)
		st->emotions[i] = CStringGetTextDatum(sample_emotions[i]);

	funcctx->user_fctx = st;
	funcctx->max_calls = (uint64) n;
	MemoryContextSwitchTo(oldcontext);
	return st;
}

/*
 * userseg_sample_users(n bigint, seed bigint, spread float8) returns setof record
 *
 * Value-per-call: one row per call, nothing kept but the counters.
 */
Datum
userseg_sample_users(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	SampleState *st;

	if (SRF_IS_FIRSTCALL())
		SampleFirstCall(fcinfo, SRF_FIRSTCALL_INIT(), SAMPLE_NCOLS, "userseg_sample_users");

	funcctx = SRF_PERCALL_SETUP();
	st = (SampleState *) funcctx->user_fctx;

	if (funcctx->call_cntr < funcctx->max_calls)
	{
		Datum		values[SAMPLE_NCOLS];
		bool		nulls[SAMPLE_NCOLS];
		HeapTuple	tuple;

		CHECK_FOR_INTERRUPTS();
		SampleRow(st, (int64) funcctx->call_cntr + 1, values, nulls);
		tuple = heap_form_tuple(st->tupdesc, values, nulls);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
	}

	SRF_RETURN_DONE(funcctx);
}

/*
 * userseg_sample_segments(n bigint, seed bigint, spread float8) returns setof
 * record: (user_id, latent_segment) of the users userseg_sample_users gives
 *
 * Only the first draw of each row's stream is taken: the segment.
 */
Datum
userseg_sample_segments(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	SampleState *st;

	if (SRF_IS_FIRSTCALL())
		SampleFirstCall(fcinfo, SRF_FIRSTCALL_INIT(), SAMPLE_SEGMENT_NCOLS,
						"userseg_sample_segments");

	funcctx = SRF_PERCALL_SETUP();
	st = (SampleState *) funcctx->user_fctx;

	if (funcctx->call_cntr < funcctx->max_calls)
	{
		Datum		values[SAMPLE_SEGMENT_NCOLS];
		bool		nulls[SAMPLE_SEGMENT_NCOLS] = {false, false};
		int64		row = (int64) funcctx->call_cntr + 1;
		SampleRng	rng;
		HeapTuple	tuple;

		CHECK_FOR_INTERRUPTS();
		SampleRngInit(&rng, st->seed_mix, row);
		values[0] = Int64GetDatum(row);
		values[1] = st->segments[SampleSegmentOf(st, &rng)];
		tuple = heap_form_tuple(st->tupdesc, values, nulls);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
	}

	SRF_RETURN_DONE(funcctx);
}

/*
 * Planner support of both functions: the row count of a call with a constant n
 */
Datum
userseg_sample_users_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	Node	   *ret = NULL;

	if (IsA(rawreq, SupportRequestRows))
	{
		SupportRequestRows *req = (SupportRequestRows *) rawreq;

		if (is_funcclause(req->node))
		{
			List	   *args = ((FuncExpr *) req->node)->args;
			Node	   *arg1 = estimate_expression_value(req->root, linitial(args));

			if (IsA(arg1, Const) && !((Const *) arg1)->constisnull)
			{
				int64		n = DatumGetInt64(((Const *) arg1)->constvalue);

				if (n >= 1 && n <= SAMPLE_MAX_ROWS)
				{
					req->rows = (double) n;
					ret = (Node *) req;
				}
			}
		}
	}

	PG_RETURN_POINTER(ret);
}
