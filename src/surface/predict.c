/*-------------------------------------------------------------------------
 *
 * predict.c
 *	  SQL surface of saved models: userseg_predict(model, features), the label of
 *	  a new row by a saved model, from the encoded vector, from the row's columns
 *	  as jsonb or from the row itself; and userseg_kmeans_nearest, the same from
 *	  given arrays.
 *
 * The model is looked up and parsed by the data layer (model.c: once per snapshot,
 * once per row version, cached with the calling expression).  A row given as jsonb is
 * encoded as the fit encoded it (categories one-hot, a category the fit did not see
 * all zeros, NULLs by the model's policy), scaled with the model's scaler and labelled
 * by the nearest scaled centroid (ties to the lower number).  A DBSCAN model labels
 * by its core rows instead (dbscanmodel.c): the nearest within eps, else -1.
 *
 *-------------------------------------------------------------------------
 */
#include "usmodel.h"

#include <math.h>

#include "utils/array.h"
#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(userseg_predict);
PG_FUNCTION_INFO_V1(userseg_predict_jsonb);
PG_FUNCTION_INFO_V1(userseg_predict_record);
PG_FUNCTION_INFO_V1(userseg_kmeans_nearest);

/*
 * The label of a new row x (model->d values, scaled in place) by a model: the nearest
 * scaled centroid, or for DBSCAN the nearest core row within eps (dbscanmodel.c)
 */
static int32
PredictLabel(const UsModel *model, double *x)
{
	UsMatrix	xm = {1, model->d, x};

	UsScaleApply(&xm, model->center, model->scale);
	for (int j = 0; j < model->d; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("Element %d of the scaled features is out of the range of float8.",
							   j + 1)));
	if (strcmp(model->algorithm, "dbscan") == 0)
		return UsDbscanPredict(model, x);
	return UsKmeansNearest(model->centroids, model->k, model->d, x, NULL);
}

/* The nearest of k scaled centroids to x (d values, scaled in place) */
static int32
PredictNearest(const double *centroids, int k, int d, const double *center,
			   const double *scale, double *x)
{
	UsMatrix	xm = {1, d, x};

	UsScaleApply(&xm, center, scale);
	for (int j = 0; j < d; j++)
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("Element %d of the scaled features is out of the range of float8.",
							   j + 1)));
	return UsKmeansNearest(centroids, k, d, x, NULL);
}

/* A model that predicts by its centroids or its core rows: 0A000 for another */
static void
PredictCheckModel(const UsModel *model)
{
	if (model->k < 1 && strcmp(model->algorithm, "dbscan") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" of algorithm %s cannot label new rows", model->name,
						model->algorithm),
				 errdetail("Only models with centroids, and DBSCAN models, label new rows.")));
}

/*
 * userseg_predict(model, features float8[]): the label of a new row given as its
 * encoded vector (the model's columns, in order)
 */
Datum
userseg_predict(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(1);
	double	   *x;

	PredictCheckModel(model);
	if (UsVectorDims(features) != model->d)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int j = 0; j < model->d; j++)
			appendStringInfo(&cols, "%s%s", j > 0 ? ", " : "", model->columns[j]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements where the model has %d",
						UsVectorDims(features), model->d),
				 errdetail("Model \"%s\" expects, in this order: %s.", model->name, cols.data),
				 errhint("Give one value per encoded column, or the row as jsonb: userseg_predict(model, to_jsonb(t)).")));
	}
	x = palloc(sizeof(double) * model->d);
	UsVectorToDoubles(features, model->d, x, "features");
	PG_RETURN_INT32(PredictLabel(model, x));
}

/*
 * userseg_predict(model, features jsonb): the label of a new row given as its columns
 * ({"column": value, ...}, e.g. to_jsonb(t) for a row t of the source table)
 */
Datum
userseg_predict_jsonb(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	Jsonb	   *row = PG_GETARG_JSONB_P(1);
	double	   *x;

	PredictCheckModel(model);
	x = palloc0(sizeof(double) * Max(model->d, 1));
	if (!UsModelEncodeJsonb(model, row, x))
		PG_RETURN_NULL();
	PG_RETURN_INT32(PredictLabel(model, x));
}

/*
 * userseg_predict(model, features record): the label of a row of the source table
 * (userseg_predict('m', u) ... FROM users u), from its columns named as the features
 */
Datum
userseg_predict_record(PG_FUNCTION_ARGS)
{
	const UsModel *model = UsModelLookup(fcinfo, PG_GETARG_TEXT_PP(0));
	double	   *x;

	PredictCheckModel(model);
	x = palloc0(sizeof(double) * Max(model->d, 1));
	if (!UsModelEncodeRecord(model, PG_GETARG_HEAPTUPLEHEADER(1), x))
		PG_RETURN_NULL();
	PG_RETURN_INT32(PredictLabel(model, x));
}

/*
 * userseg_kmeans_nearest(features, centroids, center, scale): the label of a new
 * row, scaled with the given scaler, by its nearest scaled centroid
 */
Datum
userseg_kmeans_nearest(PG_FUNCTION_ARGS)
{
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *centroids = PG_GETARG_ARRAYTYPE_P(1);
	int			k;
	int			d;
	double	   *c;
	double	   *center;
	double	   *scale;
	double	   *x;

	if (ARR_NDIM(centroids) != 2 || ARR_ELEMTYPE(centroids) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("centroids must be a two-dimensional array")));
	k = ARR_DIMS(centroids)[0];
	d = ARR_DIMS(centroids)[1];
	if (k < 1 || d < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("centroids must not be empty")));
	if (ARR_HASNULL(centroids) && array_contains_nulls(centroids))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids must not contain NULL elements")));
	c = (double *) ARR_DATA_PTR(centroids);
	for (Size i = 0; i < (Size) k * d; i++)
		if (!isfinite(c[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("centroids must not contain NaN or Infinity")));
	center = palloc(sizeof(double) * d);
	scale = palloc(sizeof(double) * d);
	x = palloc(sizeof(double) * d);
	UsVectorToDoubles(PG_GETARG_ARRAYTYPE_P(2), d, center, "the scaler's center");
	UsVectorToDoubles(PG_GETARG_ARRAYTYPE_P(3), d, scale, "the scaler's scale");
	UsCheckScale(scale, d, "the scaler's scale");
	if (UsVectorDims(features) != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d elements where the centroids have %d",
						UsVectorDims(features), d),
				 errhint("Give one value per encoded feature, in the centroids' order.")));
	UsVectorToDoubles(features, d, x, "features");
	PG_RETURN_INT32(PredictNearest(c, k, d, center, scale, x));
}
