/*-------------------------------------------------------------------------
 *
 * counts.c
 *	  Category counts for the crosstab as a combinable aggregate: the type
 *	  userseg_counts, userseg_category_counts(value text [, max_categories int]),
 *	  userseg_counts_merge(userseg_counts) and userseg_counts_rows(userseg_counts).
 *
 * The state and the result are userseg_counts, a varlena base type (not internal):
 * parallel workers hand partial states to the leader as ordinary values, and Citus
 * ships them through the type's text output and input.  Its text form is
 *
 *	max_categories=100 {"android": 120, "ios": 80, NULL: 3}
 *
 * the bound, then the categories in byte order (COLLATE "C", as the crosstab orders
 * them) with their counts, the NULL category last; categories are quoted as JSON
 * strings (counts_core.c).  Input accepts any order and spacing and rejects
 * duplicates; output is canonical, so the text round-trips exactly.  The binary form
 * (send/receive, for binary COPY and clients) is int32 max_categories, int32
 * categories, int64 NULL count, then per category int32 length, the bytes, int64
 * count; receive checks what text input checks (22P03).
 *
 * Flat form (what is stored, sent between workers and read by every function):
 *
 *	int32 varlena header, int32 categories (NULL excluded), int32 max_categories,
 *	int32 flags (0), int64 rows counted under NULL (0: no NULL category), then per
 *	category in byte order: int32 length, int64 count, the bytes (unaligned, read
 *	with memcpy).  The type is double-aligned, so the header is read in place.
 *
 * Expanded form (the transition state in an aggregate): a hash of the categories
 * (simplehash, keyed by the bytes) in a memory context that is a child of the
 * aggregate's context.  The transition and combine functions return a read-write
 * pointer to it, which nodeAgg keeps as the state without copying (ExecAggTransReparent
 * adopts a read-write expanded object whose context is a child of the aggregate
 * context), so a row costs one hash lookup: nothing is copied per row.  The flat form
 * is written only when PostgreSQL asks for it (a partial state leaving a worker, the
 * final value, the text output): EOH_get_flat_size sorts the categories once (cached
 * until a category is added), EOH_flatten_into writes them.
 *
 * Bound: at most max_categories distinct categories, the NULL category included
 * (default 100, the readers' max_categories; 1 to 1,000,000); one more is 54000.  A
 * merge keeps the larger bound of the two states.  Counts are bigint; a count or a
 * total past it is 22003.
 *
 * Every value that arrives is checked before it is read: malformed text (an INITCOND
 * included) is 22P02, a malformed binary form 22P03, and a flat value that reaches a
 * function (a partial state, a stored value) is checked again, 22000 if inconsistent.
 *
 *-------------------------------------------------------------------------
 */
#include "usdata.h"

#include "common/hashfn.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"

PG_FUNCTION_INFO_V1(userseg_counts_in);
PG_FUNCTION_INFO_V1(userseg_counts_out);
PG_FUNCTION_INFO_V1(userseg_counts_recv);
PG_FUNCTION_INFO_V1(userseg_counts_send);
PG_FUNCTION_INFO_V1(userseg_category_counts_trans);
PG_FUNCTION_INFO_V1(userseg_counts_combine);
PG_FUNCTION_INFO_V1(userseg_counts_rows);

/* The largest max_categories */
#define COUNTS_MAX_CATEGORIES 1000000

/* ---- the flat form ---- */

typedef struct CountsFlat
{
	int32		vl_len_;
	int32		ncat;			/* categories, the NULL category excluded */
	int32		max_categories;
	int32		flags;			/* 0 */
	int64		null_count;		/* rows counted under NULL; 0: no NULL category */
	/* then per category: int32 length, int64 count, the bytes */
} CountsFlat;

#define COUNTS_HDR		sizeof(CountsFlat)
#define COUNTS_ENTRY_HDR (sizeof(int32) + sizeof(int64))

