/*-------------------------------------------------------------------------
 *
 * pcadata.c
 *	  PCA in and out of PostgreSQL: the fit of a matrix with its errors and its
 *	  budget (UsPcaRun), the saved model's state as jsonb and back (UsPcaStateJsonb,
 *	  UsPcaFromModel), and the box statistics of a report's rows per cluster
 *	  (UsBoxPerCluster).  Plots and reports call these as the SQL functions do.
 *
 * A PCA model is a userseg_models row of algorithm 'pca' without centroids; its
 * state is {"n_components": k, "whiten": bool, "mean": [d], "components": [[d] x k],
 * "explained_variance": [k], "explained_variance_ratio": [k], "singular_values": [k],
 * "total_variance": x}, numbers written with 17 significant digits, so the state reads
 * back to the same doubles.  mean is the mean of the scaled columns (the model's
 * scaler is applied first).
 *
 *-------------------------------------------------------------------------
 */
#include "uspca.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* Bytes UsPca allocates for n x d with k components, beyond the matrix (pca_core.c) */
static Size
PcaWorkBytes(int64 n, int d, int k, bool want_coords)
{
	int64		r = Min(n, (int64) d);
	Size		bytes;

	/*
	 * n >= d: U S (n x k), a block of (4096 + d) x d, R, its factors and LAPACK's
	 * workspace (about 5 d^2 + 7 d doubles); n < d: U (n x n), the components and the
	 * workspace.  Then the results, and the coordinates when asked for.
	 */
	if (n >= d)
		bytes = UsMatrixBytes(n, k) + UsMatrixBytes(4096 + d, d) +
			UsMatrixBytes(d, d) * 9 + UsMatrixBytes(16 * d + 64, 1);
	else
		bytes = UsMatrixBytes(n, (int) n) * 7 + UsMatrixBytes(n, d) +
			UsMatrixBytes(16 * r + 64, 1);
	bytes += UsMatrixBytes(k + 1, d);
	if (want_coords)
		bytes += UsMatrixBytes(n, k);
	return bytes;
}

void
UsPcaRun(UsMatrix *m, int k, bool whiten, bool want_coords, UsPcaResult *res)
{
	UsCore		core;
	int			rc;

	UsPcaCheckRows(m->n, m->d, k);
	UsCheckMemory(PcaWorkBytes(m->n, m->d, k, want_coords),
				  psprintf("PCA with %d components", k));
	UsCoreContextInit(&core);
	rc = UsPca(&core, m, k, whiten, want_coords, res);
	if (rc == US_PCA_TOO_LARGE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("PCA of " INT64_FORMAT " rows of %d columns is past LAPACK's limits",
						m->n, m->d),
				 errdetail("LAPACK counts the matrix's elements (rows times columns) and its workspace in int, up to %d.",
						   INT_MAX),
				 errhint("Fit on a sample of the rows, for example with TABLESAMPLE in a view.")));
	/*
	 * A centred value past DBL_MAX, or one that overflowed inside the factoring (dgesdd
	 * refuses a matrix whose norm is not finite with info = -4)
	 */
	if (rc == US_PCA_OVERFLOW || rc == -4)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value out of range: overflow"),
				 errdetail("The centred rows are too large for the decomposition in double precision."),
				 errhint("Scale the features (scale => 'zscore').")));
	if (rc > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the singular value decomposition did not converge"),
				 errdetail("LAPACK's dgesdd returned info = %d.", rc)));
	if (rc != 0)
		elog(ERROR, "dgesdd returned %d, please report a bug", rc);
	for (int c = 0; c < k; c++)
		if (!isfinite(res->explained_variance[c]) || !isfinite(res->total_variance))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("The explained variance of component %d overflows double precision.",
							   c + 1),
					 errhint("Scale the features (scale => 'zscore').")));
	/*
	 * Whitening divides by each component's standard deviation: a singular value at
	 * rounding level (below max(n, d) eps times the largest, numpy's matrix_rank
	 * tolerance) is no variance, and dividing by it would only magnify rounding
	 */
	if (whiten)
		for (int c = 0; c < k; c++)
			if (!(res->singular_values[c] > res->singular_values[0] * DBL_EPSILON *
				  (double) Max(m->n, (int64) m->d)))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("component %d has no variance to whiten", c + 1),
						 errdetail("The rows span fewer than %d dimensions.", k),
						 errhint("Ask for fewer components, or do not whiten.")));
}

