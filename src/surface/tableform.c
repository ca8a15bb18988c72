/*-------------------------------------------------------------------------
 *
 * tableform.c
 *	  The shared path of the table forms (K-Means, the sweep, the comparison and
 *	  every algorithm's table form): parse the common arguments, read, encode,
 *	  scale; and the parameters given as jsonb objects.
 *
 * A table form is: TableFormParse (its own arguments beside), TableFormRead, the fit
 * on data.m, SweepScore, then UsWriteLabels and UsModelSave when asked.  The relation
 * is read in one place (TableFormReader), so that every form reads with the same
 * options and encodes the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "tableform.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"

void
TableFormParse(FunctionCallInfo fcinfo, int source, int features, int scale, int nulls,
			   int max_categories, int drop_first, const char *caller,
			   TableFormArgs *args)
{
	SweepArgNotNull(fcinfo, source, "source");
	SweepArgNotNull(fcinfo, features, "features");
	SweepArgNotNull(fcinfo, scale, "scale");
	SweepArgNotNull(fcinfo, nulls, "nulls");
	SweepArgNotNull(fcinfo, max_categories, "max_categories");
	SweepArgNotNull(fcinfo, drop_first, "drop_first");
	memset(args, 0, sizeof(*args));
	UsReadOptionsInit(&args->read);
	args->relid = PG_GETARG_OID(source);
	args->features = PG_GETARG_ARRAYTYPE_P(features);
	args->scale = UsParseScaleMethod(text_to_cstring(PG_GETARG_TEXT_PP(scale)));
	args->read.nulls = UsParseNullPolicy(text_to_cstring(PG_GETARG_TEXT_PP(nulls)));
	args->read.max_categories = PG_GETARG_INT32(max_categories);
	args->read.drop_first = PG_GETARG_BOOL(drop_first);
	args->read.caller = caller;
	/* the reader checks max_categories, and the id and label columns the caller sets */
}

/* Record the encoding, check that there are rows, fit the scaler and scale in place */
static void
TableFormScale(const TableFormArgs *args, TableFormData *data)
{
	UsCore		core;

	UsCheckRowsToCluster(data->rel);
	data->model = UsModelFromRel(data->rel, &args->read);
	data->m.n = data->rel->n;
	data->m.d = data->rel->d;
	data->m.x = data->rel->x;
	data->center = UsAllocChecked(sizeof(double) * data->m.d, "the scaler");
	data->scale = UsAllocChecked(sizeof(double) * data->m.d, "the scaler");
	UsCoreContextInit(&core);
	UsScaleFitApply(&core, &data->m, args->scale, data->center, data->scale);
	data->model->scaler = args->scale;
	data->model->center = data->center;
	data->model->scale = data->scale;
	data->model->rows = data->m.n;
}

/*
 * Read (the one call of the relation reader), encode and scale
 */
void
TableFormRead(const TableFormArgs *args, TableFormData *data)
{
	data->rel = UsRead(args->relid, args->features, &args->read);
	TableFormScale(args, data);
}

/*
 * The same with a weight column: read as one more feature in the same scan (so rows
 * and weights stay aligned, and the same NULL policy decides which rows are read), then
 * taken out of the matrix before the encoding is recorded and the features scaled
 */
