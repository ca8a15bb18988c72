"""Judging outcomes: internal errors, crashes, ranges, label columns, roles, parallel
plans and cancels.  Every defect goes to Fuzz.defect with the SQL that shows it.
"""

import math
import re
import threading
import time

import psycopg2

from calls import Call
from fixtures import ROLE_PREFIX, SCHEMA, lit, q
from fuzz import CANCEL_SLACK, internal_query_error, is_defect_error

SENTINEL = -7                 # a label value no algorithm writes: rows left unwritten keep it
NONNEG = ('inertia', 'calinski_harabasz', 'davies_bouldin', 'n', 'size', 'total', 'rows',
          'nulls', 'rows_used', 'rows_skipped', 'noise', 'iterations', 'n_clusters',
          'elapsed_ms', 'stddev', 'overall_stddev')
UNIT = ('share', 'share_in_cluster', 'share_overall')
# label functions whose labels may be -1: DBSCAN's noise, Mean Shift with cluster_all
# false, and predict with the models of those two
NOISE_LABELS = ('userseg_dbscan', 'userseg_meanshift', 'userseg_predict')


def is_float(v):
    return isinstance(v, float)


class Checks:
    def __init__(self, fuzz, funcs):
        self.fuzz = fuzz
        self.funcs = funcs
        self.byname = {}
        for f in funcs:
            self.byname.setdefault(f['name'], []).append(f)

    # ---- one call ------------------------------------------------------------------

    def run_call(self, call, timeout=None):
        fz = self.fuzz
        label = self.label_before(call)
        out = fz.execute(call.sess, call.sql, timeout=timeout)
        self.judge(call, out, timeout)
        if label is not None and out.kind != 'crash':
            self.label_after(call, out, label)
        return out

    def judge(self, call, out, timeout=None):
        fz = self.fuzz
        f = call.func
        sig = f['sig'] if f else 'the fuzzer'
        if out.kind == 'crash':
            fz.defect('calls', 'lost connection (the backend crashed)', sig, call.sess, call.sql,
                      out.describe())
            return
        if out.kind == 'error':
            if is_defect_error(out):
                fz.defect('calls', 'internal error %s' % (out.sqlstate or 'without SQLSTATE'),
                          sig, call.sess, call.sql, out.describe())
            elif internal_query_error(out):
                fz.defect('calls', 'unclear error %s from an internal statement' % out.sqlstate,
                          sig, call.sess, call.sql, '%s; CONTEXT: %s' % (
                              out.describe(), out.context.split('\n')[0]))
            if out.sqlstate == '57014':
                limit = timeout if timeout is not None else fz.timeout
                late = out.elapsed - limit
                if late > CANCEL_SLACK:
                    fz.defect('cancel', 'late cancel', sig, call.sess, call.sql,
                              'statement_timeout %.1f s, error after %.1f s: %.1f s late' % (
                                  limit, out.elapsed, late), key_extra='timeout')
            return
        self.leak(call, out)
        self.ranges(call, out)

    # ---- ranges --------------------------------------------------------------------

    def label_bound(self, call):
        """The number of clusters a label result must stay under, when known."""
        for name in ('k', 'n_clusters'):
            v = call.args.get(name)
            if v is not None and isinstance(v.meta, int):
                return v.meta
        for v in call.args.values():
            if isinstance(v.meta, tuple) and len(v.meta) == 2 and isinstance(v.meta[0], int):
                return v.meta[0]
        return None

    def ranges(self, call, out):
        fz = self.fuzz
        f = call.func
        sig = f['sig']
        bad = []
        rows = out.rows
        cols = out.cols
        is_label = (f['rettype'] == 'integer' and not f['retset'] and f['kind'] in ('f', 'w')
                    and 'regclass' not in f['types'])
        bound = self.label_bound(call) if is_label else None
        for row in rows:
            for name, v in zip(cols, row):
                if v is None:
                    continue
                n = name.lower()
                if is_float(v):
                    if (math.isnan(v) or math.isinf(v)) and call.finite:
                        bad.append('%s = %r from finite inputs' % (name, v))
                        continue
                    if n.startswith('silhouette') or n == f['name'] and 'silhouette' in n:
                        if not -1.0 - 1e-12 <= v <= 1.0 + 1e-12:
                            bad.append('%s = %r outside [-1, 1]' % (name, v))
                    elif n in NONNEG and v < 0:
                        bad.append('%s = %r is negative' % (name, v))
                    elif n in UNIT and not -1e-12 <= v <= 1 + 1e-12:
                        bad.append('%s = %r outside [0, 1]' % (name, v))
                    elif f['kind'] == 'a' and n == f['name'] and any(
                            w in n for w in NONNEG) and v < 0:
                        bad.append('%s = %r is negative' % (name, v))
                elif isinstance(v, int) and not isinstance(v, bool):
                    if n in NONNEG and v < 0:
                        bad.append('%s = %r is negative' % (name, v))
                    if is_label and name == f['name'] and n not in ('id', 'grp'):
                        low = -1 if f['name'] in NOISE_LABELS else 0
                        if v < low or (bound is not None and bound > 0 and v >= bound):
                            bad.append('label %d outside [%d, %s)' % (v, low, bound))
                elif isinstance(v, list) and n == 'sizes':
                    if any(x is not None and x < 0 for x in v):
                        bad.append('negative cluster size in %r' % v)
            if 'rows_used' in cols and 'sizes' in cols:
                d = dict(zip(cols, row))
                if d['sizes'] is not None and d['rows_used'] is not None and \
                        sum(x or 0 for x in d['sizes']) != d['rows_used']:
                    bad.append('sizes %r do not add up to rows_used %d' % (d['sizes'],
                                                                            d['rows_used']))
        if bad:
            fz.defect('range', 'result out of range', sig, call.sess, call.sql, bad[0],
                      key_extra=bad[0].split(' ')[0] + bad[0].split(' ')[-1])

    # ---- other roles ---------------------------------------------------------------

    def named_columns(self, call):
        names = set()
        for k, v in call.args.items():
            if isinstance(v.meta, list):
                names.update(x for x in v.meta if isinstance(x, str))
            elif isinstance(v.meta, str) and k.endswith('column'):
                names.add(v.meta)
        return names

    def leak(self, call, out):
        """A role that may not read a relation (or some of its columns) got rows back."""
        rel = call.rel
        role = call.sess.role
        if not role or rel is None or not rel.secret:
            return
        if not any(any(v is not None for v in r) for r in out.rows):
            return
        allowed = {'id', 'a'} if role == ROLE_PREFIX + 'cols' else set()
        used = self.named_columns(call)
        if role == ROLE_PREFIX + 'cols' and used and used <= allowed:
            return
        self.fuzz.defect('roles', "another role's data returned", call.func['sig'], call.sess,
                         call.sql, '%s read %s (columns %s): %s' % (
                             role, rel.name, ', '.join(sorted(used)) or '-', out.describe()),
                         key_extra=role)

    # ---- label columns -------------------------------------------------------------

    def label_target(self, call):
        f = call.func
        rel = call.rel
        if not f.get('writes_labels') or rel is None or not rel.writable:
            return None
        v = call.args.get('label_column')
        if v is None or not isinstance(v.meta, str):
            return None
        return rel, v.meta

    def column_type(self, rel, col):
        r = self.fuzz.admin(
            "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = %s "
            "AND attname = %s AND attnum > 0 AND NOT attisdropped" % (rel.regclass, lit(col)))
        return r[0][0] if r else None

    def snapshot(self, rel, col):
        if self.column_type(rel, col) is None:
            return ('absent',)
        return tuple(self.fuzz.admin(
            "SELECT count(*), count(%s), md5(coalesce(string_agg(coalesce(%s::text, 'N'), ',' "
            "ORDER BY id, ctid), '')) FROM %s" % (q(col), q(col), rel.sql))[0])

    def label_before(self, call):
        t = self.label_target(call)
        if t is None:
            return None
        rel, col = t
        typ = self.column_type(rel, col)
        if typ in ('integer', 'bigint', 'smallint'):
            # every row starts with a value no fit writes; triggers off for the reset
            self.fuzz.admin('ALTER TABLE %s DISABLE TRIGGER USER' % rel.sql)
            try:
                self.fuzz.admin('UPDATE %s SET %s = %d' % (rel.sql, q(col), SENTINEL))
            except psycopg2.errors.CheckViolation:
                pass    # a partition key cannot take the sentinel: it keeps its values
            finally:
                self.fuzz.admin('ALTER TABLE %s ENABLE TRIGGER USER' % rel.sql)
        return self.snapshot(rel, col)

    def label_after(self, call, out, before):
        rel, col = self.label_target(call)
        fz = self.fuzz
        sig = call.func['sig']
        if out.kind != 'ok' or not out.rows:
            after = self.snapshot(rel, col)
            if after != before:
                fz.defect('labels', 'labels changed by a failed call', sig, call.sess, call.sql,
                          '%s; %s.%s changed' % (out.describe(), rel.name, col))
            elif before == ('absent',):
                pass
            return
        d = dict(zip(out.cols, out.rows[0]))
        # the clusters asked for: k, or scikit-learn's n_clusters
        k = d.get('k', d.get('n_clusters'))
        if k is None:
            kv = call.args.get('k')
            k = kv.meta if kv is not None and isinstance(kv.meta, int) else None
        typ = self.column_type(rel, col)
        if typ is None:
            fz.defect('labels', 'label column missing after a successful call', sig, call.sess,
                      call.sql, '%s.%s absent' % (rel.name, col))
            return
        hi = (k - 1) if isinstance(k, int) else 2147483647
        low = -1 if call.func['name'] in NOISE_LABELS else 0
        inr, outr, total = fz.admin(
            'SELECT count(*) FILTER (WHERE %s BETWEEN %d AND %d), count(*) FILTER (WHERE %s IS '
            'NOT NULL AND NOT %s BETWEEN %d AND %d), count(*) FROM %s' % (
                q(col), low, hi, q(col), q(col), low, hi, rel.sql))[0]
        used = d.get('rows_used')
        if outr or (used is not None and inr != used):
            fz.defect('labels', 'labels half-written', sig, call.sess, call.sql,
                      'rows_used = %s, k = %s, but %d of %d rows have a label in [%d, %s] and %d '
                      'another value (the old one is %d)' % (
                          used, k, inr, total, low, hi, outr, SENTINEL), key_extra=rel.name)
        if col == 'fz_new_label':
            fz.admin('ALTER TABLE %s DROP COLUMN %s' % (rel.sql, q(col)))

    # ---- deterministic calls built from the catalog --------------------------------

    def benign(self, typ, name, rel=None):
        """A plausible value of an argument, for the calls that probe one thing."""
        t = typ.lower()
        vocab = self.fuzz.gen.vocab
        if t in ('integer', 'bigint', 'smallint'):
            return {'k': '3', 'k_min': '2', 'k_max': '3', 'n_init': '1', 'seed': '0',
                    'sample_size': '1000', 'top': '2', 'max_iter': '50', 'n': '10'}.get(name, '2')
        if t in ('double precision', 'real', 'numeric'):
            return '0.0001' if name == 'tol' else '1'
        if t == 'text':
            for w in ('zscore', 'kmeans', 'skip'):
                if w in vocab:
                    return lit(w)
            return lit(vocab[0]) if vocab else "'x'"
        if t == 'name':
            if 'categor' in name:
                return "'cat'"
            if 'label' in name:
                return "'lab'"
            return "'id'" if 'id' in name else 'NULL::name'
        if t == 'text[]':
            return "ARRAY['cat']" if 'categor' in name else "ARRAY['a', 'b']"
        if t == 'double precision[]':
            return "ARRAY[1, 2]::float8[]"
        if t == 'regclass':
            return rel.regclass
        return 'NULL::%s' % typ

    def build(self, f, overrides, rel=None, exprs=None):
        """Named call text: overrides by argument name, defaults omitted, others benign."""
        parts = []
        nin = len(f['types'])
        first_default = nin - f['ndefaults']
        named = all(f['argnames']) and f['kind'] == 'f'
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            if exprs and i in exprs:
                v = exprs[i]
            elif name in overrides:
                v = overrides[name]
            elif i >= first_default and named:
                continue
            elif i >= first_default:
                break
            else:
                v = self.benign(typ, name, rel)
            parts.append('%s => %s' % (name, v) if named else v)
        return '%s(%s)' % (f['name'], ', '.join(parts))

    def select(self, f, call):
        if f['retset'] or f['composite'] or f['rettype'] == 'record':
            return 'SELECT * FROM %s' % call
        return 'SELECT %s' % call

    def relation_funcs(self):
        return [f for f in self.funcs if f['kind'] == 'f' and f['types'] and
                f['types'][0] == 'regclass']

    def varying_exprs(self, f, feat, lab):
        ex, seen_int = {}, False
        for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
            t = typ.lower()
            if t == 'double precision[]' and feat not in ex.values():
                ex[i] = feat
            elif t == 'integer' and (name == 'label' or (not name and f['kind'] == 'a'
                                                          and not seen_int)):
                ex[i] = lab
            if t == 'integer':
                seen_int = True
        return ex

    # ---- every relation kind, every label table -----------------------------------

    def relation_checks(self):
        """Each relation-taking function once on each fixture relation, with plausible
        arguments, so that every kind of relation is read whatever the random draws."""
        fz = self.fuzz
        admin = fz.session('admin')
        for f in self.relation_funcs():
            for rel in sorted(fz.fixtures.rels.values(), key=lambda r: r.name):
                if getattr(rel, 'cancel', False):
                    continue
                nums = [c for c in rel.cols('num') if c not in ('grp',)][:2] or ['a']
                o = {'source': rel.regclass,
                     'features': 'ARRAY[%s]' % ', '.join(lit(c) for c in nums),
                     'label_column': lit((rel.cols('lab') or ['lab'])[0]) + '::name',
                     'category_column': lit((rel.cols('cat') or ['cat'])[0]) + '::name',
                     'categories': 'ARRAY[%s]' % lit((rel.cols('cat') or ['cat'])[0])}
                if f.get('writes_labels'):
                    o.pop('label_column')
                c = Call(f, admin, self.select(f, self.build(f, o, rel)), rel=rel,
                         finite=rel.finite, form='relation')
                c.args = {'features': _Meta(nums)}
                self.run_call(c)

    def null_checks(self):
        """Each function with NULL in each argument in turn, the others plausible."""
        fz = self.fuzz
        admin = fz.session('admin')
        main = fz.fixtures.rels['t_main']
        src = ('(VALUES (1, ARRAY[1, 2]::float8[], 0), (2, ARRAY[2, 1]::float8[], 1), '
               '(3, ARRAY[9, 9]::float8[], 1), (4, ARRAY[8, 9]::float8[], 0)) v(id, x, lab)')
        for f in self.funcs:
            for i, (typ, name) in enumerate(zip(f['types'], f['argnames'])):
                null = 'NULL::%s' % typ
                if f['kind'] == 'f':
                    key = name or str(i)
                    o = {key: null} if name else {}
                    if 'regclass' in f['types'] and name != 'source':
                        o.setdefault('source', main.regclass)
                    call = self.build(f, o, main, exprs=None if name else {i: null})
                    sql = self.select(f, call)
                else:
                    ex = self.varying_exprs(f, 'x', 'lab')
                    ex[i] = null
                    call = self.build(f, {}, exprs=ex)
                    over = ' OVER (ORDER BY id)' if f['kind'] == 'w' else ''
                    sql = 'SELECT %s%s FROM %s' % (call, over, src)
                self.run_call(Call(f, admin, sql, rel=main, form='null'))

    def label_checks(self):
        """Each function that writes a label column, on every table it may write, as the
        owner and as a role under row-level security."""
        fz = self.fuzz
        fx = fz.fixtures
        plan = [(n, 'admin') for n in ('t_main', 'p_main', 'i_parent', 'Tëst "quoted" tbl.x',
                                      't_somenull', 't_rule', 't_trig', 't_rls')]
        plan += [('t_rls', 'rls'), ('t_own', 'owner'), ('t_main', 'nosel')]
        for f in [f for f in self.funcs if f.get('writes_labels')]:
            for name, sname in plan:
                rel = fx.rels[name]
                nums = rel.cols('num')[:2]
                for col, extra in ((rel.cols('lab')[0], {}), ('fz_new_label', {}),
                                   (rel.cols('lab')[0], {'id_column': "'id'"})):
                    if col == 'fz_new_label' and name not in ('t_main', 't_own'):
                        continue
                    o = dict(extra, source=rel.regclass, k='3', n_clusters='3', n_init='2',
                             features='ARRAY[%s]' % ', '.join(lit(c) for c in nums),
                             label_column=lit(col) + '::name')
                    c = Call(f, fz.session(sname), self.select(f, self.build(f, o, rel)),
                             rel=rel, form='labels')
                    c.args = {'label_column': _Meta(col), 'k': _Meta(3), 'features': _Meta(nums)}
                    self.run_call(c)

    def large_k(self, deadline):
        """A model refitted with a large k (the matching of the previous centroids is k x k)."""
        fz = self.fuzz
        rel = fz.fixtures.rels.get('t_bigk')
        if rel is None:
            return
        for f in [f for f in self.relation_funcs() if 'model' in f['argnames']
                  and 'k' in f['argnames']]:
            fz.fixtures.models.add('fz_bigk')
            sql = self.select(f, self.build(f, {
                'source': rel.regclass, 'features': "ARRAY['a', 'b']", 'k': '11600',
                'n_init': '1', 'max_iter': '1', 'model': "'fz_bigk'"}, rel))
            for _ in range(2):
                if time.time() > deadline - 90:
                    return
                out = self.run_call(Call(f, fz.session('admin'), sql, rel=rel, form='large k'),
                                    timeout=60)
                if out.kind != 'ok':
                    break

    # ---- cancels -------------------------------------------------------------------

    def cancel_checks(self, big, deadline, sample=None):
        """Calls on big inputs: under statement_timeout = 1s, and cancelled once their
        last input row has been read (when a final function or a window function does
        its work); either way the error must come within CANCEL_SLACK seconds."""
        fz = self.fuzz
        n = 20000000 if big else 4000000
        nw = 5000000 if big else 4000000          # window rows are kept in a tuplestore
        admin = fz.session('admin')
        done = set()
        rows, rels = [], []
        # the last row of the input takes a number from a sequence: another session sees
        # it at once, and so knows when the rows have all been read
        for f in self.funcs:
            if f['kind'] in ('a', 'w') and 'double precision[]' in f['types']:
                if not big and f['name'] in done:
                    continue
                done.add(f['name'])
                rows_n = n if f['kind'] == 'a' else nw
                mark = "CASE WHEN g = %d THEN nextval('%s.phase') %% 1 + g %% 7 ELSE g %% 7 END" % (
                    rows_n, SCHEMA)
                ex = self.varying_exprs(f, 'ARRAY[random(), (%s)::float8]' % mark,
                                        '(g %% 5)::int')
                over = ' OVER ()' if f['kind'] == 'w' else ''
                call = self.build(f, {'method': "'robust'", 'scale': "'robust'"}, exprs=ex)
                sql = 'SELECT %s%s FROM generate_series(1, %d) g' % (call, over, rows_n)
                if f['kind'] == 'w':
                    sql = 'SELECT max(x) FROM (%s) s(x)' % sql
                rows.append((f, sql.replace('%%', '%')))
        rel = fz.fixtures.rels['t_cancel']
        for f in self.relation_funcs():
            call = self.build(f, {'source': rel.regclass, 'n_init': '10'}, rel)
            rels.append((f, self.select(f, call)))
        if not big:
            # the bounded mode: every aggregate, one window function and two relation
            # functions, drawn with the run's seed
            rows = [c for c in rows if c[0]['kind'] == 'a'] + fz.rng.sample(
                [c for c in rows if c[0]['kind'] == 'w'], 1)
            rels = fz.rng.sample(rels, min(2, len(rels)))
        elif sample:
            rows = fz.rng.sample(rows, min(sample, len(rows)))
            rels = fz.rng.sample(rels, min(sample, len(rels)))
        for f, sql in rows + rels:
            if deadline and time.time() > deadline - 30:
                return
            self.run_call(Call(f, admin, sql, finite=True, form='cancel'), timeout=1.0)
        for f, sql in rows:
            if deadline and time.time() > deadline - 180:
                return
            if ('late cancel', f['sig'], 'late') in fz.defects:
                continue                # found before: a repeat would only cost minutes
            self.late_cancel(f, sql)

    def late_cancel(self, f, sql):
        fz = self.fuzz
        admin = fz.session('admin')
        cur = fz.session('monitor').conn.cursor()
        seq = 'SELECT last_value, is_called FROM %s.phase' % SCHEMA
        cur.execute(seq)
        before = cur.fetchone()
        pid = admin.conn.get_backend_pid()
        res = {}

        def work():
            res['out'] = fz.execute(admin, sql, timeout=600)
            res['end'] = time.time()
        th = threading.Thread(target=work)
        th.start()
        t_cancel = None
        while th.is_alive():
            cur.execute(seq)
            if cur.fetchone() != before:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        if th.is_alive():
            t_cancel = time.time()
            cur.execute('SELECT pg_cancel_backend(%d)' % pid)
        th.join(timeout=120)
        repro = sql.rstrip(';') + '; -- cancelled once its last row was read'
        if th.is_alive():
            fz.defect('cancel', 'late cancel', f['sig'], admin, repro,
                      'pg_cancel_backend once the rows were read, no error 120 s later',
                      key_extra='late')
            cur.execute('SELECT pg_terminate_backend(%d)' % pid)
            th.join()
            admin.connect()
            return
        out = res['out']
        if out.kind == 'error' and out.sqlstate == '57014' and t_cancel is not None:
            late = res['end'] - t_cancel
            if late > CANCEL_SLACK:
                fz.defect('cancel', 'late cancel', f['sig'], admin, repro,
                          'pg_cancel_backend once the %s rows were read, error %.1f s later' % (
                              re.search(r'generate_series\(1, (\d+)\)', sql).group(1), late),
                          key_extra='late')
        else:
            self.judge(Call(f, admin, sql, form='cancel'), out, timeout=600)

    # ---- roles ---------------------------------------------------------------------

    def role_checks(self):
        fz = self.fuzz
        fx = fz.fixtures
        secret = fx.rels['t_secret']
        own = fx.rels['t_own']
        admin = fz.session('admin')
        nosel = fz.session('nosel')
        cols = fz.session('cols')
        owner = fz.session('owner')
        for f in self.relation_funcs():
            over = {'source': secret.regclass}
            for sess, feats in ((nosel, "ARRAY['a', 'b']"), (cols, "ARRAY['a', 'b']"),
                                (nosel, "ARRAY['a']")):
                o = dict(over, features=feats)
                sql = self.select(f, self.build(f, o, secret))
                c = Call(f, sess, sql, rel=secret, form='role')
                c.args = {'features': _Meta(['a', 'b'] if 'b' in feats else ['a'])}
                if 'label_column' in f['argnames']:
                    c.args['label_column'] = _Meta('lab')
                self.run_call(c)
        # models: fitted by one role, looked at by another
        fitters = [f for f in self.relation_funcs() if 'model' in f['argnames']]
        users = [f for f in self.funcs if f['kind'] == 'f' and f['argnames'][:1] == ['model']]
        tables = [r for r in fz.admin(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_depend d ON d.classid = "
            "'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e' JOIN pg_extension e "
            "ON e.oid = d.refobjid AND e.extname = 'userseg' JOIN pg_attribute a ON "
            "a.attrelid = c.oid AND a.attname = 'owner' WHERE c.relkind = 'r'")]
        for f in fitters:
            fx.models.update(['fz_secret', 'fz_nightly'])
            sql = self.select(f, self.build(f, {'source': secret.regclass, 'model': "'fz_secret'",
                                                'features': "ARRAY['a', 'b']"}, secret))
            self.run_call(Call(f, admin, sql, rel=secret, form='role'))
            for u in users:
                usql = self.select(u, self.build(u, {'model': "'fz_secret'"}))
                out = fz.execute(nosel, usql)
                if out.kind == 'ok' and any(v is not None for r in out.rows for v in r):
                    fz.defect('roles', "another role's model used", u['sig'], nosel, usql,
                              'after %s; %s' % (sql, out.describe()))
                else:
                    self.judge(Call(u, nosel, usql), out)
            for (t,) in tables:
                tsql = 'SELECT count(*) FROM %s WHERE owner <> current_user' % t
                out = fz.execute(nosel, tsql)
                if out.kind == 'ok' and out.rows and out.rows[0][0]:
                    fz.defect('roles', "another role's models visible", t, nosel, tsql,
                              '%d rows' % out.rows[0][0])
            # a refit under the same name by a role that bypasses row-level security
            osql = self.select(f, self.build(f, {'source': own.regclass, 'model': "'fz_nightly'",
                                                 'features': "ARRAY['a', 'b']"}, own))
            self.run_call(Call(f, owner, osql, rel=own, form='role'))
            look = ("SELECT to_jsonb(m) - 'created_at' FROM %s m WHERE name = 'fz_nightly'"
                    % tables[0][0]) if tables else None
            mine = fz.execute(owner, look).rows if look else None
            asql = self.select(f, self.build(f, {'source': secret.regclass,
                                                 'model': "'fz_nightly'",
                                                 'features': "ARRAY['a', 'b']"}, secret))
            out = self.run_call(Call(f, admin, asql, rel=secret, form='role'))
            if look and out.kind == 'ok' and mine:
                now = fz.execute(owner, look).rows
                if now and now != mine:
                    fz.defect('roles', "another role's data returned: a refit by a role that "
                              "bypasses row-level security rewrote a model the owner still uses",
                              f['sig'], admin, asql,
                              'first SET ROLE %s; %s; then this refit; the owner sees the model '
                              'fitted on %s' % (owner.role, osql, secret.name))
            fz.admin("DELETE FROM %s WHERE name IN ('fz_secret', 'fz_nightly')" % tables[0][0]
                     if tables else 'SELECT 1')

    # ---- forced parallel plans -----------------------------------------------------

    def parallel_checks(self):
        fz = self.fuzz
        par = fz.session('parallel')
        admin = fz.session('admin')
        rel = fz.fixtures.rels['t_par']
        seen_gather = False
        for f in self.funcs:
            if f['kind'] not in ('a', 'w') or 'double precision[]' not in f['types']:
                continue
            ex = self.varying_exprs(f, 'ARRAY[a, b, c]', 'lab')
            call = self.build(f, {}, exprs=ex)
            if f['kind'] == 'a':
                sql = 'SELECT grp, %s FROM %s GROUP BY grp ORDER BY grp' % (call, rel.sql)
            else:
                sql = ('SELECT md5(string_agg(x::text, \',\' ORDER BY id)) FROM (SELECT id, %s '
                       'OVER (PARTITION BY grp ORDER BY id) x FROM %s) s' % (call, rel.sql))
            a = fz.execute(admin, sql)
            p = fz.execute(par, sql)
            c = Call(f, par, sql, finite=True, rel=rel, form='parallel')
            self.judge(c, p)
            if '57014' in (a.sqlstate, p.sqlstate):
                # a statement_timeout says how busy the machine was, not what the plan
                # computes (judge() above checks that the cancel landed in time)
                pass
            elif a.kind == 'ok' and p.kind == 'ok' and not same(a.rows, p.rows):
                fz.defect('parallel', 'forced parallel plan gives another result', f['sig'], par,
                          sql, 'serial %r, parallel %r' % (a.rows[:3], p.rows[:3]))
            elif a.kind != p.kind or a.sqlstate != p.sqlstate:
                fz.defect('parallel', 'forced parallel plan gives another outcome', f['sig'], par,
                          sql, 'serial %s, parallel %s' % (a.describe(), p.describe()))
            if not seen_gather and f['kind'] == 'a':
                e = fz.execute(par, 'EXPLAIN ' + sql, count=False)
                plan = '\n'.join(r[0] for r in e.rows)
                seen_gather = 'Gather' in plan and 'Partial' in plan
        if seen_gather:
            print('ok - parallel plans were forced (Gather over Partial Aggregate seen)')
        else:
            fz.defect('parallel', 'no parallel plan could be forced', 'the fuzzer', par,
                      'EXPLAIN SELECT ... FROM %s GROUP BY grp' % rel.sql, 'no Gather')


class _Meta:
    def __init__(self, meta):
        self.meta = meta
        self.finite = True
        self.sql = ''


NUMBER = re.compile(r'-?(?:\d+\.?\d*(?:e[-+]?\d+)?|NaN|Infinity)', re.I)


def close(x, y):
    if math.isnan(x) and math.isnan(y):
        return True
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def same(a, b):
    """Equal results up to the last bits of floats (summation order differs in parallel),
    also inside the text of composite values and arrays."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for x, y in zip(ra, rb):
            if is_float(x) and is_float(y):
                if not close(x, y):
                    return False
            elif isinstance(x, str) and isinstance(y, str) and x != y:
                if NUMBER.sub('#', x) != NUMBER.sub('#', y):
                    return False
                if not all(close(float(u), float(v)) for u, v in
                           zip(NUMBER.findall(x), NUMBER.findall(y))):
                    return False
            elif x != y:
                return False
    return True
