"""Typed hostile values as SQL literals.

Gen.value(type, argname, ctx) gives a Val: the SQL text (always cast to the argument's
type, so overloads resolve) and whether it is finite (no NaN or Infinity anywhere).
"""

from fixtures import ROLE_PREFIX, lit

BENIGN_F8 = ['0', '1', '-1', '0.5', '2.5', '3', '10', '0.001', '100']
HOSTILE_F8 = ['NaN', 'Infinity', '-Infinity', '1e308', '-1e308', '5e-324', '-5e-324', '-0',
              '1e-300', '1.7976931348623157e308', '2.2250738585072014e-308']
NONFINITE = {'NaN', 'Infinity', '-Infinity'}
BENIGN_INT = [0, 1, 2, 3, 4, 5, 10]
HOSTILE_INT = [-1, -2147483648, 2147483647, 1000000, 65536, -100]
INT8_EXTRA = [9223372036854775807, -9223372036854775808, 100000000000]
HOSTILE_TEXT = ['', ' ', 'x', "it's", 'a"b', 'x"; DROP TABLE t; --', "'); DROP TABLE t; --",
                'é', '日本語', '\u200b', 'NULL', 'null', '\\', '%s', 'a.b', 'a b', 'ZSCORE',
                'zscore ', 'x' * 70, 'y' * 100000]
HOSTILE_IDENTS = ['x"; DROP TABLE t; --', 'no_such', 'a.b', 'sp ace', 'Ünï', '', 'ctid', 'xmin',
                  'tableoid', 'oid', 'A', '"a"', 'a' * 64, 'lab lab', 'userseg_fuzz.t_main.a']


class Val:
    def __init__(self, sql, finite=True, meta=None):
        self.sql = sql
        self.finite = finite
        self.meta = meta        # e.g. the int value, the column list


