/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Saved models: the userseg_models row read and written through SPI, its
 *	  encoding as jsonb, the cached look-up behind userseg_predict, and the rows
 *	  given as jsonb encoded as the fit encoded them (usmodel.h).
 *
 * The encoding column.  {"nulls": "skip" | "impute" | "error", "drop_first": bool,
 * "max_categories": int, "features": [{"name", "type", "kind": "numeric" |
 * "onehot", "categories": [...], "trim": bool, "imputed": number | string | null},
 * ...]}: one entry per source column in the fit's order.  A one-hot column's
 * categories are its encoded columns in order (with drop_first the first category
 * is not among them: it encodes as all zeros).  "imputed" is there with nulls =>
 * 'impute': the column mean, or the most frequent category (null when that is the
 * category drop_first left out).  The encoded columns are the features' columns in
 * order; the columns text[] names them for people.
 *
 * Queries name the table in the extension's schema, quoted, and bind every value as
 * a parameter.  They run with the caller's privileges: row-level security shows a
 * role its own models only.  The owner of a name is found without that policy
 * (ModelOwner, a scan of the primary key), so that a taken name is refused with a
 * clear error before any work, whoever asks.
 *
 *-------------------------------------------------------------------------
 */
#include "usmodel.h"

#include <float.h>
#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#define MODEL_TABLE "userseg_models"

/* The columns a look-up reads, in this order */
#define MODEL_SELECT \
	"SELECT xmin, ctid, owner::pg_catalog.text, algorithm, parameters, encoding, scaler, " \
	"scale_center, scale_scale, centroids, centroids_original, sizes, state, inertia, " \
	"silhouette, silhouette_sampled, rows FROM %s." MODEL_TABLE \
	" WHERE name OPERATOR(pg_catalog.=) $1"
#define MODEL_NCOLS 17

void
UsModelCheckName(const char *name)
{
	size_t		len = strlen(name);

	if (len < 1 || len > US_MODEL_NAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model name must be 1 to %d bytes long", US_MODEL_NAME_MAX),
				 errdetail("The name given is %zu bytes long.", len),
				 errhint("Model names are limited as identifiers are.")));
}

void
UsCheckScale(const double *scale, int d, const char *what)
{
	for (int j = 0; j < d; j++)
	{
		if (scale[j] == 0.0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not be zero", what),
					 errdetail("Element %d is zero.", j + 1)));
		if (!isnormal(scale[j]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must be a normal float8", what),
					 errdetail("Element %d is %g; a scale must be finite and at least %g in magnitude, or dividing by it overflows.",
							   j + 1, scale[j], DBL_MIN)));
	}
}

/* ---- the encoding ---- */

UsModel *
UsModelFromRel(const UsRelData *rel, const UsReadOptions *opts)
{
	UsModel    *m = palloc0(sizeof(UsModel));

	m->nfeatures = rel->nfeatures;
	m->features = palloc0(sizeof(UsModelFeature) * Max(rel->nfeatures, 1));
	m->d = rel->d;
	m->columns = palloc(sizeof(char *) * Max(rel->d, 1));
	m->nulls = opts->nulls;
	m->drop_first = opts->drop_first;
	m->max_categories = opts->max_categories;
	m->inertia = NAN;
	m->silhouette = NAN;
	for (int j = 0; j < rel->d; j++)
		m->columns[j] = rel->cols[j].category ?
			psprintf("%s=%s", rel->cols[j].source, rel->cols[j].category) :
			pstrdup(rel->cols[j].source);
	for (int f = 0; f < rel->nfeatures; f++)
	{
		const UsFeature *src = &rel->features[f];
		UsModelFeature *mf = &m->features[f];

		mf->name = pstrdup(src->name);
		mf->type = format_type_be(src->typid);
		mf->onehot = src->onehot;
		mf->trim = getBaseType(src->typid) == BPCHAROID;
		mf->first = src->first;
		mf->ncols = src->ncols;
		mf->categories = palloc0(sizeof(char *) * Max(src->ncols, 1));
		for (int c = 0; c < src->ncols && src->onehot; c++)
			mf->categories[c] = pstrdup(rel->cols[src->first + c].category);
		if (opts->nulls != US_NULLS_IMPUTE || rel->n == 0)
			continue;

		/*
		 * The value the read imputed for a NULL: a numeric column's mean, a one-hot
		 * column's most frequent category (NULL: the first category, which
		 * drop_first leaves out)
		 */
		mf->has_imputed = true;
		if (!src->onehot)
			mf->imputed = rel->imputed[src->first];
		else
		{
			mf->imputed_category = NULL;
			for (int c = 0; c < src->ncols; c++)
				if (rel->imputed[src->first + c] == 1.0)
					mf->imputed_category = mf->categories[c];
		}
	}
	return m;
}

