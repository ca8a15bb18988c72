/*-------------------------------------------------------------------------
 *
 * counts_core.c
 *	  Category counts: the byte order of categories, their sort, and the quoted
 *	  form of a category in the text form of userseg_counts.
 *
 * Categories are byte strings (a value's text) ordered as COLLATE "C" orders text:
 * bytes compared as unsigned, a prefix before the longer string.  The crosstab orders
 * its categories this way, so a state's (category, count) pairs come out in the
 * crosstab's order.
 *
 * A category is written as a JSON string: between double quotes, with \" for a quote,
 * \\ for a backslash, \b \f \n \r \t for those control characters and \u00XX for the
 * other bytes below 0x20 and for 0x7F; every other byte is written as it is (so a
 * multibyte character stays whole).  Reading accepts exactly JSON's escapes, \/
 * included, with \uXXXX limited to 0001 to 007F (a text value holds no NUL, and a
 * code point above 0x7F would depend on the server encoding).  Writing the bytes read
 * gives the canonical form, so the text form round-trips: out(in(out(x))) = out(x).
 *
 * No loop here runs over rows: O(length) per category, O(m log m) comparisons for a
 * sort of m categories, checked through UsCore every US_CHECK_EVERY steps by the sort.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "uscore.h"

int
UsCountsCompare(const char *a, int32_t alen, const char *b, int32_t blen)
{
	int			c = memcmp(a, b, (size_t) (alen < blen ? alen : blen));

	if (c != 0)
		return c < 0 ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

typedef struct CountsSortArg
{
	const char *const *keys;
	const int32_t *lens;
} CountsSortArg;

static int
CountsIdxCompare(int64_t a, int64_t b, void *arg)
{
	CountsSortArg *s = arg;

	return UsCountsCompare(s->keys[a], s->lens[a], s->keys[b], s->lens[b]);
}

void
UsCountsSort(const UsCore *core, int32_t *idx, int64_t n, const char *const *keys,
			 const int32_t *lens)
{
	CountsSortArg s = {keys, lens};

	for (int64_t i = 0; i < n; i++)
		idx[i] = (int32_t) i;
	UsSortIndexes32(core, idx, n, CountsIdxCompare, &s);
}

/* The escape of byte c, or 0 when it is written as it is */
static char
ShortEscape(unsigned char c)
{
	switch (c)
	{
		case '"':
			return '"';
		case '\\':
			return '\\';
		case '\b':
			return 'b';
		case '\f':
			return 'f';
		case '\n':
			return 'n';
		case '\r':
			return 'r';
		case '\t':
			return 't';
		default:
			return 0;
	}
}

static inline bool
NeedsUnicodeEscape(unsigned char c)
{
	return (c < 0x20 || c == 0x7F) && ShortEscape(c) == 0;
}

size_t
UsCountsQuotedLen(const char *s, int32_t len)
{
	size_t		n = 2;

	for (int32_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		n += ShortEscape(c) ? 2 : NeedsUnicodeEscape(c) ? 6 : 1;
	}
	return n;
}

size_t
UsCountsQuote(const char *s, int32_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char	   *o = out;

	*o++ = '"';
	for (int32_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		e = ShortEscape(c);

		if (e)
		{
			*o++ = '\\';
			*o++ = e;
		}
		else if (NeedsUnicodeEscape(c))
		{
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	return (size_t) (o - out);
}

static int
HexValue(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
UsCountsUnquote(const char *in, const char **end, char *out, int32_t *outlen)
{
	const char *p = in;
	char	   *o = out;

	if (*p != '"')
		return "A category must start with a double quote.";
	p++;
	for (;;)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '\0')
			return "A category is not closed by a double quote.";
		if (c == '"')
			break;
		if (c < 0x20)
			return "A category holds a control character that is not escaped.";
		if (c != '\\')
		{
			*o++ = (char) c;
			p++;
			continue;
		}
		p++;
		switch (*p)
		{
			case '"':
			case '\\':
			case '/':
				*o++ = *p;
				break;
			case 'b':
				*o++ = '\b';
				break;
			case 'f':
				*o++ = '\f';
				break;
			case 'n':
				*o++ = '\n';
				break;
			case 'r':
				*o++ = '\r';
				break;
			case 't':
				*o++ = '\t';
				break;
			case 'u':
				{
					int			v = 0;

					for (int i = 1; i <= 4; i++)
					{
						int			h = HexValue(p[i]);

						if (h < 0)
							return "A \\u escape needs four hexadecimal digits.";
						v = v * 16 + h;
					}
					if (v < 1 || v > 0x7F)
						return "A \\u escape must be between \\u0001 and \\u007f.";
					*o++ = (char) v;
					p += 4;
				}
				break;
			default:
				return "A category holds an unknown escape.";
		}
		p++;
	}
	*end = p + 1;
	*outlen = (int32_t) (o - out);
	return NULL;
}
