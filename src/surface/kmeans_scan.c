/*-------------------------------------------------------------------------
 *
 * kmeans_scan.c
 *	  The table form of K-Means over a relation pass by pass, with memory flat in
 *	  the number of rows: userseg_kmeans(..., method => 'scan'), and what
 *	  method => 'auto' falls back to when the matrix would not fit in
 *	  userseg.memory_limit.
 *
 * The passes (data/scanpass.c, all under one snapshot):
 *
 *	1. statistics: rows, NULLs per feature, the scaler (userseg_scaler_fit) and the
 *	   column variances that make tol relative (as the in-memory fit's tolerance);
 *	   with nulls => 'impute', first the column means (the values a NULL stands for,
 *	   as in memory), then the scaler and variances with them in place: two passes;
 *	2. a seeded reservoir sample of KMEANS_SCAN_SAMPLE(k) rows, scaled.  Without init,
 *	   K-Means runs on the sample in memory (k-means++ seeding, n_init runs, the best
 *	   kept: the in-memory core on the sample), and its centers start the iterations;
 *	   when the sample holds every row (in id_column's order if given, else the
 *	   relation's), that fit is the in-memory fit and no iteration pass follows.  The
 *	   sample also gives the silhouette of the summary;
 *	3. one pass per Lloyd iteration: SELECT userseg_kmeans_step(scaled features,
 *	   centers), the next centers being the means; the iterations stop when the sum of
 *	   the squared center shifts is at most the tolerance (a pass that changes no label
 *	   moves no center: shift 0), or after max_iter;
 *	4. one more pass for the sizes and the inertia to the final centers; clusters are
 *	   renumbered by decreasing size (ties to the lower number) as the in-memory fit
 *	   does, then, when a refit under a model name keeps the previous fit's features,
 *	   encoded columns and k (KmeansSameModel), to the previous fit's centroids
 *	   (KmeansMatchPrevious, as the in-memory path);
 *	5. the label column, in one UPDATE of the rows whose label changes;
 *	6. with model => name, the model row (UsModelSave): the encoding of the numeric
 *	   features, the scaler of pass 1, the centroids scaled and in original units,
 *	   sizes and inertia of pass 4, the silhouette of the sample (as the summary
 *	   reports it), the parameters with the method.  The previous row is locked
 *	   before the relation, as in memory; labels and model are written in the
 *	   caller's transaction, so an error leaves neither.
 *
 * From the same initial centers, on the same rows, the iterations are those of the
 * in-memory fit (kmeans_core.c): the same assignment (UsSqDistBlocks, ties to the
 * lower center), the same means (sums in the order rows arrive, times the reciprocal
 * of the count), the same test on the squared shifts.  Serial passes read rows in the
 * order the in-memory read does, so sums agree to the last bit but for the scaler's
 * rounding (the aggregate's streaming fit against the in-memory two-pass fit); a
 * parallel pass adds partial sums in another order.  What the scan does not do as the
 * in-memory fit does: an empty cluster keeps its center instead of taking the row
 * farthest from its center (which would need the rows), and the convergence test on
 * unchanged labels is the shift test (labels are not kept between passes).
 *
 * method => 'minibatch' replaces steps 2 and 3: the sample holds max(that size, 100
 * batch_size) rows, and mini-batch K-Means (minibatch_core.c, scikit-learn's
 * MiniBatchKMeans) runs on it, its batches drawn from the sample as scikit-learn draws
 * them from the data; then the passes of 4 and 5.  So the table is read four times
 * whatever the number of steps.
 *
 * Cost: 3 + iterations passes over the relation, one more with nulls => 'impute' (with
 * init: the same, the sample is still drawn for the silhouette), each O(n k d); memory
 * O(sample x d + k d).
 *
 *-------------------------------------------------------------------------
 */
#include "kmeans_scan.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "common/pg_prng.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "kmeans_options.h"

/* Rows of the reservoir sample: 10,000, or 100 per cluster when more */
#define KMEANS_SCAN_SAMPLE(k) ((int64) Max(10000, 100 * (int64) (k)))

/* The silhouette of the summary: exact up to this many sampled rows */
#define KMEANS_SCAN_SILHOUETTE_ROWS 10000