static void
JsonText(StringInfo buf, const char *key, const char *value)
{
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

/* The encoding column of a model */
static Jsonb *
ModelEncodingJsonb(const UsModel *m)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	JsonText(&b, "nulls", m->nulls == US_NULLS_IMPUTE ? "impute" :
			 m->nulls == US_NULLS_ERROR ? "error" : "skip");
	appendStringInfo(&b, ", \"drop_first\": %s, \"max_categories\": %d, \"features\": [",
					 m->drop_first ? "true" : "false", m->max_categories);
	for (int f = 0; f < m->nfeatures; f++)
	{
		const UsModelFeature *mf = &m->features[f];

		appendStringInfoString(&b, f > 0 ? ", {" : "{");
		JsonText(&b, "name", mf->name);
		appendStringInfoString(&b, ", ");
		JsonText(&b, "type", mf->type);
		appendStringInfoString(&b, ", ");
		JsonText(&b, "kind", mf->onehot ? "onehot" : "numeric");
		if (mf->onehot)
		{
			appendStringInfo(&b, ", \"trim\": %s, \"categories\": [", mf->trim ? "true" : "false");
			for (int c = 0; c < mf->ncols; c++)
			{
				if (c > 0)
					appendStringInfoString(&b, ", ");
				escape_json(&b, mf->categories[c]);
			}
			appendStringInfoChar(&b, ']');
		}
		if (mf->has_imputed && mf->onehot)
		{
			appendStringInfoString(&b, ", ");
			JsonText(&b, "imputed", mf->imputed_category);
		}
		else if (mf->has_imputed)
			appendStringInfo(&b, ", \"imputed\": %.17g", mf->imputed);
		appendStringInfoChar(&b, '}');
	}
	appendStringInfoString(&b, "]}");
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data)));
}

static void
ModelDamaged(const char *name, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("saved model \"%s\" is inconsistent", name),
			 errdetail("%s", what),
			 errhint("Delete the model's row from userseg_models and fit it again.")));
}

/* Value of key in an object container, or NULL */
static JsonbValue *
JsonGet(JsonbContainer *c, const char *key, JsonbValue *buf)
{
	if (!JsonContainerIsObject(c))
		return NULL;
	return getKeyJsonValueFromContainer(c, key, strlen(key), buf);
}

