/*-------------------------------------------------------------------------
 *
 * dbscanmodel.c
 *	  DBSCAN models: the core rows of a fit saved as the model's state, and the
 *	  label of a new row by them (usmodel.h).
 *
 * A DBSCAN model is a userseg_models row of algorithm 'dbscan' without centroids; its
 * state is {"eps": x, "min_samples": x, "n_core": c, "labels": [c], "core_points":
 * [[d] x c]}: the core rows of the fit in row order, in scaled units (the model's
 * scaler is applied to a new row first), with their cluster labels; numbers written
 * as float8's output writes them (the shortest text that reads back to the same
 * double), so the state reads back to the same doubles.
 *
 * A new row's label is that of its nearest core row when that row is within eps
 * (squared distance summed in column order <= eps * eps, as the fit compares), ties to
 * the lower-numbered core row; -1 (noise) when no core row is within eps.  This is the
 * usual way to label new rows with DBSCAN: a row that would be a border row of a
 * cluster joins it, and nothing else; the clusters are not refitted.  The search is a
 * radius query over the core rows on the neighbour index (neighbors_core.c), built
 * once per state and kept for the backend (the last state used), as the parsed PCA
 * state is: parsing and indexing cost more than labelling a row.
 *
 *-------------------------------------------------------------------------
 */
#include "usmodel.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

/*
 * The largest state a model holds: a jsonb value's offsets are 28 bits, and the
 * model row is one value; the text of the state is estimated at 25 bytes a number
 */
#define DBSCAN_STATE_MAX ((Size) 256 * 1024 * 1024)
#define DBSCAN_BYTES_PER_NUMBER 25

static char *
DbscanPrettySize(Size bytes)
{
	return TextDatumGetCString(DirectFunctionCall1(pg_size_pretty, Int64GetDatum((int64) bytes)));
}

Jsonb *
UsDbscanStateJsonb(const UsMatrix *m, const bool *is_core, const int32 *labels,
				   int64 ncore, double eps, double min_samples)
{
	StringInfoData b;
	Size		estimate = (Size) (ncore + 1) * (Size) (m->d + 2) * DBSCAN_BYTES_PER_NUMBER;
	int64		written = 0;

	if (estimate > DBSCAN_STATE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the model's core rows need about %s, more than a saved model holds (%s)",
						DbscanPrettySize(estimate), DbscanPrettySize(DBSCAN_STATE_MAX)),
				 errdetail("The fit has " INT64_FORMAT " core rows of %d columns.", ncore, m->d),
				 errhint("Fit on fewer rows (a sample), or without model => ...; the label column is written without a model.")));
	/* the text, then the jsonb parsed from it */
	UsCheckMemory(2 * estimate, "the model's core rows");
	initStringInfo(&b);
	appendStringInfo(&b, "{\"eps\": %s, \"min_samples\": %s, \"n_core\": " INT64_FORMAT
					 ", \"labels\": [", float8out_internal(eps), float8out_internal(min_samples),
					 ncore);
	for (int64 i = 0; i < m->n; i++)
	{
		if (!is_core[i])
			continue;
		appendStringInfo(&b, "%s%d", written > 0 ? ", " : "", labels[i]);
		written++;
		if (written % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoString(&b, "], \"core_points\": [");
	written = 0;
	for (int64 i = 0; i < m->n; i++)
	{
		const double *x = m->x + i * m->d;

		if (!is_core[i])
			continue;
		appendStringInfoString(&b, written > 0 ? ", [" : "[");
		for (int j = 0; j < m->d; j++)
		{
			char	   *t = float8out_internal(x[j]);

			appendStringInfo(&b, "%s%s", j > 0 ? ", " : "", t);
			pfree(t);
		}
		appendStringInfoChar(&b, ']');
		written++;
		if (written % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
	}
	appendStringInfoString(&b, "]}");
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

static void
DbscanDamaged(const UsModel *model, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("saved model \"%s\" is inconsistent", model->name),
			 errdetail("Its DBSCAN state has no valid \"%s\".", what),
			 errhint("Delete the model's row from userseg_models and fit it again.")));
}

/* A finite number of a jsonb value */
static bool
DbscanNumber(const JsonbValue *v, double *out)
{
	if (v == NULL || v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return isfinite(*out);
}

static JsonbContainer *
DbscanArray(JsonbContainer *c, const char *key, int64 n)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data) ||
		(int64) JsonContainerSize(v.val.binary.data) != n)
		return NULL;
	return v.val.binary.data;
}

/*
 * The last DBSCAN state parsed in this backend, with the index over its core rows:
 * keyed by the state's bytes (a refit writes another state), so never stale.  All of
 * it lives in dbscan_cache_cxt, below TopMemoryContext, reset when another state
 * comes.
 */
typedef struct DbscanCached
{
	Jsonb	   *state;			/* a copy of the state this was parsed from */
	int			d;
	double		eps;
	UsMatrix	cores;			/* n_core x d, scaled */
	int32	   *labels;			/* n_core */
	UsNeighbors ix;				/* over cores, when n_core > 0 */
} DbscanCached;