/* One category of a flat value */
typedef struct CountsItem
{
	const char *data;
	int32		len;
	int64		count;
} CountsItem;

/* ---- the expanded form ---- */

typedef struct CountsKey
{
	const char *data;
	int32		len;
} CountsKey;

typedef struct CountsEntry
{
	CountsKey	key;
	int64		count;
	uint32		hash;
	char		status;
} CountsEntry;

#define SH_PREFIX		counts
#define SH_ELEMENT_TYPE CountsEntry
#define SH_KEY_TYPE		CountsKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) (k).data, (k).len)
#define SH_EQUAL(tb, a, b) ((a).len == (b).len && memcmp((a).data, (b).data, (a).len) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

typedef struct CountsExpanded
{
	ExpandedObjectHeader hdr;
	counts_hash *hash;
	int32		max_categories;
	int64		null_count;
	int64		total;			/* rows counted, NULLs included */
	Size		flat_size;		/* bytes of the flat form */
	/* the categories in byte order, valid until one is added */
	CountsEntry **sorted;
	int32		nsorted;
	bool		sorted_valid;
} CountsExpanded;

static Size CountsGetFlatSize(ExpandedObjectHeader *eohptr);
static void CountsFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods CountsMethods = {
	CountsGetFlatSize,
	CountsFlattenInto
};

static CountsFlat *FlattenAndDrop(CountsExpanded *e);

/* ---- checks ---- */

static void
BadCounts(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid userseg_counts value"),
			 errdetail("%s", why)));
}

/* 22023 unless 1 <= max_categories <= COUNTS_MAX_CATEGORIES */
static inline void
CheckMaxCategories(int32 max_categories)
{
	if (max_categories < 1 || max_categories > COUNTS_MAX_CATEGORIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_categories must be between 1 and %d, not %d",
						COUNTS_MAX_CATEGORIES, max_categories),
				 errhint("The one-argument form keeps at most %d categories.",
						 US_DEFAULT_MAX_CATEGORIES)));
}

/* 54000: one category more than the bound */
static void
TooManyCategories(int32 max_categories)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("more than max_categories (%d) distinct categories", max_categories),
			 errdetail("Category counts keep at most max_categories distinct values, the NULL category included."),
			 errhint("Raise max_categories (userseg_category_counts(value, max_categories), up to %d), or group rare values first.",
					 COUNTS_MAX_CATEGORIES)));
}

/* 22003: a count past bigint */
static void
CountOverflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow"),
			 errdetail("A category count is out of the range of bigint.")));
}

/*
 * Check a flat value from outside, as everything but its bytes is trusted after:
 * sizes, bound, positive counts, categories strictly ascending, a total within bigint.
 * Returns NULL or what is wrong.
 */
static const char *
FlatProblem(const CountsFlat *f)
{
	Size		size = VARSIZE(f);
	const char *p = (const char *) f + COUNTS_HDR;
	const char *end = (const char *) f + size;
	const char *prev = NULL;
	int32		prevlen = 0;
	int64		total;

	if (size < COUNTS_HDR)
		return "The value is shorter than its header.";
	if (f->flags != 0)
		return "The value has unknown flags.";
	if (f->max_categories < 1 || f->max_categories > COUNTS_MAX_CATEGORIES)
		return "The value has an invalid max_categories.";
	if (f->ncat < 0 || f->null_count < 0 ||
		(int64) f->ncat + (f->null_count > 0) > f->max_categories)
		return "The value has more categories than its max_categories.";
	total = f->null_count;
	for (int32 i = 0; i < f->ncat; i++)
	{
		int32		len;
		int64		count;

		if (end - p < (ptrdiff_t) COUNTS_ENTRY_HDR)
			return "The value is shorter than its categories.";
		memcpy(&len, p, sizeof(int32));
		memcpy(&count, p + sizeof(int32), sizeof(int64));
		p += COUNTS_ENTRY_HDR;
		if (len < 0 || end - p < (ptrdiff_t) len)
			return "The value is shorter than its categories.";
		if (count < 1)
			return "The value has a count below 1.";
		if (count > PG_INT64_MAX - total)
			return "The value's counts add up past bigint.";
		total += count;
		if (memchr(p, '\0', len) != NULL)
			return "A category holds a zero byte.";
		if (prev && UsCountsCompare(prev, prevlen, p, len) >= 0)
			return "The categories are not distinct and in byte order.";
		prev = p;
		prevlen = len;
		p += len;
	}
	if (p != end)
		return "The value is longer than its categories.";
	return NULL;
}