static char *
JsonString(const JsonbValue *v)
{
	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static JsonbContainer *
JsonContainer(const JsonbValue *v)
{
	return (v && v->type == jbvBinary) ? v->val.binary.data : NULL;
}

/* The features and the NULL policy of a model from its encoding column */
static void
ModelParseEncoding(UsModel *m, Jsonb *enc)
{
	JsonbValue	buf;
	JsonbValue *v;
	JsonbContainer *fs;
	char	   *s;
	int			first = 0;

	s = JsonString(JsonGet(&enc->root, "nulls", &buf));
	if (s == NULL)
		ModelDamaged(m->name, "Its encoding has no NULL policy.");
	m->nulls = UsParseNullPolicy(s);
	v = JsonGet(&enc->root, "drop_first", &buf);
	m->drop_first = v && v->type == jbvBool && v->val.boolean;
	v = JsonGet(&enc->root, "max_categories", &buf);
	if (v && v->type == jbvNumeric)
		m->max_categories = DatumGetInt32(DirectFunctionCall1(numeric_int4,
															  NumericGetDatum(v->val.numeric)));
	fs = JsonContainer(JsonGet(&enc->root, "features", &buf));
	if (fs == NULL || !JsonContainerIsArray(fs) || JsonContainerSize(fs) < 1)
		ModelDamaged(m->name, "Its encoding has no features.");
	m->nfeatures = JsonContainerSize(fs);
	m->features = palloc0(sizeof(UsModelFeature) * m->nfeatures);
	for (int f = 0; f < m->nfeatures; f++)
	{
		UsModelFeature *mf = &m->features[f];
		JsonbContainer *fc = JsonContainer(getIthJsonbValueFromContainer(fs, f));
		JsonbContainer *cats;
		char	   *kind;

		if (fc == NULL || (mf->name = JsonString(JsonGet(fc, "name", &buf))) == NULL ||
			(kind = JsonString(JsonGet(fc, "kind", &buf))) == NULL)
			ModelDamaged(m->name, "A feature of its encoding has no name or kind.");
		mf->type = JsonString(JsonGet(fc, "type", &buf));
		mf->onehot = strcmp(kind, "onehot") == 0;
		mf->first = first;
		mf->ncols = 1;
		if (mf->onehot)
		{
			v = JsonGet(fc, "trim", &buf);
			mf->trim = v && v->type == jbvBool && v->val.boolean;
			cats = JsonContainer(JsonGet(fc, "categories", &buf));
			if (cats == NULL || !JsonContainerIsArray(cats))
				ModelDamaged(m->name, psprintf("Feature %s has no categories.", mf->name));
			mf->ncols = JsonContainerSize(cats);
			mf->categories = palloc0(sizeof(char *) * Max(mf->ncols, 1));
			for (int c = 0; c < mf->ncols; c++)
				if ((mf->categories[c] = JsonString(getIthJsonbValueFromContainer(cats, c))) == NULL)
					ModelDamaged(m->name, psprintf("A category of %s is not a string.", mf->name));
		}
		first += mf->ncols;
		v = JsonGet(fc, "imputed", &buf);
		if (v == NULL)
			continue;
		mf->has_imputed = true;
		if (mf->onehot)
			mf->imputed_category = JsonString(v);
		else if (v->type == jbvNumeric)
			mf->imputed = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															 NumericGetDatum(v->val.numeric)));
		else
			ModelDamaged(m->name, psprintf("The imputed value of %s is not a number.", mf->name));
	}
	m->d = first;
}

/* A float8[] of exactly len elements (or a k x d one, when k > 0) into a new array */
static double *
ModelDoubles(const UsModel *m, Datum v, int k, int d, const char *what)
{
	ArrayType  *a = DatumGetArrayTypeP(v);
	int			n = k > 0 ? k * d : d;
	double	   *out = UsAllocChecked(sizeof(double) * Max(n, 1), "the saved model");

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) != n ||
		(k > 0 && (ARR_NDIM(a) != 2 || ARR_DIMS(a)[0] != k)) ||
		(ARR_HASNULL(a) && array_contains_nulls(a)))
		ModelDamaged(m->name, psprintf("Its %s do not match its %d encoded columns.", what, d));
	memcpy(out, ARR_DATA_PTR(a), sizeof(double) * n);
	for (int i = 0; i < n; i++)
		if (!isfinite(out[i]))
			ModelDamaged(m->name, psprintf("Its %s hold NaN or Infinity.", what));
	return out;
}

/* A model from the row of a look-up (MODEL_SELECT), in the current memory context */
static UsModel *
ModelFromTuple(const char *name, HeapTuple tup, TupleDesc desc)
{
	UsModel    *m = palloc0(sizeof(UsModel));
	Datum		v[MODEL_NCOLS];
	bool		isnull[MODEL_NCOLS];

	for (int c = 0; c < MODEL_NCOLS; c++)
		v[c] = SPI_getbinval(tup, desc, c + 1, &isnull[c]);
	m->name = pstrdup(name);
	m->owner = TextDatumGetCString(v[2]);
	m->algorithm = TextDatumGetCString(v[3]);
	m->parameters = DatumGetJsonbPCopy(v[4]);
	ModelParseEncoding(m, DatumGetJsonbP(v[5]));
	m->scaler = UsParseScaleMethod(TextDatumGetCString(v[6]));
	m->center = ModelDoubles(m, v[7], 0, m->d, "scaler's center");
	m->scale = ModelDoubles(m, v[8], 0, m->d, "scaler's scale");
	UsCheckScale(m->scale, m->d, "the model's scale");
	if (!isnull[9])
	{
		ArrayType  *a = DatumGetArrayTypeP(v[9]);

		m->k = ARR_NDIM(a) == 2 ? ARR_DIMS(a)[0] : 0;
		if (m->k < 1 || isnull[10] || isnull[11])
			ModelDamaged(m->name, "Its centroids are not a k x d array with sizes.");
		m->centroids = ModelDoubles(m, v[9], m->k, m->d, "centroids");
		m->centroids_original = ModelDoubles(m, v[10], m->k, m->d, "centroids in original units");
		a = DatumGetArrayTypeP(v[11]);
		if (ARR_ELEMTYPE(a) != INT8OID || ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) != m->k ||
			(ARR_HASNULL(a) && array_contains_nulls(a)))
			ModelDamaged(m->name, "Its sizes do not match its centroids.");
		m->sizes = palloc(sizeof(int64) * m->k);
		memcpy(m->sizes, ARR_DATA_PTR(a), sizeof(int64) * m->k);
	}
	m->state = DatumGetJsonbPCopy(v[12]);
	m->inertia = isnull[13] ? NAN : DatumGetFloat8(v[13]);
	m->silhouette = isnull[14] ? NAN : DatumGetFloat8(v[14]);
	m->silhouette_sampled = !isnull[15] && DatumGetBool(v[15]);
	m->rows = DatumGetInt64(v[16]);
	m->columns = palloc(sizeof(char *) * Max(m->d, 1));
	for (int f = 0; f < m->nfeatures; f++)
		for (int c = 0; c < m->features[f].ncols; c++)
			m->columns[m->features[f].first + c] = m->features[f].onehot ?
				psprintf("%s=%s", m->features[f].name, m->features[f].categories[c]) :
				m->features[f].name;
	return m;
}