KmeansMethod
KmeansParseMethod(const char *name)
{
	if (strcmp(name, "auto") == 0)
		return KMEANS_AUTO;
	if (strcmp(name, "memory") == 0)
		return KMEANS_MEMORY;
	if (strcmp(name, "scan") == 0)
		return KMEANS_SCAN;
	if (strcmp(name, "minibatch") == 0)
		return KMEANS_MINIBATCH;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown K-Means method \"%s\"", name),
			 errhint("Valid methods are \"auto\", \"memory\", \"scan\" and \"minibatch\".")));
	pg_unreachable();
}

bool
KmeansScanWanted(const TableFormArgs *table, int k, Size *need)
{
	HeapTuple	tup;
	double		reltuples;
	Datum	   *names;
	bool	   *nulls;
	int			nnames;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(table->relid));
	if (!HeapTupleIsValid(tup))
		return false;			/* the read raises the error */
	reltuples = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
	ReleaseSysCache(tup);
	if (reltuples <= 0 || ARR_NDIM(table->features) != 1)
		return false;
	deconstruct_array(table->features, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls,
					  &nnames);
	for (int f = 0; f < nnames; f++)
	{
		AttrNumber	att;
		Oid			base;

		if (nulls[f])
			return false;
		att = get_attnum(table->relid, TextDatumGetCString(names[f]));
		if (att <= 0)
			return false;
		base = getBaseType(get_atttype(table->relid, att));
		if (base != INT2OID && base != INT4OID && base != INT8OID && base != FLOAT4OID &&
			base != FLOAT8OID && base != NUMERICOID)
			return false;
	}
	if (nnames < 1 || reltuples > (double) PG_INT64_MAX / 2)
		return false;
	*need = add_size(UsMatrixBytes((int64) reltuples, nnames),
					 UsKmeansWorkBytes((int64) reltuples, nnames, Max(k, 1), false));
	return (uint64) *need > UsMemoryLimitBytes();
}

/* init: a k x d array without NULLs or non-finite values, scaled with the scaler */
static double *
ScanInit(ArrayType *init, int k, int d, const UsScanRel *s)
{
	UsMatrix	im;

	if (ARR_NDIM(init) != 2 || ARR_DIMS(init)[0] != k || ARR_DIMS(init)[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("init must be a %d x %d array", k, d),
				 errdetail("There is one row per cluster (k = %d) and one column per encoded feature (%d).",
						   k, d)));
	if (ARR_HASNULL(init) && array_contains_nulls(init))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("init must not contain NULL elements")));
	im.n = k;
	im.d = d;
	im.x = UsAllocMatrix(k, d, "the initial centers");
	memcpy(im.x, ARR_DATA_PTR(init), UsMatrixBytes(k, d));
	for (int64 i = 0; i < (int64) k * d; i++)
		if (!isfinite(im.x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("init must not contain NaN or Infinity")));
	UsScaleApply(&im, s->center, s->scale);
	for (int64 i = 0; i < (int64) k * d; i++)
		if (!isfinite(im.x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow"),
					 errdetail("A scaled initial center is out of the range of float8.")));
	return im.x;
}

/* The summary row (userseg_kmeans_summary), as the in-memory table form's */
static Datum
ScanSummary(FunctionCallInfo fcinfo, const KmeansScanArgs *a, const UsScanRel *s,
			int iterations, double inertia, const SweepScores *sc, bool sampled,
			instr_time start)
{
	TupleDesc	desc;
	Datum		v[9];
	bool		isnull[9] = {false};
	instr_time	elapsed;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "userseg_kmeans must return a record, please report a bug");
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	v[0] = a->model ? CStringGetTextDatum(a->model) : (Datum) 0;
	isnull[0] = a->model == NULL;
	v[1] = Int32GetDatum(a->k);
	v[2] = Int64GetDatum(s->rel->n);
	v[3] = Int64GetDatum(s->rel->nskipped);
	v[4] = Int32GetDatum(iterations);
	v[5] = Float8GetDatum(inertia);
	v[6] = Float8GetDatum(sc->silhouette);
	isnull[6] = isnan(sc->silhouette);
	v[7] = BoolGetDatum(sampled);
	v[8] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), v, isnull));
}

/*
 * Mini-batch K-Means (minibatch_core.c) on the sample, standing for the table's rows:
 * centers (k x d) and the iterations as scikit-learn counts them (steps times
 * batch_size over the rows, rounded up); *converged when it stopped early
 */
