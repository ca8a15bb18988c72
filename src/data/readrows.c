/*-------------------------------------------------------------------------
 *
 * readrows.c
 *	  The one scan of a relation read (UsRead) and the encoding of its rows
 *	  into the feature matrix.
 *
 * The relation is read once, by one read-only query
 *	SELECT [s.tableoid, s.ctid,] [s.id,] (s.f1)::float8 | (s.f1)::text, ... FROM rel AS s
 *	[ORDER BY s.id COLLATE "C"]
 * whose rows the executor hands to a DestReceiver of this file (ReadDest): each is
 * taken from the executor's slot into the raw rows, with no tuple formed, copied or
 * stored on the way; detoasted values are freed every US_FETCH_ROWS rows, with an
 * interrupt check and a budget check then.  The query is planned for all its rows and
 * without parallel workers, so rows come in one scan's order.  Any relation a user can SELECT from can be read, a
 * view over TABLESAMPLE, random() or a changing foreign table included: nothing is
 * counted or looked up in a second scan.  Columns are qualified with the alias s, so
 * an id column that is also a feature is not ambiguous.
 *
 * Layout while reading: one raw row of w = nfeatures doubles per kept row (the value
 * of a numeric column, the category number of a one-hot column in the order first
 * seen, NaN for NULL), in one array grown by an eighth at a time (at least
 * US_GROW_ROWS rows), each growth charged to the operation's budget.  A large array
 * is its own malloc block, so glibc grows it with mremap, without a copy.  Categories
 * go into a hash table per one-hot column as they come, with their counts.
 *
 * Encoding at the end: the categories are sorted in byte order, the array is grown
 * once more to n x d and each raw row is expanded in place into its d encoded columns,
 * from the last row to the first (d >= w: no row is overwritten before it is read; the
 * first row to the last when d < w).  Peak memory: the n x d matrix plus at most an
 * eighth of the raw rows, the categories and one batch.  Time: one scan plus O(n d).
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"
#include "usread.h"

#include <malloc.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

/* Rows per batch of the read (values freed, interrupts and the budget checked) */
#define US_FETCH_ROWS 10000

/* Fewest rows an array of the read grows by */
#define US_GROW_ROWS 4096

/* A category while reading: its text and length, the key of the hash table */
typedef struct CatKey
{
	const char *s;
	int			len;
} CatKey;

typedef struct CatEntry
{
	CatKey		key;			/* first: the hash key */
	int			id;				/* number in the order first seen */
} CatEntry;

/* Per-feature state of one scan */
typedef struct FeatureScan
{
	HTAB	   *hash;			/* one-hot: category -> id */
	char	  **cats;			/* by id while reading; sorted after */
	int64	   *counts;			/* rows per category, by id */
	int			ncat;
	int			cap;
	int		   *rank;			/* id -> position in byte order */
	int			mode;			/* position of the most frequent category, -1 if none */
	double		sum;			/* numeric: sum of the non-NULL values read */
} FeatureScan;

/* One array of the read that grows with the rows */
typedef struct GrowArray
{
	void	   *p;
	int64		cap;			/* elements */
	Size		elem;			/* bytes per element */
	int			per_row;		/* elements per row */
	const char *what;			/* for the budget's messages */
} GrowArray;

/* Everything one scan holds */
typedef struct ReadScan
{
	UsRelData  *rel;
	const UsReadOptions *opts;
	bool		want_tids;
	MemoryContext cxt;			/* where the result lives */
	FeatureScan *fs;
	GrowArray	raw;			/* kept rows, w doubles each */
	GrowArray	tids;
	GrowArray	oids;
	GrowArray	stids;			/* skipped rows */
	GrowArray	soids;
	int64		n;				/* rows kept */
	int64		s;				/* rows skipped */
} ReadScan;

/* ---- growing arrays, within the budget ---- */

/*
 * Arrays from this size on are their own mmap'd block, so that growing them is an
 * mremap, without a copy.  glibc's threshold is 128 kB but rises, once a large block
 * is freed, up to 32 MB (its dynamic threshold): below it an array lives in the heap,
 * where growing it copies it whenever the block cannot be extended in place, and the
 * read's peak is the old array plus the new one, twice the matrix.  Setting the
 * threshold fixes it at this size for the backend.
 */