/* ---- look-up, lock, save ---- */

static Oid
ModelTable(Oid nsp)
{
	Oid			relid = get_relname_relid(MODEL_TABLE, nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.%s\" does not exist", get_namespace_name(nsp), MODEL_TABLE),
				 errhint("Saved models live in the extension's table %s; reinstall the extension.",
						 MODEL_TABLE)));
	return relid;
}

/*
 * The owner of the model named name, whoever may see it, or NULL: a scan of the
 * primary key under a fresh snapshot, below row-level security.  Only the owner is
 * read, to refuse a taken name.
 */
static char *
ModelOwner(Oid nsp, const char *name)
{
	Relation	rel = table_open(ModelTable(nsp), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	name_att = InvalidAttrNumber;
	AttrNumber	owner_att = InvalidAttrNumber;
	Oid			collation = InvalidOid;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;
	char	   *owner = NULL;

	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (att->attisdropped)
			continue;
		if (strcmp(NameStr(att->attname), "name") == 0)
		{
			name_att = att->attnum;
			collation = att->attcollation;
		}
		else if (strcmp(NameStr(att->attname), "owner") == 0)
			owner_att = att->attnum;
	}
	if (name_att == InvalidAttrNumber || owner_att == InvalidAttrNumber)
		elog(ERROR, "%s has no name or owner column, please report a bug", MODEL_TABLE);
	ScanKeyEntryInitialize(&key, 0, name_att, BTEqualStrategyNumber, InvalidOid, collation,
						   F_TEXTEQ, CStringGetTextDatum(name));
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, RelationGetPrimaryKeyIndex(rel), true, snap, 1, &key);
	if (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		v = heap_getattr(tup, owner_att, desc, &isnull);

		if (!isnull)
			owner = pstrdup(NameStr(*DatumGetName(v)));
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return owner;
}

static void
ModelTaken(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("model \"%s\" belongs to another role", name),
			 errdetail("A saved model belongs to the role that fitted it; nothing was written."),
			 errhint("Choose another model name, or refit as the role that owns the model.")));
}

static void
ModelSPIConnect(void)
{
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
}

UsModel *
UsModelLockPrevious(Oid nsp, const char *name)
{
	char	   *owner;
	char	   *sql;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext cxt = CurrentMemoryContext;
	UsModel    *m = NULL;
	int			rc;

	UsModelCheckName(name);
	owner = ModelOwner(nsp, name);
	if (owner == NULL)
		return NULL;
	if (strcmp(owner, GetUserNameFromId(GetUserId(), false)) != 0)
		ModelTaken(name);

	sql = psprintf(MODEL_SELECT " FOR UPDATE", quote_identifier(get_namespace_name(nsp)));
	args[0] = CStringGetTextDatum(name);
	ModelSPIConnect();
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql);
	if (SPI_processed == 1)
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		m = ModelFromTuple(name, SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	/* the row went away meanwhile: the name is free */
	return m;
}