static int
KmeansMiniBatch(const KmeansScanArgs *a, const UsScanRel *s, const UsMatrix *sample,
				double tol, double *centers, bool *converged)
{
	UsCore		core;
	UsMiniBatchParams p;
	UsMiniBatchResult r;
	pg_prng_state rng;
	int64		n_steps;

	UsKmeansCheckRows(sample->n, a->k);
	UsCheckMemory(add_size(UsMatrixBytes(3 * (int64) a->batch_size + 3 * (int64) a->k, 2),
						   UsMatrixBytes(a->batch_size, 2)),
				  "mini-batch K-Means' working arrays");
	memset(&p, 0, sizeof(p));
	p.k = a->k;
	p.batch_size = a->batch_size;
	p.max_iter = a->max_iter;
	p.n_init = a->n_init;
	p.n_total = s->rel->n;
	p.tol = tol;
	p.max_no_improvement = 10;
	p.reassignment_ratio = 0.01;
	p.init = a->init ? ScanInit(a->init, a->k, s->d, s) : NULL;
	UsKmeansSeed(&rng, a->seed);
	p.uniform = UsKmeansUniform;
	p.rng_arg = &rng;
	memset(&r, 0, sizeof(r));
	r.centers = centers;
	UsCoreContextInit(&core);
	UsMiniBatchKmeans(&core, sample, &p, &r);
	n_steps = Max((int64) p.max_iter * p.n_total / p.batch_size, 1);
	*converged = r.steps < n_steps;
	if (userseg_progress)
		ereport(NOTICE,
				(errmsg_internal("mini-batch k-means: " INT64_FORMAT " steps of %d rows, " INT64_FORMAT " reassignments",
								 r.steps, p.batch_size, r.reassignments)));
	return (int) Min(((double) r.steps * p.batch_size + p.n_total - 1) / p.n_total,
					 (double) PG_INT32_MAX);
}