#define GROW_MMAP_THRESHOLD (256 * 1024)

static void
GrowPinMmapThreshold(void)
{
#ifdef M_MMAP_THRESHOLD
	static bool pinned = false;

	if (!pinned)
		pinned = mallopt(M_MMAP_THRESHOLD, GROW_MMAP_THRESHOLD) == 1;
#endif
}

static void
GrowInit(GrowArray *a, Size elem, int per_row, const char *what)
{
	a->p = NULL;
	a->cap = 0;
	a->elem = elem;
	a->per_row = Max(per_row, 1);
	a->what = what;
}

/*
 * Make room for need elements: grow by an eighth (at least US_GROW_ROWS), but not
 * past what the budget has left, so that an array that fits is not refused for its
 * slack (the array is in the run's memory, so the budget sees it as it grows); 54000
 * when even need does not fit (while reading,
 * the total is not known yet: the message says how many rows were read).
 */
static void
GrowTo(GrowArray *a, int64 need, MemoryContext cxt)
{
	int64		newcap;
	uint64		limit = UsMemoryLimitBytes();
	uint64		used = UsBudgetUsed();
	int64		room;
	Size		bytes;

	if (need <= a->cap)
		return;
	newcap = Max(need, a->cap + Max(a->cap / 8, (int64) US_GROW_ROWS * a->per_row));
	room = used < limit ? (int64) ((limit - used) / a->elem) : 0;
	if (newcap - a->cap > room)
	{
		if (need - a->cap > room)
			UsBudgetFailGrowing(need / a->per_row - 1, a->what);
		newcap = a->cap + room;
	}
	if ((uint64) newcap > (uint64) (SIZE_MAX / 2) / a->elem)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s of " INT64_FORMAT " rows are too large", a->what, need)));
	bytes = (Size) newcap * a->elem;
	GrowPinMmapThreshold();
	if (a->p == NULL)
		a->p = MemoryContextAllocExtended(cxt, Max(bytes, 1), MCXT_ALLOC_HUGE);
	else
		a->p = repalloc_huge(a->p, Max(bytes, 1));
	a->cap = newcap;
}

/* Shrink to exactly n elements (or free at 0) */
static void
GrowTrim(GrowArray *a, int64 n)
{
	if (n >= a->cap)
		return;
	if (n == 0)
	{
		if (a->p)
			pfree(a->p);
		a->p = NULL;
	}
	else
		a->p = repalloc_huge(a->p, (Size) n * a->elem);
	a->cap = n;
}

/* ---- categories ---- */

static uint32
CatHash(const void *key, Size keysize)
{
	const CatKey *k = key;

	return hash_bytes((const unsigned char *) k->s, k->len);
}

static int
CatMatch(const void *key1, const void *key2, Size keysize)
{
	const CatKey *a = key1;
	const CatKey *b = key2;

	if (a->len != b->len)
		return 1;
	return memcmp(a->s, b->s, a->len);
}

/* Byte order, then length: COLLATE "C" */
static int
CatCompare(const char *a, int alen, const char *b, int blen)
{
	int			cmp = memcmp(a, b, Min(alen, blen));

	return cmp != 0 ? cmp : (alen > blen) - (alen < blen);
}

/* Text types whose values may be numbers stored as text */
static inline bool
IsTextType(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == TEXTOID || base == VARCHAROID || base == BPCHAROID;
}

/* Whether s parses as a decimal number (blanks around it allowed) */
static bool
LooksNumeric(const char *s)
{
	const char *p = s;
	bool		digits = false;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits = true;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits = true;
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return *p == '\0';
}

/* Whether every category of a text feature is a number */
static bool
AllNumeric(const UsFeature *feat, const FeatureScan *fs)
{
	if (!IsTextType(feat->typid) || fs->ncat == 0)
		return false;
	for (int c = 0; c < fs->ncat; c++)
		if (!LooksNumeric(fs->cats[c]))
			return false;
	return true;
}

/* The ALTER TABLE that turns a feature into a number, for hints */
static char *
CastAdvice(const UsRelData *rel, const char *column)
{
	const char *col = quote_identifier(column);

	return psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE float8 USING %s::float8",
					rel->relname, col, col);
}