static MemoryContext dbscan_cache_cxt;
static DbscanCached *dbscan_cached;
static UsCore dbscan_cache_core;	/* the index keeps a pointer to it */

/* Parse the state of model into a new DbscanCached, in the current memory context */
static DbscanCached *
DbscanParseState(const UsModel *model)
{
	DbscanCached *c = palloc0(sizeof(DbscanCached));
	JsonbContainer *root = model->state ? &model->state->root : NULL;
	JsonbContainer *labels;
	JsonbContainer *points;
	JsonbValue	v;
	double		n_core;
	int			d = model->d;

	if (root == NULL || !JsonContainerIsObject(root))
		DbscanDamaged(model, "eps");
	if (!DbscanNumber(getKeyJsonValueFromContainer(root, "eps", 3, &v), &c->eps) ||
		!(c->eps > 0.0))
		DbscanDamaged(model, "eps");
	if (!DbscanNumber(getKeyJsonValueFromContainer(root, "n_core", 6, &v), &n_core) ||
		n_core < 0 || n_core != floor(n_core) || n_core > (double) PG_INT32_MAX)
		DbscanDamaged(model, "n_core");
	c->d = d;
	c->cores.n = (int64) n_core;
	c->cores.d = d;
	if ((labels = DbscanArray(root, "labels", c->cores.n)) == NULL)
		DbscanDamaged(model, "labels");
	if ((points = DbscanArray(root, "core_points", c->cores.n)) == NULL)
		DbscanDamaged(model, "core_points");
	c->cores.x = UsAllocMatrix(Max(c->cores.n, 1), d, "the model's core rows");
	c->labels = UsAllocChecked(sizeof(int32) * Max(c->cores.n, 1), "the model's core labels");
	for (int64 i = 0; i < c->cores.n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(labels, (uint32) i);
		JsonbValue *row = getIthJsonbValueFromContainer(points, (uint32) i);
		double		label;

		if (!DbscanNumber(e, &label) || label < 0 || label != floor(label) ||
			label > (double) PG_INT32_MAX)
			DbscanDamaged(model, "labels");
		c->labels[i] = (int32) label;
		if (row == NULL || row->type != jbvBinary || !JsonContainerIsArray(row->val.binary.data) ||
			(int) JsonContainerSize(row->val.binary.data) != d)
			DbscanDamaged(model, "core_points");
		for (int j = 0; j < d; j++)
			if (!DbscanNumber(getIthJsonbValueFromContainer(row->val.binary.data, j),
							  &c->cores.x[i * d + j]))
				DbscanDamaged(model, "core_points");
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			CHECK_FOR_INTERRUPTS();
	}
	if (c->cores.n > 0)
	{
		UsCoreContextInit(&dbscan_cache_core);
		UsNeighborsBuild(&dbscan_cache_core, &c->cores, US_NN_AUTO, c->eps, &c->ix);
	}
	c->state = palloc(VARSIZE(model->state));
	memcpy(c->state, model->state, VARSIZE(model->state));
	return c;
}

static const DbscanCached *
DbscanModelCached(const UsModel *model)
{
	MemoryContext oldcxt;
	DbscanCached *c;

	if (strcmp(model->algorithm, "dbscan") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a DBSCAN", model->name,
						model->algorithm)));
	if (dbscan_cached && model->state && dbscan_cached->d == model->d &&
		VARSIZE(dbscan_cached->state) == VARSIZE(model->state) &&
		memcmp(dbscan_cached->state, model->state, VARSIZE(model->state)) == 0)
		return dbscan_cached;
	if (dbscan_cache_cxt == NULL)
		dbscan_cache_cxt = AllocSetContextCreate(TopMemoryContext, "userseg dbscan model",
												 ALLOCSET_DEFAULT_SIZES);
	dbscan_cached = NULL;
	MemoryContextReset(dbscan_cache_cxt);
	oldcxt = MemoryContextSwitchTo(dbscan_cache_cxt);
	PG_TRY();
	{
		c = DbscanParseState(model);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(dbscan_cache_cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	dbscan_cached = c;
	return c;
}

/* The nearest core row within eps so far: ties to the lower-numbered row */
typedef struct DbscanNearest
{
	int64		best;
	double		sqdist;
} DbscanNearest;

static bool
DbscanNearestVisit(void *arg, int64_t j, double sqdist)
{
	DbscanNearest *a = arg;

	if (a->best < 0 || sqdist < a->sqdist || (sqdist == a->sqdist && j < a->best))
	{
		a->best = j;
		a->sqdist = sqdist;
	}
	return true;
}

int32
UsDbscanPredict(const UsModel *model, const double *x)
{
	const DbscanCached *c = DbscanModelCached(model);
	DbscanNearest a = {-1, 0.0};

	if (c->cores.n == 0)
		return -1;
	(void) UsNeighborsRadius(&c->ix, x, c->eps, DbscanNearestVisit, &a);
	return a.best < 0 ? -1 : c->labels[a.best];
}