static Datum
TextArray(char **s, int n)
{
	Datum	   *e = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		e[i] = CStringGetTextDatum(s[i]);
	return PointerGetDatum(construct_array(e, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
Float8Array(const double *x, int k, int d)
{
	Datum	   *e = UsAllocChecked(sizeof(Datum) * Max(k, 1) * d, "the model's arrays");
	int			dims[2] = {k, d};
	int			lbs[2] = {1, 1};

	for (int i = 0; i < Max(k, 1) * d; i++)
		e[i] = Float8GetDatum(x[i]);
	return PointerGetDatum(construct_md_array(e, NULL, k > 0 ? 2 : 1, k > 0 ? dims : dims + 1,
											  lbs, FLOAT8OID, sizeof(float8),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * A NOTICE when the name held a model of another algorithm: the caller may have
 * meant another name (a K-Means model replaced by a PCA stops labelling rows).  The
 * row, if any, was locked by UsModelLockPrevious; called within SPI.
 */
static void
ModelNoteReplaced(Oid nsp, const UsModel *m)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(m->name)};
	char	   *sql = psprintf("SELECT algorithm FROM %s." MODEL_TABLE
							   " WHERE name OPERATOR(pg_catalog.=) $1",
							   quote_identifier(get_namespace_name(nsp)));
	int			rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	char	   *before;

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql);
	if (SPI_processed != 1)
		return;
	before = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (before && strcmp(before, m->algorithm) != 0)
		ereport(NOTICE,
				(errmsg("model \"%s\" was a %s model and is now a %s model", m->name, before,
						m->algorithm),
				 errdetail("The %s fit saved under this name is replaced.", before)));
}

void
UsModelSave(Oid nsp, const UsModel *m)
{
	static const char *const sql_fmt =
	"INSERT INTO %s." MODEL_TABLE " AS m (name, owner, algorithm, parameters, features, "
	"columns, encoding, scaler, scale_center, scale_scale, centroids, centroids_original, "
	"sizes, state, inertia, silhouette, silhouette_sampled, rows, created_at) "
	"VALUES ($1, CURRENT_USER, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
	"$16, $17, pg_catalog.now()) "
	"ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, algorithm = EXCLUDED.algorithm, "
	"parameters = EXCLUDED.parameters, features = EXCLUDED.features, "
	"columns = EXCLUDED.columns, encoding = EXCLUDED.encoding, scaler = EXCLUDED.scaler, "
	"scale_center = EXCLUDED.scale_center, scale_scale = EXCLUDED.scale_scale, "
	"centroids = EXCLUDED.centroids, centroids_original = EXCLUDED.centroids_original, "
	"sizes = EXCLUDED.sizes, state = EXCLUDED.state, inertia = EXCLUDED.inertia, "
	"silhouette = EXCLUDED.silhouette, silhouette_sampled = EXCLUDED.silhouette_sampled, "
	"rows = EXCLUDED.rows, created_at = EXCLUDED.created_at "
	"WHERE m.owner OPERATOR(pg_catalog.=) EXCLUDED.owner";
	Oid			types[17] = {TEXTOID, TEXTOID, JSONBOID, TEXTARRAYOID, TEXTARRAYOID, JSONBOID,
		TEXTOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT8ARRAYOID,
	JSONBOID, FLOAT8OID, FLOAT8OID, BOOLOID, INT8OID};
	Datum		v[17];
	char		nulls[17];
	char	  **names = palloc(sizeof(char *) * m->nfeatures);
	char	   *sql = psprintf(sql_fmt, quote_identifier(get_namespace_name(nsp)));
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	for (int f = 0; f < m->nfeatures; f++)
		names[f] = m->features[f].name;
	v[0] = CStringGetTextDatum(m->name);
	v[1] = CStringGetTextDatum(m->algorithm);
	v[2] = JsonbPGetDatum(m->parameters);
	v[3] = TextArray(names, m->nfeatures);
	v[4] = TextArray(m->columns, m->d);
	v[5] = JsonbPGetDatum(ModelEncodingJsonb(m));
	v[6] = CStringGetTextDatum(UsScaleMethodName(m->scaler));
	v[7] = Float8Array(m->center, 0, m->d);
	v[8] = Float8Array(m->scale, 0, m->d);
	if (m->k > 0)
	{
		Datum	   *s = palloc(sizeof(Datum) * m->k);

		for (int c = 0; c < m->k; c++)
			s[c] = Int64GetDatum(m->sizes[c]);
		v[9] = Float8Array(m->centroids, m->k, m->d);
		v[10] = Float8Array(m->centroids_original, m->k, m->d);
		v[11] = PointerGetDatum(construct_array(s, m->k, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	else
		nulls[9] = nulls[10] = nulls[11] = 'n';
	v[12] = m->state ? JsonbPGetDatum(m->state) :
		DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
	v[13] = Float8GetDatum(m->inertia);
	nulls[13] = isnan(m->inertia) ? 'n' : ' ';
	v[14] = Float8GetDatum(m->silhouette);
	nulls[14] = nulls[15] = isnan(m->silhouette) ? 'n' : ' ';
	v[15] = BoolGetDatum(m->silhouette_sampled);
	v[16] = Int64GetDatum(m->rows);

	ModelSPIConnect();
	ModelNoteReplaced(nsp, m);
	rc = SPI_execute_with_args(sql, 17, types, v, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_with_args failed (%s) saving a model, please report a bug",
			 SPI_result_code_string(rc));
	/* the WHERE left another role's row alone: it took the name after our check */
	if (SPI_processed != 1)
		ModelTaken(m->name);
	SPI_finish();
}

/*
 * The cache of UsModelLookup, in fn_extra (the memory of the calling expression).
 * The model row is looked up once per snapshot: while the active snapshot sees the
 * same data as at the last look-up (same xmin, xmax, in-progress transactions and
 * command id: no transaction completed since and no command of our own ran), the
 * cached model is used as it is.  Otherwise the row is looked up again, and parsed
 * again only when the row itself changed (another xmin or ctid: a refit writes a new
 * row version).  So a refit is seen by the next statement, also by the next statement
 * of a PL/pgSQL function, where fn_extra may outlive one statement.  A parallel worker
 * runs one statement: its cache holds for the worker's life.
 */
typedef struct ModelCache
{
	char	   *name;			/* NULL until the first look-up */
	bool		have_snap;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint32		xcnt;
	int32		subxcnt;
	bool		suboverflowed;
	TransactionId *xip;			/* xcnt, then subxcnt, in fn_mcxt */
	int			xip_cap;
	TransactionId row_xmin;
	ItemPointerData row_ctid;
	UsModel    *model;
	MemoryContext cxt;			/* holds model, below fn_mcxt */
} ModelCache;

static inline bool
ModelSameSnapshot(const ModelCache *pc, Snapshot snap)
{
	if (IsParallelWorker())
		return true;
	return snap != NULL && pc->have_snap &&
		snap->xmin == pc->xmin && snap->xmax == pc->xmax && snap->curcid == pc->curcid &&
		snap->xcnt == pc->xcnt && snap->subxcnt == pc->subxcnt &&
		snap->suboverflowed == pc->suboverflowed &&
		(snap->xcnt == 0 ||
		 memcmp(snap->xip, pc->xip, sizeof(TransactionId) * snap->xcnt) == 0) &&
		(snap->subxcnt <= 0 ||
		 memcmp(snap->subxip, pc->xip + pc->xcnt, sizeof(TransactionId) * snap->subxcnt) == 0);
}

static void
ModelKeepSnapshot(MemoryContext fn_mcxt, ModelCache *pc, Snapshot snap)
{
	int			need;

	pc->have_snap = false;
	if (snap == NULL || snap->subxcnt < 0)
		return;
	need = (int) snap->xcnt + snap->subxcnt;
	if (need > pc->xip_cap)
	{
		if (pc->xip)
			pfree(pc->xip);
		pc->xip = MemoryContextAlloc(fn_mcxt, sizeof(TransactionId) * need);
		pc->xip_cap = need;
	}
	if (snap->xcnt > 0)
		memcpy(pc->xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	if (snap->subxcnt > 0)
		memcpy(pc->xip + snap->xcnt, snap->subxip, sizeof(TransactionId) * snap->subxcnt);
	pc->xmin = snap->xmin;
	pc->xmax = snap->xmax;
	pc->curcid = snap->curcid;
	pc->xcnt = snap->xcnt;
	pc->subxcnt = snap->subxcnt;
	pc->suboverflowed = snap->suboverflowed;
	pc->have_snap = true;
}

/* Look the model up (with the caller's privileges) and parse it unless cached */
static void
ModelCacheFill(FunctionCallInfo fcinfo, ModelCache *pc, text *model, Snapshot snap)
{
	char	   *name = text_to_cstring(model);
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {PointerGetDatum(model)};
	char	   *sql;
	int			rc;
	HeapTuple	tup;
	bool		isnull;
	TransactionId row_xmin;
	ItemPointerData row_ctid;

	sql = psprintf(MODEL_SELECT, quote_identifier(get_namespace_name(nsp)));
	ModelSPIConnect();
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(rc), sql);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("unknown model \"%s\"", name),
				 errhint("Fit one with the model argument of a table form, e.g. userseg_kmeans(..., model => 'name') or userseg_pca(..., model => 'name'); saved models are in userseg_models.")));
	tup = SPI_tuptable->vals[0];
	row_xmin = DatumGetTransactionId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
	row_ctid = *(ItemPointer) DatumGetPointer(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2,
															  &isnull));
	if (pc->name == NULL || strcmp(pc->name, name) != 0 ||
		pc->row_xmin != row_xmin || !ItemPointerEquals(&pc->row_ctid, &row_ctid))
	{
		MemoryContext oldcxt;

		if (pc->cxt == NULL)
			pc->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "userseg model",
											ALLOCSET_SMALL_SIZES);
		MemoryContextReset(pc->cxt);
		pc->name = NULL;		/* not valid until parsed */
		oldcxt = MemoryContextSwitchTo(pc->cxt);
		pc->model = ModelFromTuple(name, tup, SPI_tuptable->tupdesc);
		pc->name = pstrdup(name);
		MemoryContextSwitchTo(oldcxt);
		pc->row_xmin = row_xmin;
		pc->row_ctid = row_ctid;
	}
	SPI_finish();
	ModelKeepSnapshot(fcinfo->flinfo->fn_mcxt, pc, snap);
	pfree(name);
}

const UsModel *
UsModelLookup(FunctionCallInfo fcinfo, text *model)
{
	ModelCache *pc = (ModelCache *) fcinfo->flinfo->fn_extra;
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;

	if (pc == NULL)
	{
		pc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		fcinfo->flinfo->fn_extra = pc;
	}
	if (pc->name == NULL || !ModelSameSnapshot(pc, snap) ||
		strlen(pc->name) != VARSIZE_ANY_EXHDR(model) ||
		memcmp(pc->name, VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model)) != 0)
		ModelCacheFill(fcinfo, pc, model, snap);
	return pc->model;
}

/* ---- rows given as jsonb ---- */

char *
UsModelFeatureList(const UsModel *model)
{
	StringInfoData b;

	initStringInfo(&b);
	for (int f = 0; f < model->nfeatures; f++)
		appendStringInfo(&b, "%s%s", f > 0 ? ", " : "", model->features[f].name);
	return b.data;
}

/* The category text of a JSON scalar, as the reader renders a column's value */
static char *
JsonCategory(const UsModel *model, const UsModelFeature *mf, const JsonbValue *v)
{
	char	   *s;

	switch (v->type)
	{
		case jbvString:
			s = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		case jbvBool:
			s = pstrdup(v->val.boolean ? "true" : "false");
			break;
		case jbvNumeric:
			s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" must be a JSON string, number or boolean", mf->name),
					 errdetail("Model \"%s\" one-hot encodes %s (type %s).", model->name,
							   mf->name, mf->type ? mf->type : "unknown")));
	}
	if (mf->trim)
	{
		int			len = strlen(s);

		while (len > 0 && s[len - 1] == ' ')
			s[--len] = '\0';
	}
	return s;
}