/*
 * 54000 for a one-hot feature past max_categories, naming its distinct values (counted
 * by one more query: the scan stops at the limit)
 */
static void
TooManyCategories(ReadScan *sc, int f)
{
	const UsRelData *rel = sc->rel;
	const UsFeature *feat = &rel->features[f];
	const char *col = quote_identifier(feat->name);
	StringInfoData sql;
	int64		distinct = -1;
	int			max = sc->opts->max_categories;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT pg_catalog.count(DISTINCT (s.%s)::pg_catalog.text) FROM %s AS s",
					 col, rel->relname);
	if (sc->opts->nulls == US_NULLS_SKIP)
		for (int g = 0; g < rel->nfeatures; g++)
			appendStringInfo(&sql, "%s s.%s IS NOT NULL", g == 0 ? " WHERE" : " AND",
							 quote_identifier(rel->features[g].name));
	if (SPI_execute(sql.data, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			distinct = DatumGetInt64(v);
	}
	if (distinct <= max)		/* a source that changes between scans */
		distinct = -1;

	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 distinct > 0 ?
			 errmsg("column \"%s\" has " INT64_FORMAT " distinct values, more than max_categories (%d)",
					feat->name, distinct, max) :
			 errmsg("column \"%s\" has more than %d distinct values, more than max_categories (%d)",
					feat->name, max, max),
			 errdetail("A categorical column is one-hot encoded as one column per distinct value."),
			 AllNumeric(feat, &sc->fs[f]) ?
			 errhint("Its values are numbers stored as %s; cast it to a number: %s (or cast it in a view).",
					 format_type_be(feat->typid), CastAdvice(rel, feat->name)) :
			 errhint("Raise max_categories, group the values in a view, or leave the column out of the features.")));
}

/* The id of a category, added when first seen */
static inline int
CategoryId(ReadScan *sc, int f, text *t)
{
	FeatureScan *fs = &sc->fs[f];
	CatKey		key;
	CatEntry   *e;
	bool		found;

	key.s = VARDATA_ANY(t);
	key.len = VARSIZE_ANY_EXHDR(t);
	e = hash_search(fs->hash, &key, HASH_ENTER, &found);
	if (found)
		return e->id;

	if (fs->ncat >= sc->opts->max_categories)
	{
		hash_search(fs->hash, &key, HASH_REMOVE, NULL);
		TooManyCategories(sc, f);
	}
	if (fs->ncat == fs->cap)
	{
		fs->cap = fs->cap == 0 ? 16 : fs->cap * 2;
		fs->cats = fs->cats ? repalloc(fs->cats, sizeof(char *) * fs->cap) :
			MemoryContextAlloc(sc->cxt, sizeof(char *) * fs->cap);
		fs->counts = fs->counts ? repalloc(fs->counts, sizeof(int64) * fs->cap) :
			MemoryContextAlloc(sc->cxt, sizeof(int64) * fs->cap);
	}
	fs->cats[fs->ncat] = MemoryContextAlloc(sc->cxt, key.len + 1);
	memcpy(fs->cats[fs->ncat], key.s, key.len);
	fs->cats[fs->ncat][key.len] = '\0';
	fs->counts[fs->ncat] = 0;
	e->key.s = fs->cats[fs->ncat];	/* the batch's copy is freed with the batch */
	e->id = fs->ncat++;
	return e->id;
}

/* ---- the checks of an id column ---- */

/* The uniqueness check of an ordered read: each id against the one before */
typedef struct IdCheck
{
	const UsRelData *rel;
	FmgrInfo   *cmp;			/* the type's btree comparison */
	int16		typlen;
	bool		typbyval;
	bool		have_prev;
	Datum		prev;			/* the previous row's id */
	bool		kept;			/* prev is a copy in keepcxt */
	MemoryContext keepcxt;		/* holds prev across batches */
} IdCheck;

static void
IdCheckInit(IdCheck *idc, const UsRelData *rel)
{
	TypeCacheEntry *tce = lookup_type_cache(getBaseType(rel->id_typid),
											TYPECACHE_CMP_PROC_FINFO);

	memset(idc, 0, sizeof(*idc));
	idc->rel = rel;
	idc->cmp = &tce->cmp_proc_finfo;
	get_typlenbyval(rel->id_typid, &idc->typlen, &idc->typbyval);
	idc->keepcxt = AllocSetContextCreate(CurrentMemoryContext, "userseg id column",
										 ALLOCSET_SMALL_SIZES);
}