/* A flat, checked copy of a userseg_counts datum (flat, toasted or expanded) */
static CountsFlat *
FlatFromDatum(Datum d)
{
	CountsFlat *f = (CountsFlat *) PG_DETOAST_DATUM(d);
	const char *why = FlatProblem(f);

	if (why)
		BadCounts(why);
	return f;
}

/* Next category of a checked flat value; *p starts at COUNTS_HDR */
static inline void
FlatNext(const char **p, CountsItem *it)
{
	memcpy(&it->len, *p, sizeof(int32));
	memcpy(&it->count, *p + sizeof(int32), sizeof(int64));
	it->data = *p + COUNTS_ENTRY_HDR;
	*p = it->data + it->len;
}

/* ---- the expanded form ---- */

static CountsExpanded *
ExpandedNew(MemoryContext parent, int32 max_categories)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "userseg_counts",
											  ALLOCSET_SMALL_SIZES);
	CountsExpanded *e = MemoryContextAllocZero(cxt, sizeof(CountsExpanded));

	EOH_init_header(&e->hdr, &CountsMethods, cxt);
	e->hash = counts_create(cxt, 16, NULL);
	e->max_categories = max_categories;
	e->flat_size = COUNTS_HDR;
	return e;
}

static inline int64
Categories(const CountsExpanded *e)
{
	return (int64) e->hash->members + (e->null_count > 0);
}

/*
 * Add n rows to a category (data NULL: the NULL category).  Everything that can fail
 * is checked before the object changes, so an error leaves it whole.
 */
static void
ExpandedAdd(CountsExpanded *e, const char *data, int32 len, int64 n)
{
	CountsKey	key;
	CountsEntry *ent;
	bool		found;
	char	   *copy;

	if (n > PG_INT64_MAX - e->total)
		CountOverflow();
	if (data == NULL)
	{
		if (e->null_count == 0 && Categories(e) >= e->max_categories)
			TooManyCategories(e->max_categories);
		e->null_count += n;
		e->total += n;
		return;
	}
	key.data = data;
	key.len = len;
	ent = counts_lookup(e->hash, key);
	if (ent)
	{
		ent->count += n;
		e->total += n;
		return;
	}
	if (Categories(e) >= e->max_categories)
		TooManyCategories(e->max_categories);
	if ((Size) len + COUNTS_ENTRY_HDR > MaxAllocSize - e->flat_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("category counts would exceed the largest value of 1 GB"),
				 errdetail("The categories hold %zu bytes; one more of %d bytes was to be added.",
						   e->flat_size, len)));
	copy = MemoryContextAlloc(e->hdr.eoh_context, Max(len, 1));
	memcpy(copy, data, len);
	key.data = copy;
	ent = counts_insert(e->hash, key, &found);
	Assert(!found);
	ent->count = n;
	e->total += n;
	e->flat_size += COUNTS_ENTRY_HDR + len;
	if (e->sorted_valid)
	{
		pfree(e->sorted);
		e->sorted = NULL;
		e->sorted_valid = false;
	}
}

/* An expanded copy of a checked flat value in a new child context of parent */
static CountsExpanded *
ExpandedFromFlat(const CountsFlat *f, MemoryContext parent)
{
	CountsExpanded *e = ExpandedNew(parent, f->max_categories);
	const char *p = (const char *) f + COUNTS_HDR;

	for (int32 i = 0; i < f->ncat; i++)
	{
		CountsItem	it;

		FlatNext(&p, &it);
		ExpandedAdd(e, it.data, it.len, it.count);
	}
	if (f->null_count > 0)
		ExpandedAdd(e, NULL, 0, f->null_count);
	return e;
}