Datum
KmeansScanTable(FunctionCallInfo fcinfo, const KmeansScanArgs *a)
{
	const TableFormArgs *t = a->table;
	int			k = a->k;
	int			d;
	MemoryContext runcxt;
	MemoryContext oldcxt;
	instr_time	start;
	UsScanRel  *s;
	UsMatrix	sample;
	double	   *centers;
	double	   *means;
	double	   *ordered;
	int64	   *sizes;
	int64	   *osizes;
	int		   *order;
	int32	   *slabels;
	double		tol = 0.0;
	double		inertia;
	int			it;
	int			done = 0;		/* iterations, once known */
	int			nonempty = 0;
	bool		converged = false;
	bool		whole;
	bool		minibatch = a->method == KMEANS_MINIBATCH;
	SweepScores scores;
	UsModel    *previous = NULL;
	UsModel    *model = NULL;
	Datum		summary;

	INSTR_TIME_SET_CURRENT(start);
	if (minibatch && a->batch_size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch_size must be at least 1, not %d", a->batch_size),
				 errhint("The default is 1024, as scikit-learn's MiniBatchKMeans.")));
	runcxt = UsRunContextCreate("userseg k-means scan");
	oldcxt = MemoryContextSwitchTo(runcxt);

	/* prepare: the previous fit (locked), resolve and lock, the statistics, the sample */
	if (a->model)
		previous = UsModelLockPrevious(a->nsp, a->model);
	s = UsScanOpen(t->relid, t->features, &t->read, a->nsp, t->scale);
	UsScanStats(s);
	d = s->d;
	if (a->model)
	{
		model = UsModelFromRel(s->rel, &t->read);
		model->name = (char *) a->model;
		model->scaler = t->scale;
		model->center = s->center;
		model->scale = s->scale;
		model->rows = s->rel->n;
	}
	UsKmeansCheckRows(s->rel->n, k);
	if (a->tol > 0)
	{
		double		total = 0.0;

		for (int j = 0; j < d; j++)
			total += s->var[j] / (s->scale[j] * s->scale[j]);
		tol = total / d * a->tol;
	}
	UsScanSample(s, minibatch ? Max(KMEANS_SCAN_SAMPLE(k), 100 * (int64) a->batch_size) :
				 KMEANS_SCAN_SAMPLE(k), a->seed, &sample);
	UsCheckDistanceRange(&sample, "k-means");

	/* run: the initial centers, the iterations */
	means = UsAllocMatrix(k, d, "the centers");
	sizes = UsAllocChecked(sizeof(int64) * k, "the cluster sizes");
	whole = sample.n == s->rel->n;
	if (minibatch)
	{
		centers = UsAllocMatrix(k, d, "the centers");
		done = KmeansMiniBatch(a, s, &sample, tol, centers, &converged);
	}
	else if (a->init)
		centers = ScanInit(a->init, k, d, s);
	else
	{
		UsKmeansResult r;

		UsKmeansRun(&sample, k, a->seed, a->n_init, a->max_iter, a->tol, NULL, &r);
		centers = r.centers;
		/* a sample of every row: its fit is the fit (the passes only count and label) */
		if (whole)
		{
			converged = r.converged;
			done = r.iterations;
		}
	}
	for (it = 0; done == 0 && it < a->max_iter; it++)
	{
		double		shift = 0.0;

		UsScanStep(s, centers, k, means, sizes, &inertia);
		for (int c = 0; c < k; c++)
		{
			double		p = sqrt(UsSqDist(means + (size_t) c * d, centers + (size_t) c * d, d));

			shift += p * p;
		}
		memcpy(centers, means, UsMatrixBytes(k, d));
		if (userseg_progress)
			ereport(NOTICE,
					(errmsg_internal("k-means scan, iteration %d: inertia %.17g, squared shift %.17g",
									 it + 1, inertia, shift)));
		if (shift <= tol)
		{
			converged = true;
			break;
		}
	}
	if (done == 0)
		done = Min(it + 1, a->max_iter);

	/* the sizes and inertia of the final centers; renumber by decreasing size */
	UsScanStep(s, centers, k, means, sizes, &inertia);
	order = palloc(sizeof(int) * k);
	for (int c = 0; c < k; c++)
	{
		int			pos = c;

		while (pos > 0 && sizes[order[pos - 1]] < sizes[c])
		{
			order[pos] = order[pos - 1];
			pos--;
		}
		order[pos] = c;
	}
	ordered = UsAllocMatrix(k, d, "the centers");
	osizes = UsAllocChecked(sizeof(int64) * k, "the cluster sizes");
	for (int r = 0; r < k; r++)
	{
		memcpy(ordered + (size_t) r * d, centers + (size_t) order[r] * d, sizeof(double) * d);
		osizes[r] = sizes[order[r]];
		if (sizes[order[r]] > 0)
			nonempty++;
	}
	/* a refit keeps the previous fit's numbering, before any label is written */
	if (previous && KmeansSameModel(previous, model, k))
		KmeansMatchPrevious(ordered, osizes, NULL, 0, k, d, previous->centroids_original,
							s->center, s->scale);
	if (!converged && !minibatch)
		ereport(WARNING,
				(errmsg("k-means did not converge within max_iter = %d iterations",
						a->max_iter),
				 errdetail("The scan stopped after %d passes; its labels are returned.",
						   a->max_iter),
				 errhint("Raise max_iter, or raise tol.")));
	if (nonempty < k)
		ereport(NOTICE,
				(errmsg("k-means found %d non-empty clusters, fewer than k = %d", nonempty, k),
				 errdetail("The labels from %d on are not used.", nonempty)));

	/* report: the silhouette on the sample, the labels, the summary */
	slabels = UsAllocChecked(sizeof(int32) * Max(sample.n, 1), "the sample's labels");
	for (int64 i = 0; i < sample.n; i++)
	{
		if (i % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		slabels[i] = UsKmeansNearest(ordered, k, d, sample.x + i * d, NULL);
	}
	SweepScore(&sample, slabels, KMEANS_SCAN_SILHOUETTE_ROWS, a->seed, &scores);
	scores.sampled = scores.sampled || sample.n < s->rel->n;
	pfree(sample.x);
	if (t->read.label_column)
		(void) UsScanWriteLabels(s, t->read.label_column, ordered, k);
	if (model)
	{
		KmeansFit	fit = {.model = a->model, .table = t, .k = k, .seed = a->seed,
			.n_init = a->n_init, .max_iter = a->max_iter, .tol = a->tol,
			.init = a->init != NULL, .method = minibatch ? "minibatch" : "scan",
			.batch_size = minibatch ? a->batch_size : 0, .centers = ordered,
		.sizes = osizes, .inertia = inertia, .iterations = done, .converged = converged};

		KmeansModelFill(model, &fit, &scores);
		UsModelSave(a->nsp, model);
	}
	UsScanClose(s);
	MemoryContextSwitchTo(oldcxt);
	summary = ScanSummary(fcinfo, a, s, done, inertia, &scores, scores.sampled, start);
	MemoryContextDelete(runcxt);
	PG_RETURN_DATUM(summary);
}