/*
 * Check the id of the next row (rows come sorted): 22004 for NULL, 23505 when equal
 * to the previous one
 */
static void
IdCheckNext(IdCheck *idc, Datum v, bool isnull)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("id column \"%s\" contains NULL", idc->rel->id_column),
				 errdetail("Rows are read in the order of the id column; each needs an id."),
				 errhint("Name a column without NULLs, such as the table's primary key.")));
	if (idc->have_prev &&
		DatumGetInt32(FunctionCall2Coll(idc->cmp, idc->rel->id_collation, idc->prev, v)) == 0)
	{
		Oid			typoutput;
		bool		varlena;

		getTypeOutputInfo(idc->rel->id_typid, &typoutput, &varlena);
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("id column \"%s\" is not unique", idc->rel->id_column),
				 errdetail("Key (%s)=(%s) is duplicated.", idc->rel->id_column,
						   OidOutputFunctionCall(typoutput, v)),
				 errhint("Rows are read in the order of the id column, which must identify each row; "
						 "name a unique column, such as the table's primary key.")));
	}
	idc->have_prev = true;
	if (idc->typbyval)
	{
		idc->prev = v;
		return;
	}

	/*
	 * The value lives in the executor's slot only until the next row: keep a copy
	 * (the previous copy is freed)
	 */
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(idc->keepcxt);
		Datum		copy;

		if (idc->typlen == -1)
			copy = PointerGetDatum(PG_DETOAST_DATUM_COPY(v));
		else
			copy = datumCopy(v, false, idc->typlen);
		MemoryContextSwitchTo(oldcxt);
		if (idc->kept)
			pfree(DatumGetPointer(idc->prev));
		idc->prev = copy;
		idc->kept = true;
	}
}

/* ---- the scan ---- */

/*
 * Raise 22000 for NaN or Infinity in a column
 */