void
UsPcaCheckComponents(int k, int d)
{
	if (k < 1 && d < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components must be at least 1"),
				 errdetail("n_components = %d was given.", k),
				 errhint("Ask for one to as many components as there are columns.")));
	if (k < 1 || k > d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components must be between 1 and the number of encoded columns (%d)",
						d),
				 errdetail("n_components = %d was given.", k),
				 errhint("Ask for at most one component per column.")));
}

void
UsPcaCheckRows(int64 n, int d, int k)
{
	UsPcaCheckComponents(k, d);
	if (n < 2 || n < k)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("PCA needs at least %d rows for n_components = %d, got " INT64_FORMAT,
						Max(k, 2), k, n),
				 errdetail("n_components can be at most the number of rows, and the variance needs two rows."),
				 errhint("Ask for fewer components, or give more rows.")));
}

/* Append a JSON array of doubles */
static void
JsonDoubles(StringInfo b, const double *x, int n)
{
	appendStringInfoChar(b, '[');
	for (int i = 0; i < n; i++)
	{
		/* NaN is not JSON: null stands for it (the ratios of a matrix without variance) */
		if (isnan(x[i]))
			appendStringInfo(b, "%snull", i ? ", " : "");
		else
			appendStringInfo(b, "%s%.17g", i ? ", " : "", x[i]);
	}
	appendStringInfoChar(b, ']');
}

Jsonb *
UsPcaStateJsonb(const UsPcaResult *res)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"n_components\": %d, \"whiten\": %s, \"mean\": ", res->k,
					 res->whiten ? "true" : "false");
	JsonDoubles(&b, res->mean, res->d);
	appendStringInfoString(&b, ", \"components\": [");
	for (int c = 0; c < res->k; c++)
	{
		if (c)
			appendStringInfoString(&b, ", ");
		JsonDoubles(&b, res->components + (Size) c * res->d, res->d);
	}
	appendStringInfoString(&b, "], \"explained_variance\": ");
	JsonDoubles(&b, res->explained_variance, res->k);
	appendStringInfoString(&b, ", \"explained_variance_ratio\": ");
	JsonDoubles(&b, res->explained_variance_ratio, res->k);
	appendStringInfoString(&b, ", \"singular_values\": ");
	JsonDoubles(&b, res->singular_values, res->k);
	appendStringInfo(&b, ", \"total_variance\": %.17g}", res->total_variance);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

static void
PcaDamaged(const UsModel *model, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("saved model \"%s\" is inconsistent", model->name),
			 errdetail("Its PCA state has no valid \"%s\".", what),
			 errhint("Delete the model's row from userseg_models and fit it again.")));
}

/* The value under key of an object */
static bool
PcaGet(JsonbContainer *c, const char *key, JsonbValue *v)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), v) != NULL;
}

/* A number (or null: NaN) as a double */
static bool
PcaNumber(const JsonbValue *v, double *out)
{
	if (v->type == jbvNull)
	{
		*out = NAN;
		return true;
	}
	if (v->type != jbvNumeric)
		return false;
	*out = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  NumericGetDatum(v->val.numeric)));
	return true;
}

/* n doubles from an array of numbers */
static bool
PcaArray(const JsonbValue *v, int n, double *out)
{
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		(int) JsonContainerSize(v->val.binary.data) != n)
		return false;
	for (int i = 0; i < n; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(v->val.binary.data, i);

		if (e == NULL || !PcaNumber(e, &out[i]))
			return false;
	}
	return true;
}

static void
PcaField(const UsModel *model, JsonbContainer *c, const char *key, int n, double *out)
{
	JsonbValue	v;

	if (!PcaGet(c, key, &v) || !PcaArray(&v, n, out))
		PcaDamaged(model, key);
}

void
UsPcaCheckModel(const UsModel *model)
{
	if (strcmp(model->algorithm, "pca") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a PCA", model->name,
						model->algorithm),
				 errhint("Fit a PCA with userseg_pca(source, features, n_components, model => ...).")));
}