/*
 * The state argument argno as an expanded object that may be changed: the object
 * itself when it is a read-write pointer to one of ours (the aggregate's own state),
 * else a new one in a child of parent made from the value (NULL: an empty state of
 * max_categories)
 */
static CountsExpanded *
StateArg(FunctionCallInfo fcinfo, int argno, MemoryContext parent, int32 max_categories)
{
	Datum		d;

	if (PG_ARGISNULL(argno))
		return ExpandedNew(parent, max_categories);
	d = PG_GETARG_DATUM(argno);
	if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &CountsMethods)
			return (CountsExpanded *) eoh;
	}
	return ExpandedFromFlat(FlatFromDatum(d), parent);
}

/* Sort the categories of e, once until one is added */
static void
ExpandedSort(CountsExpanded *e)
{
	MemoryContext old;
	counts_iterator iter;
	CountsEntry *ent;
	int32		n = (int32) e->hash->members;
	int32		i = 0;
	const char **keys;
	int32	   *lens;
	int32	   *idx;
	UsCore		core;

	if (e->sorted_valid)
		return;
	old = MemoryContextSwitchTo(e->hdr.eoh_context);
	keys = palloc(sizeof(char *) * Max(n, 1));
	lens = palloc(sizeof(int32) * Max(n, 1));
	idx = palloc(sizeof(int32) * Max(n, 1));
	e->sorted = palloc(sizeof(CountsEntry *) * Max(n, 1));
	MemoryContextSwitchTo(old);
	{
		CountsEntry **ents = palloc(sizeof(CountsEntry *) * Max(n, 1));

		counts_start_iterate(e->hash, &iter);
		while ((ent = counts_iterate(e->hash, &iter)) != NULL)
		{
			ents[i] = ent;
			keys[i] = ent->key.data;
			lens[i] = ent->key.len;
			i++;
		}
		Assert(i == n);
		UsCoreContextInit(&core);
		UsCountsSort(&core, idx, n, keys, lens);
		for (i = 0; i < n; i++)
			e->sorted[i] = ents[idx[i]];
		pfree(ents);
	}
	pfree(keys);
	pfree(lens);
	pfree(idx);
	e->nsorted = n;
	e->sorted_valid = true;
}

static Size
CountsGetFlatSize(ExpandedObjectHeader *eohptr)
{
	CountsExpanded *e = (CountsExpanded *) eohptr;

	ExpandedSort(e);
	return e->flat_size;
}

static void
CountsFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	CountsExpanded *e = (CountsExpanded *) eohptr;
	CountsFlat *f = result;
	char	   *p = (char *) result + COUNTS_HDR;

	Assert(e->sorted_valid && allocated_size == e->flat_size);
	memset(f, 0, COUNTS_HDR);
	SET_VARSIZE(f, e->flat_size);
	f->ncat = e->nsorted;
	f->max_categories = e->max_categories;
	f->flags = 0;
	f->null_count = e->null_count;
	for (int32 i = 0; i < e->nsorted; i++)
	{
		const CountsEntry *ent = e->sorted[i];

		memcpy(p, &ent->key.len, sizeof(int32));
		memcpy(p + sizeof(int32), &ent->count, sizeof(int64));
		p += COUNTS_ENTRY_HDR;
		memcpy(p, ent->key.data, ent->key.len);
		p += ent->key.len;
	}
	Assert(p == (char *) result + allocated_size);
}

/* ---- text form ---- */

static void
BadText(const char *text, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type userseg_counts: \"%s\"", text),
			 errdetail("%s", why),
			 errhint("The form is max_categories=N {\"category\": count, ..., NULL: count}.")));
}