static inline void
CheckFinite(double v, const char *column)
{
	if (unlikely(!isfinite(v)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("column \"%s\" contains %s", column,
						isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")),
				 errdetail("Features must be finite numbers."),
				 errhint("Filter those rows out, or replace the values, in a view.")));
}

/* The query of the scan */
static char *
ScanQuery(const UsRelData *rel, bool want_tids)
{
	StringInfoData sql;
	const char *sep = "";

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	if (want_tids)
	{
		appendStringInfoString(&sql, "s.tableoid, s.ctid");
		sep = ", ";
	}
	if (rel->id_column)
	{
		appendStringInfo(&sql, "%ss.%s", sep, quote_identifier(rel->id_column));
		sep = ", ";
	}
	for (int f = 0; f < rel->nfeatures; f++)
	{
		appendStringInfo(&sql, "%s(s.%s)::pg_catalog.%s", sep,
						 quote_identifier(rel->features[f].name),
						 rel->features[f].onehot ? "text" : "float8");
		sep = ", ";
	}
	appendStringInfo(&sql, " FROM %s AS s", rel->relname);
	if (rel->id_column)
	{
		appendStringInfo(&sql, " ORDER BY s.%s", quote_identifier(rel->id_column));
		if (OidIsValid(rel->id_collation))
			appendStringInfoString(&sql, " COLLATE pg_catalog.\"C\"");
	}
	return sql.data;
}

/* Record the row identity (tableoid, ctid: values[0], values[1]) into oids / tids at i */
static inline void
KeepIdentity(ReadScan *sc, const Datum *values, GrowArray *oids, GrowArray *tids, int64 i)
{
	GrowTo(oids, i + 1, sc->cxt);
	GrowTo(tids, i + 1, sc->cxt);
	((Oid *) oids->p)[i] = DatumGetObjectId(values[0]);
	((ItemPointerData *) tids->p)[i] = *(ItemPointer) DatumGetPointer(values[1]);
}

/* One row of the scan (its columns from off on are the features): skipped, or kept */
static void
ScanRow(ReadScan *sc, const Datum *values, const bool *isnull, int off)
{
	UsRelData  *rel = sc->rel;
	int			w = rel->nfeatures;
	bool		complete = true;
	double	   *raw;

	for (int f = 0; f < w; f++)
		if (isnull[off + f])
		{
			rel->nulls[f]++;
			complete = false;
		}
	if (!complete && sc->opts->nulls == US_NULLS_SKIP)
	{
		if (sc->want_tids)
			KeepIdentity(sc, values, &sc->soids, &sc->stids, sc->s);
		sc->s++;
		return;
	}

	GrowTo(&sc->raw, (sc->n + 1) * w, sc->cxt);
	raw = (double *) sc->raw.p + sc->n * w;
	for (int f = 0; f < w; f++)
	{
		const UsFeature *feat = &rel->features[f];
		Datum		v = values[off + f];

		if (isnull[off + f])
			raw[f] = NAN;
		else if (!feat->onehot)
		{
			double		val = DatumGetFloat8(v);

			CheckFinite(val, feat->name);
			raw[f] = val;
			sc->fs[f].sum += val;
		}
		else
		{
			int			c = CategoryId(sc, f, DatumGetTextPP(v));

			sc->fs[f].counts[c]++;
			raw[f] = (double) c;
		}
	}
	if (sc->want_tids)
		KeepIdentity(sc, values, &sc->oids, &sc->tids, sc->n);
	sc->n++;
}

/* Encoded columns so far, for the budget check of each batch */
static int64
ColumnsSoFar(const ReadScan *sc)
{
	int64		d = 0;

	for (int f = 0; f < sc->rel->nfeatures; f++)
		d += sc->rel->features[f].onehot ? sc->fs[f].ncat : 1;
	return d;
}

/*
 * The scan's rows go straight from the executor's slot into the raw rows: a
 * DestReceiver of our own (SPI_execute_plan_extended's dest), so no row is formed
 * into a tuple, copied or stored on the way.
 */
typedef struct ReadDest
{
	DestReceiver pub;
	ReadScan   *sc;
	IdCheck    *idc;			/* NULL without an id column */
	int			idcol;			/* the id's column, 0-based */
	int			off;			/* the first feature's column, 0-based */
	MemoryContext batchcxt;		/* detoasted values, reset every US_FETCH_ROWS rows */
	int64		inbatch;
	ErrorContextCallback *outer_context;	/* the error context of the caller */
} ReadDest;

/* Every US_FETCH_ROWS rows: free the batch, check interrupts and the budget */
static void
EndBatch(ReadDest *rd)
{
	ReadScan   *sc = rd->sc;
	int64		d;
	Size		need;

	MemoryContextReset(rd->batchcxt);
	rd->inbatch = 0;
	CHECK_FOR_INTERRUPTS();

	/* the matrix these rows will need, so that many categories fail early */
	d = ColumnsSoFar(sc);
	if (d > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many encoded columns: " INT64_FORMAT, d)));
	need = UsMatrixBytes(sc->n, (int) d);
	if (need > sc->raw.cap * sc->raw.elem)
		UsCheckMemory(need - sc->raw.cap * sc->raw.elem, "the feature matrix");
}

static bool
ReadReceive(TupleTableSlot *slot, DestReceiver *self)
{
	ReadDest   *rd = (ReadDest *) self;
	MemoryContext oldcxt;

	slot_getallattrs(slot);
	oldcxt = MemoryContextSwitchTo(rd->batchcxt);
	if (rd->idc)
		IdCheckNext(rd->idc, slot->tts_values[rd->idcol], slot->tts_isnull[rd->idcol]);
	ScanRow(rd->sc, slot->tts_values, slot->tts_isnull, rd->off);
	MemoryContextSwitchTo(oldcxt);
	if (++rd->inbatch >= US_FETCH_ROWS)
		EndBatch(rd);
	return true;
}

/*
 * When the executor starts: errors of the read (a NaN, a duplicate id, the budget, or
 * the executor's own) are reported as the caller's, without SPI's "SQL statement"
 * context line naming the internal query, as when rows were fetched from a cursor.
 * SPI itself resets error_context_stack to the caller's when the query ends, and
 * error recovery to what each PG_TRY saved.
 */
static void
ReadStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	error_context_stack = ((ReadDest *) self)->outer_context;
}

static void
ReadShutdown(DestReceiver *self)
{
}

static void
ReadDestroy(DestReceiver *self)
{
}

/* Read every row of the relation */
static void
ScanCursor(ReadScan *sc)
{
	UsRelData  *rel = sc->rel;
	bool		has_id = rel->id_column != NULL;
	char	   *sql = ScanQuery(rel, sc->want_tids);
	SPIPrepareOptions popts;
	SPIExecuteOptions eopts;
	SPIPlanPtr	plan;
	ReadDest	rd;
	IdCheck		idc;
	int			rc;

	memset(&rd, 0, sizeof(rd));
	rd.pub.receiveSlot = ReadReceive;
	rd.pub.rStartup = ReadStartup;
	rd.pub.rShutdown = ReadShutdown;
	rd.pub.rDestroy = ReadDestroy;
	rd.pub.mydest = DestTuplestore;	/* rows to a receiver of the caller's */
	rd.sc = sc;
	rd.outer_context = error_context_stack;
	rd.idcol = sc->want_tids ? 2 : 0;	/* after tableoid, ctid */
	rd.off = (sc->want_tids ? 2 : 0) + (has_id ? 1 : 0);	/* before the features */
	if (has_id)
	{
		IdCheckInit(&idc, rel);
		rd.idc = &idc;
	}
	rd.batchcxt = AllocSetContextCreate(CurrentMemoryContext, "userseg relation batch",
										ALLOCSET_DEFAULT_SIZES);

	/*
	 * Planned without CURSOR_OPT_PARALLEL_OK, so rows come in the order of one
	 * process's scan (a Gather would interleave its workers' rows), and without
	 * CURSOR_OPT_FAST_PLAN: every row is read.
	 */
	memset(&popts, 0, sizeof(popts));
	popts.parseMode = RAW_PARSE_DEFAULT;
	popts.cursorOptions = 0;
	plan = SPI_prepare_extended(sql, &popts);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_extended failed (%s) for \"%s\", please report a bug",
			 SPI_result_code_string(SPI_result), sql);
	memset(&eopts, 0, sizeof(eopts));
	eopts.read_only = true;
	eopts.dest = (DestReceiver *) &rd;
	rc = SPI_execute_plan_extended(plan, &eopts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading \"%s\" failed: %s", sql, SPI_result_code_string(rc));
	SPI_freeplan(plan);
	if (has_id)
		MemoryContextDelete(idc.keepcxt);
	MemoryContextDelete(rd.batchcxt);
	pfree(sql);
}