static void
EncodeOneHot(const UsModelFeature *mf, const char *category, double *x)
{
	for (int c = 0; c < mf->ncols; c++)
		x[mf->first + c] = (category && strcmp(category, mf->categories[c]) == 0) ? 1.0 : 0.0;
}

/* A NULL value by the model's policy: false for no label (skip), 22004 (error) */
static bool
EncodeNull(const UsModel *model, const UsModelFeature *mf, double *x)
{
	if (model->nulls == US_NULLS_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature \"%s\" is NULL", mf->name),
				 errdetail("Model \"%s\" was fitted with nulls => 'error'.", model->name)));
	if (!mf->has_imputed)
		return false;
	if (mf->onehot)
		EncodeOneHot(mf, mf->imputed_category, x);
	else
		x[mf->first] = mf->imputed;
	return true;
}

bool
UsModelEncodeJsonb(const UsModel *model, Jsonb *row, double *x)
{
	if (!JB_ROOT_IS_OBJECT(row))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a jsonb object"),
				 errdetail("Model \"%s\" was fitted on the columns %s.", model->name,
						   UsModelFeatureList(model)),
				 errhint("Give {\"column\": value, ...}, e.g. to_jsonb(t) for a row t of the table.")));
	for (int f = 0; f < model->nfeatures; f++)
	{
		const UsModelFeature *mf = &model->features[f];
		JsonbValue	buf;
		JsonbValue *v = JsonGet(&row->root, mf->name, &buf);

		if (v == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features has no key \"%s\"", mf->name),
					 errdetail("Model \"%s\" was fitted on the columns %s, in this order.",
							   model->name, UsModelFeatureList(model)),
					 errhint("Give one key per feature column (other keys are ignored), with null for a missing value.")));
		if (v->type == jbvNull)
		{
			if (!EncodeNull(model, mf, x))
				return false;
			continue;
		}
		if (mf->onehot)
			EncodeOneHot(mf, JsonCategory(model, mf, v), x);
		else if (v->type == jbvNumeric)
			x[mf->first] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
															  NumericGetDatum(v->val.numeric)));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" must be a JSON number", mf->name),
					 errdetail("Model \"%s\" reads %s (type %s) as a number.", model->name,
							   mf->name, mf->type ? mf->type : "unknown")));
	}
	return true;
}