static inline const char *
SkipSpace(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
		p++;
	return p;
}

/* A decimal integer from 0 to max; NULL when there is none or it is larger */
static const char *
ReadInt(const char *p, int64 max, int64 *out)
{
	int64		v = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
	{
		int			digit = *p - '0';

		if (v > (max - digit) / 10)
			return NULL;
		v = v * 10 + digit;
		p++;
	}
	*out = v;
	return p;
}

/*
 * userseg_counts_in(cstring): max_categories=N {"category": count, ..., NULL: count};
 * any spacing and order, no duplicates; 22P02 for anything else
 */
Datum
userseg_counts_in(PG_FUNCTION_ARGS)
{
	const char *text = PG_GETARG_CSTRING(0);
	const char *p = SkipSpace(text);
	char	   *buf = palloc(strlen(text) + 1);
	int64		maxcat;
	CountsExpanded *e;
	bool		first = true;
	bool		saw_null = false;

	if (strncmp(p, "max_categories", 14) != 0)
		BadText(text, "The value must start with max_categories=N.");
	p = SkipSpace(p + 14);
	if (*p != '=')
		BadText(text, "max_categories must be followed by =.");
	p = SkipSpace(p + 1);
	if (!(p = ReadInt(p, COUNTS_MAX_CATEGORIES, &maxcat)) || maxcat < 1)
		BadText(text, psprintf("max_categories must be an integer from 1 to %d.",
							   COUNTS_MAX_CATEGORIES));
	p = SkipSpace(p);
	if (*p != '{')
		BadText(text, "The categories must be between { and }.");
	p = SkipSpace(p + 1);
	e = ExpandedNew(CurrentMemoryContext, (int32) maxcat);
	while (*p != '}')
	{
		const char *why;
		int32		len = 0;
		bool		isnull = false;
		int64		count;
		CountsKey	key;

		if (!first)
		{
			if (*p == '\0')
				BadText(text, "The categories are not closed by }.");
			if (*p != ',')
				BadText(text, "Categories must be separated by commas.");
			p = SkipSpace(p + 1);
		}
		first = false;
		if (pg_strncasecmp(p, "null", 4) == 0)
		{
			isnull = true;
			p += 4;
		}
		else if (*p == '"')
		{
			const char *after;

			if ((why = UsCountsUnquote(p, &after, buf, &len)) != NULL)
				BadText(text, why);
			if (pg_verifymbstr(buf, len, true) != true)
				BadText(text, "A category is not valid in the server encoding.");
			p = after;
		}
		else if (*p == '\0')
			BadText(text, "The categories are not closed by }.");
		else
			BadText(text, "A category must be a string in double quotes or NULL.");
		p = SkipSpace(p);
		if (*p != ':')
			BadText(text, "A category must be followed by a colon and its count.");
		p = SkipSpace(p + 1);
		if (!(p = ReadInt(p, PG_INT64_MAX, &count)) || count < 1 ||
			!(*SkipSpace(p) == ',' || *SkipSpace(p) == '}' || *SkipSpace(p) == '\0'))
			BadText(text, "A count must be an integer from 1 to 9223372036854775807.");
		p = SkipSpace(p);
		if (isnull ? saw_null : (key.data = buf, key.len = len,
								 counts_lookup(e->hash, key) != NULL))
			BadText(text, "A category appears twice.");
		saw_null = saw_null || isnull;
		if (count > PG_INT64_MAX - e->total)
			BadText(text, "The counts add up past bigint.");
		if (Categories(e) >= e->max_categories)
			BadText(text, "There are more categories than max_categories.");
		ExpandedAdd(e, isnull ? NULL : buf, len, count);
	}
	p = SkipSpace(p + 1);
	if (*p != '\0')
		BadText(text, "Nothing may follow the closing }.");
	/* a flat value: an input function's result may become a constant of a plan */
	PG_RETURN_POINTER(FlattenAndDrop(e));
}

/*
 * userseg_counts_out(userseg_counts): the canonical text form
 */