/* ---- encoding ---- */

static const FeatureScan *sort_fs;	/* for SortCats: qsort has no argument */

static int
SortCats(const void *a, const void *b)
{
	const char *x = sort_fs->cats[*(const int *) a];
	const char *y = sort_fs->cats[*(const int *) b];

	return CatCompare(x, strlen(x), y, strlen(y));
}

/*
 * Sort a one-hot feature's categories in byte order; rank[id] is the sorted position,
 * mode the most frequent (ties to the first in sort order)
 */
static void
SortCategories(ReadScan *sc, int f)
{
	FeatureScan *fs = &sc->fs[f];
	int		   *order = palloc(sizeof(int) * Max(fs->ncat, 1));
	char	  **cats = MemoryContextAlloc(sc->cxt, sizeof(char *) * Max(fs->ncat, 1));
	int64		best = -1;

	for (int c = 0; c < fs->ncat; c++)
		order[c] = c;
	sort_fs = fs;
	qsort(order, fs->ncat, sizeof(int), SortCats);
	fs->rank = MemoryContextAlloc(sc->cxt, sizeof(int) * Max(fs->ncat, 1));
	fs->mode = -1;
	for (int r = 0; r < fs->ncat; r++)
	{
		fs->rank[order[r]] = r;
		cats[r] = fs->cats[order[r]];
		if (fs->counts[order[r]] > best)
		{
			best = fs->counts[order[r]];
			fs->mode = r;
		}
	}
	fs->cats = cats;
	pfree(order);
}

