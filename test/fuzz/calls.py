"""Generated calls: plain and relation-taking functions, aggregates, window functions.

Every call is built from the catalog entry of the function (argument types, names and
defaults), so a new function of the extension is fuzzed with no change here.
"""

import time

from values import HOSTILE_INT, NONFINITE, Val

# benign integers by argument name (hostile ones are drawn for every argument)
INT_POOLS = {'k': [1, 2, 3, 4], 'k_min': [1, 2, 3], 'k_max': [2, 3, 5], 'n_init': [1, 2, 3],
             'max_iter': [1, 5, 300], 'seed': [0, 1, 42, -7], 'sample_size': [1, 2, 10, 10000],
             'top': [0, 1, 3], 'n': [0, 1, 10, 100]}
# hostile integers that only make an argument run long (n_init runs, rows generated):
# clean but slow, so kept out of the bounded mode
SLOW_INT = {'n_init': [2147483647, 1000000], 'n': [2147483647, 1000000]}
OVER_CLAUSES = ['()', '(PARTITION BY grp)', '(ORDER BY id)', '(PARTITION BY grp ORDER BY id)',
                '(ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)',
                '(PARTITION BY grp ORDER BY id DESC RANGE UNBOUNDED PRECEDING)']


class Call:
    """One generated statement with what the checks need to judge its outcome."""

    def __init__(self, func, sess, sql, finite=True, rel=None, args=None, form='call'):
        self.func = func
        self.sess = sess
        self.sql = sql
        self.finite = finite
        self.rel = rel
        self.args = args or {}      # argument name -> Val
        self.form = form