Datum
userseg_counts_out(PG_FUNCTION_ARGS)
{
	CountsFlat *f = FlatFromDatum(PG_GETARG_DATUM(0));
	const char *p = (const char *) f + COUNTS_HDR;
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "max_categories=%d {", f->max_categories);
	for (int32 i = 0; i < f->ncat; i++)
	{
		CountsItem	it;
		size_t		qlen;

		FlatNext(&p, &it);
		if (i > 0)
			appendStringInfoString(&s, ", ");
		qlen = UsCountsQuotedLen(it.data, it.len);
		if (qlen > MaxAllocSize - (Size) s.len - 64)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the text form of these category counts would exceed 1 GB")));
		enlargeStringInfo(&s, (int) qlen);
		s.len += (int) UsCountsQuote(it.data, it.len, s.data + s.len);
		s.data[s.len] = '\0';
		appendStringInfo(&s, ": " INT64_FORMAT, it.count);
	}
	if (f->null_count > 0)
		appendStringInfo(&s, "%sNULL: " INT64_FORMAT, f->ncat > 0 ? ", " : "", f->null_count);
	appendStringInfoChar(&s, '}');
	PG_RETURN_CSTRING(s.data);
}

/* The flat form of a new expanded object, which is then deleted */
static CountsFlat *
FlattenAndDrop(CountsExpanded *e)
{
	Size		size = EOH_get_flat_size(&e->hdr);
	CountsFlat *flat = palloc(size);

	EOH_flatten_into(&e->hdr, flat, size);
	MemoryContextDelete(e->hdr.eoh_context);
	return flat;
}

static void
BadBinary(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary userseg_counts value"),
			 errdetail("%s", why)));
}

/*
 * userseg_counts_recv(internal): the binary form, checked as the text form is
 */
Datum
userseg_counts_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		maxcat = (int32) pq_getmsgint(buf, 4);
	int32		ncat = (int32) pq_getmsgint(buf, 4);
	int64		null_count = pq_getmsgint64(buf);
	CountsExpanded *e;

	if (maxcat < 1 || maxcat > COUNTS_MAX_CATEGORIES)
		BadBinary(psprintf("max_categories must be from 1 to %d.", COUNTS_MAX_CATEGORIES));
	if (null_count < 0)
		BadBinary("The NULL count is below 0.");
	if (ncat < 0 || (int64) ncat + (null_count > 0) > maxcat)
		BadBinary("There are more categories than max_categories.");
	e = ExpandedNew(CurrentMemoryContext, maxcat);
	for (int32 i = 0; i < ncat; i++)
	{
		int32		len = (int32) pq_getmsgint(buf, 4);
		const char *data;
		int64		count;
		CountsKey	key;

		if (len < 0 || len > buf->len - buf->cursor)
			BadBinary("A category is longer than the value.");
		data = pq_getmsgbytes(buf, len);
		count = pq_getmsgint64(buf);
		if (count < 1)
			BadBinary("A count is below 1.");
		if (memchr(data, '\0', len) != NULL || !pg_verifymbstr(data, len, true))
			BadBinary("A category is not valid text in the server encoding.");
		key.data = data;
		key.len = len;
		if (counts_lookup(e->hash, key) != NULL)
			BadBinary("A category appears twice.");
		if (count > PG_INT64_MAX - e->total)
			BadBinary("The counts add up past bigint.");
		ExpandedAdd(e, data, len, count);
	}
	if (null_count > 0)
	{
		if (null_count > PG_INT64_MAX - e->total)
			BadBinary("The counts add up past bigint.");
		ExpandedAdd(e, NULL, 0, null_count);
	}
	if (buf->cursor != buf->len)
		BadBinary("The value is longer than its categories.");
	PG_RETURN_POINTER(FlattenAndDrop(e));
}

/*
 * userseg_counts_send(userseg_counts): the binary form, categories in byte order
 */