void
TableFormReadWeighted(const TableFormArgs *args, const char *weight_column,
					  TableFormData *data, double **weight)
{
	int			nf;
	char	  **names = UsColumnNames(args->features, "features", "feature", true, &nf);
	Datum	   *e = palloc(sizeof(Datum) * (nf + 1));
	ArrayType  *features;
	UsRelData  *rel;
	UsFeature  *wf;
	double	   *w;
	int			d;

	for (int f = 0; f < nf; f++)
	{
		if (strcmp(names[f], weight_column) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sample_weight column \"%s\" is also a feature", weight_column),
					 errhint("A weight column weighs the rows; it is not one of the features.")));
		e[f] = CStringGetTextDatum(names[f]);
	}
	e[nf] = CStringGetTextDatum(weight_column);
	features = construct_array(e, nf + 1, TEXTOID, -1, false, TYPALIGN_INT);
	rel = UsRead(args->relid, features, &args->read);
	wf = &rel->features[nf];
	if (wf->onehot)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("sample_weight column \"%s\" must be numeric", weight_column),
				 errdetail("It has type %s.", format_type_be(wf->typid)),
				 errhint("Weights are smallint, integer, bigint, real, double precision or numeric.")));
	if (rel->nulls[nf] > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sample_weight column \"%s\" is NULL in " INT64_FORMAT " rows",
						weight_column, rel->nulls[nf]),
				 errhint("Give every row a weight (COALESCE it in a view, 1 for the usual weight), or leave those rows out.")));

	/* the weights out of the last column; the matrix compacted to d - 1 in place */
	d = rel->d;
	w = UsAllocChecked(sizeof(double) * Max(rel->n, 1), "the sample weights");
	for (int64 i = 0; i < rel->n; i++)
	{
		w[i] = rel->x[i * d + d - 1];
		memmove(rel->x + i * (d - 1), rel->x + i * d, sizeof(double) * (d - 1));
		if (i % US_CHECK_EVERY == US_CHECK_EVERY - 1)
			CHECK_FOR_INTERRUPTS();
	}
	rel->d = d - 1;
	rel->nfeatures = nf;
	if (rel->n == 0)
		rel->x = NULL;
	data->rel = rel;
	*weight = w;
	TableFormScale(args, data);
}

void
TableFormDropMatrix(TableFormData *data)
{
	if (data->m.x)
		pfree(data->m.x);
	data->m.x = NULL;
	data->rel->x = NULL;
}

/* ---- parameters as jsonb ---- */

char *
TableFormNameList(const char *const *names)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int i = 0; names[i]; i++)
		appendStringInfo(&b, "%s%s", i > 0 ? ", " : "", names[i]);
	return b.data;
}

void
TableFormCheckKeys(JsonbContainer *c, const char *what, const char *noun, const char *nouns,
				   const char *const *valid)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (c == NULL)
		return;
	it = JsonbIteratorInit(c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (int i = 0; valid[i] && !known; i++)
			known = strcmp(key, valid[i]) == 0;
		if (!known)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown %s \"%s\" in %s", noun, key, what),
					 errhint("Valid %s are %s.", nouns, TableFormNameList(valid))));
	}
}

JsonbContainer *
TableFormParamObject(JsonbContainer *c, const char *what, const char *key)
{
	JsonbValue	buf;
	JsonbValue *v;

	if (c == NULL)
		return NULL;
	v = getKeyJsonValueFromContainer(c, key, strlen(key), &buf);
	if (v == NULL)
		return NULL;
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s.%s must be a jsonb object", what, key),
				 errhint("Give the parameters of %s as {\"name\": value, ...}.", key)));
	return v->val.binary.data;
}

static JsonbValue *
ParamNumber(JsonbContainer *c, const char *what, const char *key, JsonbValue *buf)
{
	JsonbValue *v;

	if (c == NULL)
		return NULL;
	v = getKeyJsonValueFromContainer(c, key, strlen(key), buf);
	if (v != NULL && v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s.%s must be a number", what, key)));
	return v;
}

int
TableFormParamInt(JsonbContainer *c, const char *what, const char *key, int def)
{
	JsonbValue	buf;
	JsonbValue *v = ParamNumber(c, what, key, &buf);
	double		x;

	if (v == NULL)
		return def;
	x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (x != floor(x) || x < PG_INT32_MIN || x > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s.%s must be an integer", what, key),
				 errdetail("%s is %g.", key, x)));
	return (int) x;
}

double
TableFormParamFloat(JsonbContainer *c, const char *what, const char *key, double def)
{
	JsonbValue	buf;
	JsonbValue *v = ParamNumber(c, what, key, &buf);

	if (v == NULL)
		return def;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}