/*
 * A column's value as a number, converted as the reader's cast to float8 does; 42804 for
 * a type that is not numeric
 */
static double
RecordNumber(const UsModel *model, const UsModelFeature *mf, Oid typid, Datum v)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
			return (double) DatumGetInt16(v);
		case INT4OID:
			return (double) DatumGetInt32(v);
		case INT8OID:
			return (double) DatumGetInt64(v);
		case FLOAT4OID:
			return (double) DatumGetFloat4(v);
		case FLOAT8OID:
			return DatumGetFloat8(v);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, v));
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column \"%s\" of the row has type %s, where model \"%s\" reads a number",
					mf->name, format_type_be(typid), model->name),
			 errhint("Numeric features are smallint, integer, bigint, real, double precision or numeric.")));
	pg_unreachable();
}

/* A column's value as a category, rendered as the reader's cast to text renders it */
static char *
RecordCategory(Oid typid, Datum v)
{
	Oid			base = getBaseType(typid);
	Oid			out;
	bool		varlena;
	char	   *s;

	if (base == BOOLOID)
		return pstrdup(DatumGetBool(v) ? "true" : "false");
	getTypeOutputInfo(base, &out, &varlena);
	s = OidOutputFunctionCall(out, v);
	if (base == BPCHAROID)
	{
		int			len = strlen(s);

		while (len > 0 && s[len - 1] == ' ')
			s[--len] = '\0';
	}
	return s;
}