/* Where the features go in the encoded matrix, and what describes its columns */
static void
LayOutColumns(ReadScan *sc)
{
	UsRelData  *rel = sc->rel;
	int			drop = sc->opts->drop_first ? 1 : 0;
	int64		d = 0;

	for (int f = 0; f < rel->nfeatures; f++)
	{
		UsFeature  *feat = &rel->features[f];

		feat->first = (int) d;
		feat->ncols = feat->onehot ? Max(sc->fs[f].ncat - drop, 0) : 1;
		d += feat->ncols;
	}
	if (d > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many encoded columns: " INT64_FORMAT, d)));
	rel->d = (int) d;
	rel->cols = MemoryContextAllocZero(sc->cxt, sizeof(UsColumn) * Max(rel->d, 1));
	rel->imputed = MemoryContextAlloc(sc->cxt, sizeof(double) * Max(rel->d, 1));
	for (int f = 0; f < rel->nfeatures; f++)
	{
		UsFeature  *feat = &rel->features[f];
		const FeatureScan *fs = &sc->fs[f];
		bool		impute = sc->opts->nulls == US_NULLS_IMPUTE;

		for (int c = 0; c < feat->ncols; c++)
		{
			UsColumn   *col = &rel->cols[feat->first + c];

			col->source = feat->name;
			col->category = feat->onehot ? fs->cats[c + drop] : NULL;
			col->typid = feat->typid;
			col->feature = f;
			if (!impute)
				rel->imputed[feat->first + c] = NAN;
			else if (!feat->onehot)
				rel->imputed[feat->first] = rel->nrows > rel->nulls[f] ?
					fs->sum / (double) (rel->nrows - rel->nulls[f]) : NAN;
			else
				rel->imputed[feat->first + c] = (c + drop == fs->mode) ? 1.0 : 0.0;
		}
	}
}

/* Encode raw row r (w values) into out (d columns) */
static inline void
EncodeRow(const ReadScan *sc, const double *raw, double *out)
{
	const UsRelData *rel = sc->rel;
	int			drop = sc->opts->drop_first ? 1 : 0;
	bool		impute = sc->opts->nulls == US_NULLS_IMPUTE;

	memset(out, 0, sizeof(double) * rel->d);
	for (int f = 0; f < rel->nfeatures; f++)
	{
		const UsFeature *feat = &rel->features[f];
		double		v = raw[f];
		int			c;

		if (!feat->onehot)
		{
			out[feat->first] = (isnan(v) && impute) ? rel->imputed[feat->first] : v;
			continue;
		}
		if (isnan(v))
		{
			if (!impute)
				continue;		/* a NULL category is all zeros */
			c = sc->fs[f].mode;
		}
		else
			c = sc->fs[f].rank[(int) v];
		if (c - drop >= 0)
			out[feat->first + c - drop] = 1.0;
	}
}

/*
 * Turn the raw rows into the n x d matrix, in place
 */
static void
EncodeRows(ReadScan *sc)
{
	UsRelData  *rel = sc->rel;
	int			w = rel->nfeatures;
	int			d = rel->d;
	int64		n = sc->n;
	double	   *tmp = palloc(sizeof(double) * w);
	double	   *x;
	bool		identity = d == w && sc->opts->nulls != US_NULLS_IMPUTE;

	for (int f = 0; f < w && identity; f++)
		identity = !rel->features[f].onehot;

	if (n == 0 || d == 0)
	{
		GrowTrim(&sc->raw, 0);
		rel->x = NULL;
		return;
	}
	if (!identity)
	{
		if (d > w)
			GrowTo(&sc->raw, n * d, sc->cxt);
		x = sc->raw.p;
		if (d >= w)
			for (int64 i = n - 1; i >= 0; i--)
			{
				memcpy(tmp, x + i * w, sizeof(double) * w);
				EncodeRow(sc, tmp, x + i * d);
				if (i % (US_CHECK_EVERY * 16) == 0)
					CHECK_FOR_INTERRUPTS();
			}
		else
			for (int64 i = 0; i < n; i++)
			{
				memcpy(tmp, x + i * w, sizeof(double) * w);
				EncodeRow(sc, tmp, x + i * d);
				if (i % (US_CHECK_EVERY * 16) == 0)
					CHECK_FOR_INTERRUPTS();
			}
	}
	GrowTrim(&sc->raw, n * d);
	rel->x = sc->raw.p;
	pfree(tmp);
}

/*
 * Raise 22004 for NULLs under nulls => 'error'
 */
static inline void
CheckNoNulls(const UsRelData *rel, int f)
{
	if (rel->nulls[f] > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("column \"%s\" contains NULL", rel->features[f].name),
				 errdetail(INT64_FORMAT " of " INT64_FORMAT " rows are NULL.",
						   rel->nulls[f], rel->nrows),
				 errhint("Use nulls => 'skip' or nulls => 'impute', or fill the column.")));
}