class Caller:
    def __init__(self, fuzz, funcs):
        self.fuzz = fuzz
        self.funcs = funcs
        self.gen = fuzz.gen
        self.rng = fuzz.rng
        self.checks = None

    # ---- helpers -------------------------------------------------------------------

    def relations(self, include_big=False):
        # t_par is kept as created (the parallel checks compare plans on it): random
        # calls may write labels into any integer column, its id included
        rels = [r for r in self.fuzz.fixtures.rels.values()
                if (include_big or not getattr(r, 'cancel', False)) and r.name != 't_par']
        return sorted(rels, key=lambda r: r.name)

    def int_arg(self, typ, name):
        g = self.gen
        if g.chance(0.04):
            return Val('NULL::%s' % typ)
        if g.chance(0.22):
            pool = list(HOSTILE_INT)
            if name in SLOW_INT:
                pool = [v for v in pool if v not in SLOW_INT[name]]
                if self.fuzz.long and g.chance(0.05):
                    pool = SLOW_INT[name]
            v = g.pick(pool)
        else:
            v = g.pick(INT_POOLS.get(name, [0, 1, 2, 3, 5]))
        if typ == 'int2':
            v = max(-32768, min(32767, v))
        return Val('(%d)::%s' % (v, typ), meta=v)

    def arg_value(self, typ, name, ctx):
        t = typ.lower()
        if t in ('integer', 'bigint', 'smallint'):
            return self.int_arg({'integer': 'int4', 'bigint': 'int8', 'smallint': 'int2'}[t], name)
        return self.gen.value(typ, name, ctx)

    # ---- plain and relation-taking functions ---------------------------------------

    def call_function(self, f):
        g = self.gen
        ctx = {}
        rel = None
        if 'regclass' in f['types']:
            rels = self.relations()
            rel = g.pick(rels)
            ctx['rel'] = rel
        sess = self.fuzz.session('admin')
        if rel is not None and g.chance(0.15):
            sess = self.fuzz.session(g.pick(['nosel', 'cols', 'rls', 'owner']))
            if g.chance(0.6):
                rel = self.fuzz.fixtures.rels[g.pick(['t_secret', 't_rls', 't_own'])]
                ctx['rel'] = rel
        nin = len(f['types'])
        first_default = nin - f['ndefaults']
        named = all(f['argnames']) and g.chance(0.85)
        parts, args, finite = [], {}, True
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            if named and i >= first_default and g.chance(0.45):
                continue
            if not named and i >= first_default and g.chance(0.3):
                break
            v = self.arg_value(typ, name, ctx)
            args[name or str(i)] = v
            finite = finite and v.finite
            parts.append(('%s => %s' % (name, v.sql)) if named else v.sql)
        if f['retset'] or f['rettype'] == 'record' or f['composite']:
            sql = 'SELECT * FROM %s(%s)' % (f['name'], ', '.join(parts))
        else:
            sql = 'SELECT %s(%s)' % (f['name'], ', '.join(parts))
        return Call(f, sess, sql, finite, rel, args)

    # ---- aggregates and window functions: generated rows ----------------------------

    def row_source(self, f):
        """Columns for the arguments of an aggregate or window call, as rows of VALUES.

        The first float8[] and the argument named label (or the first integer of an
        aggregate) vary per row; the others are constants of the call."""
        g = self.gen
        nrows = g.pick([0, 1, 2, 3, 5, 8, 12, 30])
        d = g.pick([1, 2, 3])
        mode = g.pick(['plain'] * 6 + ['extreme', 'ragged', 'nulls', 'nonfinite'])
        nlab = g.pick([1, 2, 3, 5])
        varying = {}
        seen_int = False
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            t = typ.lower()
            if t == 'double precision[]' and 'f8' not in varying.values():
                varying[i] = 'f8'
            elif t == 'integer' and (name == 'label' or (not name and f['kind'] == 'a'
                                                          and not seen_int)):
                varying[i] = 'lab'
            if t == 'integer':
                seen_int = True
        finite = mode != 'nonfinite'
        rows = []
        for r in range(max(nrows, 1)):
            cells = ['%d' % (r + 1), '%d' % (r % 2)]
            for i, kind in sorted(varying.items()):
                if kind == 'f8':
                    dd = d + 1 if mode == 'ragged' and r == nrows - 1 else d
                    if mode == 'nulls' and r % 3 == 1:
                        cells.append('NULL::float8[]')
                        continue
                    els = []
                    for j in range(dd):
                        if mode == 'extreme':
                            v = g.pick(['1e308', '-1e308', '5e-324', '1.7976931348623157e308',
                                        '0'])
                        elif mode == 'nonfinite' and g.chance(0.3):
                            v = g.pick(sorted(NONFINITE))
                        elif mode == 'nulls' and g.chance(0.1):
                            v = 'NULL'
                        else:
                            v = str(((r * 37 + j * 11) % 23) / 2.0 + (r % nlab) * 10)
                        els.append("'%s'" % v if v in NONFINITE else v)
                    cells.append('ARRAY[%s]::float8[]' % ', '.join(els))
                else:
                    if g.chance(0.04):
                        v = g.pick(['NULL', '-1', '2147483647', '-2147483648'])
                    else:
                        v = str(r % nlab)
                    cells.append('(%s)::int' % v)
            rows.append('(%s)' % ', '.join(cells))
        names = ['id', 'grp'] + ['c%d' % i for i in sorted(varying)]
        src = '(VALUES %s) v(%s)' % (', '.join(rows), ', '.join(names))
        if nrows == 0:
            src += ' WHERE false'
        return src, varying, finite

    def table_source(self, f):
        """Columns of a fixture table for the varying arguments."""
        g = self.gen
        names = ('t_main', 't_par', 't_dup', 't_nulls', 't_somenull', 't_extreme', 't_one',
                 't_empty', 'p_main', 'i_parent', 'v_main', 'mv_main', 't_nonfinite')
        rels = self.fuzz.fixtures.rels
        rel = g.pick([rels[n] for n in names if n in rels])
        nums = rel.cols('num')
        feats = g.rng.sample(nums, min(len(nums), g.pick([1, 2, 3])))
        varying, seen_int = {}, False
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            t = typ.lower()
            if t == 'double precision[]' and 'f8' not in varying.values():
                varying[i] = 'ARRAY[%s]::float8[]' % ', '.join('%s' % c for c in feats)
            elif t == 'integer' and (name == 'label' or (not name and f['kind'] == 'a'
                                                          and not seen_int)):
                varying[i] = 'lab'
            if t == 'integer':
                seen_int = True
        return rel, varying

    def agg_args(self, f, varying, cols, ctx):
        parts, finite = [], True
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            if i in varying:
                parts.append(cols[i])
                continue
            v = self.arg_value(typ, name, ctx)
            finite = finite and v.finite
            parts.append(v.sql)
        return parts, finite

    def call_aggregate(self, f, window=False):
        g = self.gen
        sess = self.fuzz.session('admin')
        over = g.pick(OVER_CLAUSES) if window else ''
        if g.chance(0.25):
            rel, varying = self.table_source(f)
            parts, finite = self.agg_args(f, varying, varying, {})
            finite = finite and rel.finite
            src = rel.sql
            if g.chance(0.5):
                sess = self.fuzz.session('parallel')
        else:
            rel = None
            src, varying, finite = self.row_source(f)
            cols = {i: 'c%d' % i for i in varying}
            parts, f2 = self.agg_args(f, varying, cols, {})
            finite = finite and f2
        call = '%s(%s)' % (f['name'], ', '.join(parts))
        if window:
            sql = 'SELECT id, %s OVER %s FROM %s ORDER BY id' % (call, over, src)
        elif g.chance(0.25):
            sql = 'SELECT grp, %s FROM %s GROUP BY grp ORDER BY grp' % (call, src)
        else:
            sql = 'SELECT %s FROM %s' % (call, src)
        c = Call(f, sess, sql, finite, rel, form='window' if window else 'aggregate')
        return c

    # ---- a round ---------------------------------------------------------------------

    def make(self, f):
        if f['kind'] == 'a':
            return self.call_aggregate(f)
        if f['kind'] == 'w':
            return self.call_aggregate(f, window=True)
        return self.call_function(f)

    def round(self, per_func, deadline):
        for f in self.funcs:
            for _ in range(per_func):
                if deadline and time.time() > deadline:
                    return
                call = self.make(f)
                self.fuzz.checks.run_call(call)