class Gen:
    def __init__(self, rng, fixtures, vocabulary):
        self.rng = rng
        self.fx = fixtures
        self.vocab = vocabulary

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def chance(self, p):
        return self.rng.random() < p

    # ---- scalars -------------------------------------------------------------------

    def f8_text(self, hostile=0.35):
        return self.pick(HOSTILE_F8) if self.chance(hostile) else self.pick(BENIGN_F8)

    def float8(self, typ='float8'):
        if self.chance(0.05):
            return Val('NULL::%s' % typ)
        v = self.f8_text()
        return Val("'%s'::%s" % (v, typ), v not in NONFINITE, v)

    def int_value(self, typ='int4', benign=None):
        if self.chance(0.05):
            return Val('NULL::%s' % typ, meta=None)
        pool = HOSTILE_INT + (INT8_EXTRA if typ == 'int8' else [])
        v = self.pick(pool) if self.chance(0.25) else self.pick(benign or BENIGN_INT)
        if typ == 'int2':
            v = max(-32768, min(32767, v))
        return Val('(%d)::%s' % (v, typ), meta=v)

    def text(self, argname=''):
        if self.chance(0.05):
            return Val('NULL::text')
        if 'model' in argname:
            names = ['fz_m1', 'fz_m2', 'fz_m3', 'fz_secret', 'fz_nightly', 'no such model'] + [
                'fz_' + t for t in HOSTILE_TEXT[:12]] + ['fz_' + 'm' * 300]
            v = self.pick(names)
            self.fx.models.add(v)
            return Val('%s::text' % lit(v), meta=v)
        if self.vocab and self.chance(0.7):
            v = self.pick(self.vocab)
        else:
            v = self.pick(HOSTILE_TEXT)
        if len(v) > 1000:               # the same value, and a line a person can read
            return Val('repeat(%s, %d)' % (lit(v[0]), len(v)), meta=v)
        return Val('%s::text' % lit(v), meta=v)

    def ident(self, rel, kinds, typ='name'):
        """A column name for a name-typed argument: real, new, system or hostile."""
        if self.chance(0.05):
            return Val('NULL::%s' % typ)
        r = self.rng.random()
        cols = []
        for k in kinds:
            cols.extend(rel.cols(k) if rel else [])
        if r < 0.6 and cols:
            v = self.pick(cols)
        elif r < 0.75 and rel:
            v = self.pick([c for c, _ in rel.columns])
        elif r < 0.85:
            v = 'fz_new_label'
        else:
            v = self.pick(HOSTILE_IDENTS)
        return Val('%s::%s' % (lit(v), typ), meta=v)

    def regclass(self, rel):
        return Val(rel.regclass, rel.finite, rel)

    # ---- arrays --------------------------------------------------------------------

    def f8_array(self, argname='', dims=None, rows=None):
        """A float8[]: 1-D mostly, 2-D for centers, with hostile shapes and elements."""
        r = self.rng.random()
        if r < 0.04:
            return Val('NULL::float8[]')
        if r < 0.08:
            return Val("'{}'::float8[]", meta=(0,))
        two_d = any(w in argname for w in ('centroid', 'init', 'previous', 'center'))
        two_d = two_d and not argname.startswith('scale')
        d = dims if dims is not None else self.pick([1, 2, 2, 3, 4])
        finite = True

        def elem():
            nonlocal finite
            if self.chance(0.03):
                return 'NULL'
            v = self.f8_text(hostile=0.12)
            if v in NONFINITE:
                finite = False
            return "'%s'" % v if v in NONFINITE else v
        if r < 0.12:                            # 3-D
            body = '[%s]' % ', '.join('[%s]' % ', '.join('[%s]' % ', '.join(
                elem() for _ in range(d)) for _ in range(2)) for _ in range(2))
            return Val('ARRAY%s::float8[]' % body, finite, meta=('3d',))
        if two_d and r < 0.85 or (not two_d and r < 0.2):
            k = rows if rows is not None else self.pick([1, 2, 3, 4])
            body = ', '.join('[%s]' % ', '.join(elem() for _ in range(d)) for _ in range(k))
            return Val('ARRAY[%s]::float8[]' % body, finite, meta=(k, d))
        if r < 0.25:                           # a long vector
            n = self.pick([100, 5000])
            return Val('array_fill(1.5::float8, ARRAY[%d])' % n, True, meta=(n,))
        return Val('ARRAY[%s]::float8[]' % ', '.join(elem() for _ in range(d)), finite,
                   meta=(d,))

    def int_array(self, typ='int4'):
        if self.chance(0.1):
            return Val('NULL::%s[]' % typ)
        n = self.pick([0, 1, 2, 3])
        vals = [str(self.int_value(typ).meta) if self.chance(0.9) else 'NULL' for _ in range(n)]
        vals = ['NULL' if v == 'None' else v for v in vals]
        return Val("ARRAY[%s]::%s[]" % (', '.join(vals), typ))

    def features(self, rel, argname=''):
        """A text[] of column names: drawn from the relation, with hostile names mixed in."""
        r = self.rng.random()
        if r < 0.04:
            return Val('NULL::text[]')
        if r < 0.08:
            return Val("'{}'::text[]", meta=[])
        if rel is None:
            items = [self.pick(HOSTILE_TEXT[:18]) for _ in range(self.pick([1, 2, 3]))]
            return Val('ARRAY[%s]::text[]' % ', '.join(lit(x) for x in items), meta=items)
        if 'categor' in argname:
            pool = rel.cols('cat') or [c for c, _ in rel.columns]
        elif r < 0.55:
            pool = rel.cols('num') or [c for c, _ in rel.columns]
        else:
            pool = [c for c, k in rel.columns if k in ('num', 'cat')] or [c for c, _ in rel.columns]
        n = min(len(pool), self.pick([1, 2, 2, 3, 4]))
        items = self.rng.sample(pool, n)
        if self.chance(0.2):
            items.append(self.pick(HOSTILE_IDENTS + ['id', 'lab', 'Lab', 'dt'] + items))
        if self.chance(0.05):
            return Val('ARRAY[[%s], [%s]]::text[]' % (lit(items[0]), lit(items[-1])))
        if self.chance(0.04):
            return Val('ARRAY[%s, NULL]::text[]' % ', '.join(lit(x) for x in items), meta=None)
        return Val('ARRAY[%s]::text[]' % ', '.join(lit(x) for x in items), meta=items)

    def text_array(self, argname=''):
        return self.features(None, argname)

    # ---- others --------------------------------------------------------------------

    def jsonb(self, rel=None):
        opts = ["'{}'::jsonb", "'[]'::jsonb", "'null'::jsonb", 'NULL::jsonb',
                "'{\"a\": 1, \"b\": 2}'::jsonb", "'{\"a\": \"NaN\"}'::jsonb",
                "'{\"a\": 1e308, \"b\": -1e308}'::jsonb", "'{\"a\": [1, 2]}'::jsonb",
                "'{\"a\": {\"b\": 1}}'::jsonb", "'{\"a\": null}'::jsonb",
                "'{\"kmeans\": {\"n_init\": -1}}'::jsonb", "'{\"kmeans\": {}}'::jsonb",
                "'{\"x\\\"; DROP TABLE t; --\": 1}'::jsonb", "'\"text\"'::jsonb", "'1'::jsonb"]
        if rel is not None and rel.columns and self.chance(0.5):
            cols = rel.cols('num') + rel.cols('cat')
            if cols:
                obj = ', '.join('%s: %s' % (self._json_str(c), self.pick(
                    ['1', '2.5', '"x"', 'null', '1e308', '"NaN"', 'true'])) for c in
                    self.rng.sample(cols, min(len(cols), 3)))
                return Val('%s::jsonb' % lit('{%s}' % obj))
        return Val(self.pick(opts))

    @staticmethod
    def _json_str(s):
        return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')

    def bytea(self):
        if self.chance(0.1):
            return Val('NULL::bytea')
        n = self.pick([0, 1, 4, 8, 16, 33, 64])
        return Val("'\\x%s'::bytea" % ''.join('%02x' % self.rng.randrange(256) for _ in range(n)))

    # text forms of userseg_counts (the category counts' state): well-formed ones of
    # every shape, and ones its input function must refuse with 22P02
    COUNTS_TEXT = [
        'max_categories=100 {}', 'max_categories=1 {NULL: 1}',
        'max_categories=3 {"a": 1, "b": 2, NULL: 3}', 'max_categories=2 {"a": 1, "b": 2}',
        'max_categories=1000000 {"x\\"y": 9223372036854775807}',
        'max_categories=2 {"\u00dcn\u00ef": 1, "\u00e9": 4}',
        'max_categories=1 {"a": 1, "b": 2}', 'max_categories=0 {}',
        'max_categories=-1 {}', 'max_categories=3 {"b": 1, "a": 2}',
        'max_categories=3 {"a": 1, "a": 2}', 'max_categories=3 {"a": -1}',
        'max_categories=3 {"a": 0}', 'max_categories=3 {NULL: 1, NULL: 2}',
        'max_categories=3 {"a": 9223372036854775808}', 'max_categories=3 {"a" 1}',
        'max_categories=3 {"a": 1,}', 'max_categories=3 {"a": 1} x', 'max_categories=3',
        '{', '', ' ', 'NaN', 'max_categories=99999999999 {}', 'max_categories=3 {"a: 1}',
        'max_categories=2 {"a": 9223372036854775807, "b": 9223372036854775807}',
    ]

    def counts(self):
        if self.chance(0.1):
            return Val('NULL::userseg_counts')
        if self.chance(0.3):
            vals = [self.pick(HOSTILE_TEXT[:18] + ['a', 'b', 'NULL']) for _ in range(self.pick([0, 1, 3, 8]))]
            rows = ', '.join('(%s)' % ('NULL::text' if v == 'NULL' else lit(v)) for v in vals)
            if not rows:
                return Val('(SELECT userseg_category_counts(x) FROM (SELECT NULL::text) v(x) WHERE false)')
            return Val('(SELECT userseg_category_counts(x) FROM (VALUES %s) v(x))' % rows)
        return Val('%s::userseg_counts' % lit(self.pick(self.COUNTS_TEXT)))

    def value(self, typ, argname, ctx):
        """A value of a SQL type for one argument; ctx['rel'] is the call's relation."""
        rel = ctx.get('rel')
        t = typ.lower()
        if t in ('double precision', 'real', 'numeric'):
            cast = {'double precision': 'float8', 'real': 'float4'}.get(t, 'numeric')
            return self.float8(cast)
        if t in ('integer', 'bigint', 'smallint'):
            return self.int_value({'integer': 'int4', 'bigint': 'int8', 'smallint': 'int2'}[t])
        if t == 'boolean':
            return Val(self.pick(['true', 'false', 'NULL::boolean']))
        if t in ('text', 'character varying'):
            return self.text(argname)
        if t == 'name':
            kinds = (['cat'] if 'categor' in argname else ['lab'] if 'label' in argname
                     else ['id'] if 'id' in argname else ['num', 'cat', 'lab'])
            return self.ident(rel, kinds)
        if t == 'regclass':
            return self.regclass(ctx['rel'])
        if t in ('double precision[]', 'real[]', 'numeric[]'):
            return self.f8_array(argname)
        if t in ('integer[]', 'bigint[]', 'smallint[]'):
            return self.int_array({'integer[]': 'int4', 'bigint[]': 'int8',
                                   'smallint[]': 'int2'}[t])
        if t in ('text[]', 'name[]', 'character varying[]'):
            if rel is not None:
                return self.features(rel, argname)
            return self.text_array(argname)
        if t == 'jsonb' or t == 'json':
            return self.jsonb(rel)
        if t == 'bytea':
            return self.bytea()
        if t.split('.')[-1] == 'userseg_counts':
            return self.counts()
        if t in ('record', 'anyelement') and rel is not None:
            return Val('(SELECT r FROM %s r ORDER BY 1 LIMIT 1)' % rel.sql, rel.finite)
        comp = self.fx.composite(typ)
        if comp:
            if self.chance(0.08):
                return Val('NULL::%s' % typ)
            parts, finite = [], True
            for fname, ftype in comp:
                v = self.value(ftype, fname, {})
                finite = finite and v.finite
                parts.append(v.sql)
            return Val('ROW(%s)::%s' % (', '.join(parts), typ), finite)
        return Val('NULL::%s' % typ)

    def role_name(self):
        return self.pick([ROLE_PREFIX + 'nosel', ROLE_PREFIX + 'cols'])