bool
UsModelEncodeRecord(const UsModel *model, HeapTupleHeader row, double *x)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row),
											  HeapTupleHeaderGetTypMod(row));
	HeapTupleData tuple;
	bool		labelled = true;

	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	for (int f = 0; f < model->nfeatures && labelled; f++)
	{
		const UsModelFeature *mf = &model->features[f];
		int			a;
		bool		isnull;
		Datum		v;
		Oid			typid;

		for (a = 0; a < desc->natts; a++)
			if (!TupleDescAttr(desc, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, a)->attname), mf->name) == 0)
				break;
		if (a == desc->natts)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row has no column \"%s\"", mf->name),
					 errdetail("Model \"%s\" was fitted on the columns %s, in this order.",
							   model->name, UsModelFeatureList(model)),
					 errhint("Give a row of the table the model was fitted on, or the row as jsonb.")));
		typid = TupleDescAttr(desc, a)->atttypid;
		v = heap_getattr(&tuple, a + 1, desc, &isnull);
		if (isnull)
			labelled = EncodeNull(model, mf, x);
		else if (mf->onehot)
			EncodeOneHot(mf, RecordCategory(typid, v), x);
		else
			x[mf->first] = RecordNumber(model, mf, typid, v);
	}
	ReleaseTupleDesc(desc);
	return labelled;
}