void
UsPcaFromModel(const UsModel *model, UsPcaResult *res)
{
	JsonbContainer *c;
	JsonbValue	v;
	JsonbValue	rows;
	double		k;
	int			d = model->d;

	UsPcaCheckModel(model);
	memset(res, 0, sizeof(*res));
	c = model->state ? &model->state->root : NULL;
	if (c == NULL || !JsonContainerIsObject(c) || !PcaGet(c, "n_components", &v) ||
		!PcaNumber(&v, &k) || !(k >= 1 && k <= d && k == floor(k)))
		PcaDamaged(model, "n_components");
	res->k = (int) k;
	res->d = d;
	res->n = model->rows;
	if (!PcaGet(c, "whiten", &v) || v.type != jbvBool)
		PcaDamaged(model, "whiten");
	res->whiten = v.val.boolean;
	res->mean = palloc(sizeof(double) * d);
	res->components = palloc(sizeof(double) * d * res->k);
	res->explained_variance = palloc(sizeof(double) * res->k);
	res->explained_variance_ratio = palloc(sizeof(double) * res->k);
	res->singular_values = palloc(sizeof(double) * res->k);
	PcaField(model, c, "mean", d, res->mean);
	if (!PcaGet(c, "components", &rows) || rows.type != jbvBinary ||
		!JsonContainerIsArray(rows.val.binary.data) ||
		(int) JsonContainerSize(rows.val.binary.data) != res->k)
		PcaDamaged(model, "components");
	for (int i = 0; i < res->k; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(rows.val.binary.data, i);

		if (e == NULL || !PcaArray(e, d, res->components + (Size) i * d))
			PcaDamaged(model, "components");
	}
	PcaField(model, c, "explained_variance", res->k, res->explained_variance);
	PcaField(model, c, "explained_variance_ratio", res->k, res->explained_variance_ratio);
	PcaField(model, c, "singular_values", res->k, res->singular_values);
	if (!PcaGet(c, "total_variance", &v) || !PcaNumber(&v, &res->total_variance))
		PcaDamaged(model, "total_variance");
	for (int j = 0; j < d * res->k; j++)
		if (!isfinite(res->components[j]) || (j < d && !isfinite(res->mean[j])))
			PcaDamaged(model, "components");
	for (int i = 0; i < res->k; i++)
		if (res->whiten && !(res->explained_variance[i] > 0))
			PcaDamaged(model, "explained_variance");
}

/*
 * The last PCA state parsed in this backend, for userseg_project: parsing the state
 * jsonb costs more than projecting a row, and the model itself is cached per statement
 * by UsModelLookup.  The entry is keyed by the state's bytes (a refit writes another
 * state), so it can never be stale; it lives in TopMemoryContext.
 */
static Jsonb *pca_cached_state;
static UsPcaResult pca_cached;

const UsPcaResult *
UsPcaModelCached(const UsModel *model)
{
	MemoryContext oldcxt;
	UsPcaResult res;

	UsPcaCheckModel(model);
	if (pca_cached_state && model->state &&
		VARSIZE(pca_cached_state) == VARSIZE(model->state) &&
		memcmp(pca_cached_state, model->state, VARSIZE(model->state)) == 0 &&
		pca_cached.d == model->d)
		return &pca_cached;
	if (pca_cached_state)
	{
		pfree(pca_cached_state);
		pfree(pca_cached.mean);
		pfree(pca_cached.components);
		pfree(pca_cached.explained_variance);
		pfree(pca_cached.explained_variance_ratio);
		pfree(pca_cached.singular_values);
		pca_cached_state = NULL;
	}
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	PG_TRY();
	{
		UsPcaFromModel(model, &res);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(oldcxt);
	}
	PG_END_TRY();
	pca_cached = res;
	pca_cached_state = MemoryContextAlloc(TopMemoryContext, VARSIZE(model->state));
	memcpy(pca_cached_state, model->state, VARSIZE(model->state));
	return &pca_cached;
}

/* ---- box statistics per cluster ---- */

UsBox *
UsBoxPerCluster(const UsReportData *rd)
{
	const UsRelData *rel = rd->rel;
	UsMatrix	m = {rel->n, rel->d, rel->x};
	UsCore		core;

	UsCheckMemory(UsMatrixBytes(Max(rel->n, 1), 1) +
				  sizeof(UsBox) * (Size) Max(rd->k, 1) * Max(rel->d, 1),
				  "sorting each column's values");
	UsCoreContextInit(&core);
	return UsGroupBoxStats(&core, &m, rd->group, rd->k);
}