/* NOTICE for a text column of numbers, one-hot encoded */
static void
NoticeNumericText(const UsRelData *rel, int f, const FeatureScan *fs)
{
	const UsFeature *feat = &rel->features[f];

	ereport(NOTICE,
			(errmsg("column \"%s\" holds only numbers but has type %s, so it is one-hot encoded",
					feat->name, format_type_be(feat->typid)),
			 errdetail("Its %d distinct values became %d encoded columns.", fs->ncat, feat->ncols),
			 errhint("Cast it to a number: %s (or cast it in a view).",
					 CastAdvice(rel, feat->name))));
}

/*
 * Read the rows of rel (features, id column and label column resolved) under the
 * active snapshot, inside SPI, and encode them; the result lives in cxt
 */
void
UsScanRelation(UsRelData *rel, const UsReadOptions *opts, bool want_tids, MemoryContext cxt)
{
	ReadScan		sc;

	memset(&sc, 0, sizeof(sc));
	sc.rel = rel;
	sc.opts = opts;
	sc.want_tids = want_tids;
	sc.cxt = cxt;
	sc.fs = MemoryContextAllocZero(cxt, sizeof(FeatureScan) * rel->nfeatures);
	GrowInit(&sc.raw, sizeof(double), rel->nfeatures, "the feature matrix");
	GrowInit(&sc.tids, sizeof(ItemPointerData), 1, "the row identities");
	GrowInit(&sc.oids, sizeof(Oid), 1, "the row identities");
	GrowInit(&sc.stids, sizeof(ItemPointerData), 1, "the row identities");
	GrowInit(&sc.soids, sizeof(Oid), 1, "the row identities");
	for (int f = 0; f < rel->nfeatures; f++)
		if (rel->features[f].onehot)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(CatKey);
			ctl.entrysize = sizeof(CatEntry);
			ctl.hash = CatHash;
			ctl.match = CatMatch;
			ctl.hcxt = cxt;
			sc.fs[f].hash = hash_create("userseg categories", 64, &ctl,
										HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
		}

	ScanCursor(&sc);
	rel->n = sc.n;
	rel->nskipped = sc.s;
	rel->nrows = sc.n + sc.s;

	for (int f = 0; f < rel->nfeatures; f++)
	{
		if (opts->nulls == US_NULLS_ERROR)
			CheckNoNulls(rel, f);
		if (opts->nulls == US_NULLS_IMPUTE && rel->nrows > 0 && rel->nulls[f] == rel->nrows)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("column \"%s\" has only NULLs, nothing to impute from",
							rel->features[f].name),
					 errhint("Leave the column out of the features.")));
	}
	for (int f = 0; f < rel->nfeatures; f++)
		if (rel->features[f].onehot)
		{
			SortCategories(&sc, f);
			hash_destroy(sc.fs[f].hash);
		}
	LayOutColumns(&sc);
	for (int f = 0; f < rel->nfeatures; f++)
		if (AllNumeric(&rel->features[f], &sc.fs[f]))
			NoticeNumericText(rel, f, &sc.fs[f]);

	UsCheckMemory(UsMatrixBytes(rel->n, rel->d) > sc.raw.cap * sc.raw.elem ?
				  UsMatrixBytes(rel->n, rel->d) - sc.raw.cap * sc.raw.elem : 0,
				  "the feature matrix");
	EncodeRows(&sc);

	if (want_tids)
	{
		GrowTrim(&sc.tids, sc.n);
		GrowTrim(&sc.oids, sc.n);
		GrowTrim(&sc.stids, sc.s);
		GrowTrim(&sc.soids, sc.s);
		rel->tids = sc.tids.p;
		rel->tableoids = sc.oids.p;
		rel->skipped_tids = sc.stids.p;
		rel->skipped_tableoids = sc.soids.p;
	}
}