Datum
userseg_counts_send(PG_FUNCTION_ARGS)
{
	CountsFlat *f = FlatFromDatum(PG_GETARG_DATUM(0));
	const char *p = (const char *) f + COUNTS_HDR;
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, f->max_categories);
	pq_sendint32(&buf, f->ncat);
	pq_sendint64(&buf, f->null_count);
	for (int32 i = 0; i < f->ncat; i++)
	{
		CountsItem	it;

		FlatNext(&p, &it);
		pq_sendint32(&buf, it.len);
		pq_sendbytes(&buf, it.data, it.len);
		pq_sendint64(&buf, it.count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---- the aggregates ---- */

/*
 * userseg_category_counts_trans(state, value text [, max_categories int]): not strict;
 * a NULL value is counted under the NULL category
 */
Datum
userseg_category_counts_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext parent = AggCheckCallContext(fcinfo, &aggcxt) ? aggcxt : CurrentMemoryContext;
	bool		bounded = PG_NARGS() > 2;
	int32		maxcat = US_DEFAULT_MAX_CATEGORIES;
	CountsExpanded *e;

	if (bounded)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("max_categories must not be NULL")));
		maxcat = PG_GETARG_INT32(2);
		CheckMaxCategories(maxcat);
	}
	e = StateArg(fcinfo, 0, parent, maxcat);
	if (bounded && e->max_categories != maxcat)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_categories must be the same for every row of a group"),
				 errdetail("The state keeps at most %d categories; a row asks for %d.",
						   e->max_categories, maxcat)));
	if (PG_ARGISNULL(1))
		ExpandedAdd(e, NULL, 0, 1);
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		ExpandedAdd(e, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 1);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/*
 * userseg_counts_combine(a, b) (strict): b's counts added to a's; the larger bound
 */
Datum
userseg_counts_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext parent = AggCheckCallContext(fcinfo, &aggcxt) ? aggcxt : CurrentMemoryContext;
	/* b is read first: a flat copy even when it is the same object as a */
	CountsFlat *b = FlatFromDatum(PG_GETARG_DATUM(1));
	CountsExpanded *e = StateArg(fcinfo, 0, parent, b->max_categories);
	const char *p = (const char *) b + COUNTS_HDR;

	e->max_categories = Max(e->max_categories, b->max_categories);
	for (int32 i = 0; i < b->ncat; i++)
	{
		CountsItem	it;

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		FlatNext(&p, &it);
		ExpandedAdd(e, it.data, it.len, it.count);
	}
	if (b->null_count > 0)
		ExpandedAdd(e, NULL, 0, b->null_count);
	PG_RETURN_DATUM(EOHPGetRWDatum(&e->hdr));
}

/*
 * userseg_counts_rows(counts) RETURNS TABLE(category text, n bigint, share float8):
 * one row per category in byte order, the NULL category last; share = n / rows
 */
Datum
userseg_counts_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CountsFlat *f = FlatFromDatum(PG_GETARG_DATUM(0));
	const char *p = (const char *) f + COUNTS_HDR;
	int64		total = f->null_count;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	for (int32 i = 0; i < f->ncat; i++)
	{
		CountsItem	it;

		FlatNext(&p, &it);
		total += it.count;
	}
	p = (const char *) f + COUNTS_HDR;
	for (int32 i = 0; i < f->ncat; i++)
	{
		CountsItem	it;

		if ((i + 1) % US_CHECK_EVERY == 0)
			CHECK_FOR_INTERRUPTS();
		FlatNext(&p, &it);
		values[0] = PointerGetDatum(cstring_to_text_with_len(it.data, it.len));
		values[1] = Int64GetDatum(it.count);
		values[2] = Float8GetDatum((double) it.count / (double) total);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (f->null_count > 0)
	{
		nulls[0] = true;
		values[0] = (Datum) 0;
		values[1] = Int64GetDatum(f->null_count);
		values[2] = Float8GetDatum((double) f->null_count / (double) total);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
