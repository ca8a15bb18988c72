#!/usr/bin/python3
"""Fuzz the SQL surface of userseg.

Every function and aggregate of the extension is read from the catalog (pg_proc joined
with pg_depend on the extension), with its argument types, names and defaults, and called
with typed hostile values: plain calls, aggregates over generated rows (also forced into
parallel plans), window functions under several OVER clauses, and relation-taking
functions over relations of every kind, as other roles too.  Each outcome is classed:
ok, clean error, or a defect (internal error, lost connection, late cancel, another
role's data returned, labels half-written, a result out of range).  Defects are printed
with the SQL that reproduces them; the exit status is 1 when there is any.

    fuzz.py --short                      bounded run of the test command (fixed seed)
    fuzz.py --long [--minutes M] [--seed S] [--sql-log FILE]

The connection comes from the usual PG* environment variables (PGDATABASE, PGHOST, ...);
the role must be a superuser.  See test/fuzz/README.md.
"""

import argparse
import os
import random
import re
import sys
import time
import traceback

import psycopg2
import psycopg2.extensions

from fixtures import Fixtures, SCHEMA
from values import Gen

STATEMENT_TIMEOUT_SHORT = 5.0   # seconds, every statement of the random calls
STATEMENT_TIMEOUT_LONG = 10.0
CANCEL_SLACK = 2.0              # a cancel may arrive this long after the timeout


# --------------------------------------------------------------------------------------
# Sessions: one connection per role and setting, rebuilt after a crash
# --------------------------------------------------------------------------------------

class Session:
    """A connection with a role and settings; prefix() is what reproduces them."""

    def __init__(self, fuzz, name, role=None, settings=()):
        self.fuzz = fuzz
        self.name = name
        self.role = role
        self.settings = list(settings)
        self.conn = None

    def prefix(self):
        parts = []
        if self.role:
            parts.append('SET ROLE %s;' % self.role)
        for s in self.settings:
            parts.append('SET %s;' % s)
        return ' '.join(parts)

    def connect(self):
        self.close()
        self.conn = psycopg2.connect('')
        self.conn.autocommit = True
        cur = self.conn.cursor()
        cur.execute("SET search_path = %s, public" % SCHEMA)
        cur.execute("SET client_min_messages = warning")
        cur.execute("SET extra_float_digits = 3")
        cur.execute("SET statement_timeout = '%ds'" % self.fuzz.timeout)
        if self.role:
            cur.execute('SET ROLE %s' % self.role)
        for s in self.settings:
            cur.execute('SET ' + s)
        cur.close()

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except psycopg2.Error:
                pass
        self.conn = None


class Outcome:
    def __init__(self, kind, sqlstate=None, message=None, rows=None, cols=None,
                 elapsed=0.0, types=None):
        self.kind = kind            # ok, error, crash
        self.sqlstate = sqlstate
        self.message = message
        self.rows = rows or []
        self.cols = cols or []
        self.types = types or []
        self.elapsed = elapsed

    def describe(self):
        if self.kind == 'ok':
            return 'ok, %d rows' % len(self.rows)
        if self.kind == 'crash':
            return 'lost connection: %s' % (self.message or '').strip()
        return '%s %s' % (self.sqlstate, (self.message or '').strip())


# SQLSTATEs that, raised by a statement inside the extension (the CONTEXT names one), mean
# the extension ran a query it had not checked the input for: the user sees an internal
# query's complaint instead of an error about the argument
INTERNAL_QUERY_STATES = {'0A000', '42601', '42883', '42702', '42725', '42P18', '42846',
                         '42P08', '2202E', '22P02', '42P02'}


def internal_query_error(out):
    ctx = getattr(out, 'context', '') or ''
    return out.sqlstate in INTERNAL_QUERY_STATES and (
        'SQL statement' in ctx or 'PL/pgSQL function' in ctx)


def is_defect_error(out):
    """An error is clean when it has a SQLSTATE outside the internal classes and a message."""
    st = out.sqlstate or ''
    if not st or st.startswith('XX') or st.startswith('58') or st.startswith('P0'):
        return True
    return not (out.message or '').strip()


# --------------------------------------------------------------------------------------
# The fuzzer
# --------------------------------------------------------------------------------------

class Fuzz:
    def __init__(self, args):
        self.args = args
        self.long = args.long
        self.timeout = STATEMENT_TIMEOUT_LONG if self.long else STATEMENT_TIMEOUT_SHORT
        self.seed = args.seed if args.seed is not None else (
            int(time.time()) % 1000000 if self.long else 20261201)
        self.rng = random.Random(self.seed)
        self.log = open(args.sql_log, 'w', encoding='utf-8') if args.sql_log else None
        self.calls = 0
        self.n_ok = 0
        self.n_err = 0
        self.n_timeout = 0
        self.n_crash = 0
        self.defects = {}           # key -> [line, count, setup]
        self.groups = {}            # group -> number of defects
        self.start = time.time()
        self.sessions = {}
        self.states = {}

    # ---- output --------------------------------------------------------------------

    def logsql(self, sess, sql):
        if self.log:
            self.log.write('-- session %s\n%s%s\n' % (
                sess.name, (sess.prefix() + ' ') if sess.prefix() else '', sql.rstrip(';') + ';'))
            self.log.flush()

    def defect(self, group, kind, func, sess, sql, outcome_text, key_extra=''):
        self.groups[group] = self.groups.get(group, 0) + 1
        # one line per kind of message: numbers and quoted names do not count
        norm = re.sub(r'\d+', 'N', re.sub(r'"[^"]*"', '"X"', outcome_text))[:120]
        key = (kind, func, norm if not key_extra else key_extra)
        if key in self.defects:
            self.defects[key][1] += 1
            return
        full = ((sess.prefix() + ' ') if sess and sess.prefix() else '') + sql.rstrip(';') + ';'
        line = '%s in %s (%s)' % (kind, func, outcome_text.replace('\n', ' ')[:300])
        self.defects[key] = [line, 1, full, self.fixtures.setup_for(full)]
        # printed at once, so a long run shows defects as they come
        print('not ok - %s : %s' % (line, full), flush=True)
        for s in self.defects[key][3]:
            print('#   setup: %s' % s, flush=True)

    def group_ok(self, group, text):
        self.groups.setdefault(group, 0)
        if self.groups[group] == 0:
            print('ok - %s' % text, flush=True)

    # ---- running statements --------------------------------------------------------

    def session(self, name):
        return self.sessions[name]

    def reconnect_all(self):
        for s in self.sessions.values():
            s.connect()

    def wait_server(self, limit=120):
        """After a lost connection: wait until the server accepts connections again."""
        t0 = time.time()
        while time.time() - t0 < limit:
            try:
                c = psycopg2.connect('')
                c.close()
                time.sleep(0.5)
                self.reconnect_all()
                return True
            except psycopg2.Error:
                time.sleep(1)
        return False

    def execute(self, sess, sql, timeout=None, count=True, fetch_limit=100000):
        """Run one statement; return an Outcome (never raises for SQL errors)."""
        self.logsql(sess, sql)
        if count:
            self.calls += 1
        cur = None
        t0 = time.time()
        try:
            cur = sess.conn.cursor()
            if timeout is not None:
                cur.execute("SET statement_timeout = '%dms'" % int(timeout * 1000))
            cur.execute(sql)
            rows = cur.fetchmany(fetch_limit) if cur.description else []
            cols = [d[0] for d in cur.description] if cur.description else []
            types = [d[1] for d in cur.description] if cur.description else []
            out = Outcome('ok', rows=rows, cols=cols, types=types, elapsed=time.time() - t0)
        except psycopg2.Error as e:
            elapsed = time.time() - t0
            if sess.conn.closed or e.pgcode is None and isinstance(
                    e, (psycopg2.OperationalError, psycopg2.InterfaceError)):
                out = Outcome('crash', message=str(e), elapsed=elapsed)
            else:
                msg = e.diag.message_primary if e.diag else None
                out = Outcome('error', sqlstate=e.pgcode, message=msg or '', elapsed=elapsed)
                out.context = (e.diag.context if e.diag else None) or ''
        finally:
            if timeout is not None and not sess.conn.closed:
                try:
                    c2 = sess.conn.cursor()
                    c2.execute("SET statement_timeout = '%dms'" % int(self.timeout * 1000))
                except psycopg2.Error:
                    pass
        if self.log:
            self.log.write('-- %s in %.3f s\n' % (out.sqlstate or out.kind, out.elapsed))
        if out.sqlstate:
            self.states[out.sqlstate] = self.states.get(out.sqlstate, 0) + 1
        if out.kind == 'crash':
            self.n_crash += 1
            if not self.wait_server():
                print('Bail out! the server did not come back after a lost connection')
                self.finish(abort=True)
        elif out.kind == 'ok':
            if count:
                self.n_ok += 1
        else:
            if count:
                self.n_err += 1
            if out.sqlstate == '57014':
                self.n_timeout += 1
        return out

    def admin(self, sql, timeout=None):
        """A statement of the fuzzer's own (fixtures, snapshots): errors raise."""
        sess = self.sessions['admin']
        self.logsql(sess, sql)
        cur = sess.conn.cursor()
        if timeout:
            cur.execute("SET statement_timeout = '%ds'" % timeout)
        try:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
        finally:
            if timeout:
                cur.execute("SET statement_timeout = '%ds'" % self.timeout)

    # ---- the catalog ---------------------------------------------------------------

    def read_catalog(self):
        rows = self.admin("""
            SELECT p.oid, p.proname, p.oid::regprocedure::text, p.prokind, p.proretset,
                   p.proisstrict, p.pronargs, p.pronargdefaults,
                   coalesce(p.proargnames, '{}'), coalesce(p.proargmodes::text[], '{}'),
                   (SELECT array_agg(format_type(t, NULL) ORDER BY o)
                      FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)),
                   (SELECT array_agg(t::int ORDER BY o)
                      FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)),
                   format_type(p.prorettype, NULL),
                   coalesce(pg_get_expr(p.proargdefaults, 0), ''),
                   coalesce(obj_description(p.oid, 'pg_proc'), ''),
                   (SELECT t.typtype = 'c' FROM pg_type t WHERE t.oid = p.prorettype)
            FROM pg_proc p
            JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                            AND d.deptype = 'e'
            JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'userseg'
            ORDER BY 3""")
        funcs = []
        for (oid, name, sig, kind, retset, strict, nargs, ndef, argnames, argmodes,
             types, typoids, rettype, defaults, comment, composite) in rows:
            types = types or []
            innames, outnames = [], []
            for i, n in enumerate(argnames):
                mode = argmodes[i] if argmodes else 'i'
                if mode in ('i', 'b', 'v'):
                    innames.append(n)
                else:
                    outnames.append(n)
            if composite:
                outnames += [c for c, _ in (self.fixtures.composite(rettype) or [])]
            while len(innames) < len(types):
                innames.append('')
            funcs.append(dict(oid=oid, name=name, sig=sig, kind=kind, retset=retset,
                              strict=strict, types=types, typoids=typoids or [],
                              argnames=innames[:len(types)], ndefaults=ndef,
                              rettype=rettype, defaults=defaults, comment=comment,
                              composite=composite, outnames=outnames,
                              writes_labels='label_column' in innames and 'rows_used' in outnames))
        return funcs

    def vocabulary(self, funcs):
        """Words the functions accept as options: text defaults, lists in the comments
        and quoted words of the reference (so new algorithms bring their own)."""
        words = set()
        for f in funcs:
            words.update(re.findall(r"'([A-Za-z_][A-Za-z0-9_]*)'::text", f['defaults']))
            for lst in re.findall(r'\(([a-z_]+(?:, [a-z_]+)*,? or [a-z_]+)\)', f['comment']):
                words.update(re.split(r', | or |,', lst))
        ref = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                           'docs', 'reference.md')
        if os.path.exists(ref):
            with open(ref, encoding='utf-8') as fh:
                words.update(re.findall(r"`'([a-z_][a-z0-9_]*)'`", fh.read()))
        words.discard('')
        return sorted(words)

    # ---- main ----------------------------------------------------------------------

    def run(self):
        print('# userseg fuzzer: %s mode, seed %d' % ('long' if self.long else 'short', self.seed),
              flush=True)
        self.sessions['admin'] = Session(self, 'admin')
        self.sessions['admin'].connect()
        self.fixtures = Fixtures(self)
        try:
            self.setup()
            if self.long:
                deadline = self.start + self.args.minutes * 60
                self.checks.relation_checks()
                self.checks.null_checks()
                self.checks.label_checks()
                self.checks.role_checks()
                self.checks.large_k(deadline)
                self.checks.cancel_checks(big=True, deadline=deadline)
                rnd = 0
                while time.time() < deadline - 5:
                    self.caller.round(per_func=40, deadline=deadline)
                    rnd += 1
                    if rnd % 3 == 0 and time.time() < deadline - 120:
                        self.checks.cancel_checks(big=True, deadline=deadline, sample=2)
                    if rnd % 2 == 0 and time.time() < deadline - 20:
                        self.checks.role_checks()
            else:
                self.checks.relation_checks()
                self.checks.null_checks()
                self.checks.label_checks()
                self.caller.round(per_func=self.args.per_func, deadline=None)
                self.checks.cancel_checks(big=False, deadline=None)
                self.checks.role_checks()
            self.checks.parallel_checks()
        except Exception:                               # noqa: BLE001 (reported, exit 1)
            traceback.print_exc()
            print('not ok - the fuzzer stopped on an error of its own (traceback above)')
            self.own_error = True
        finally:
            self.finish()

    def setup(self):
        """The extension, fixtures, sessions and catalog."""
        self.admin('CREATE EXTENSION IF NOT EXISTS userseg')
        self.fixtures.drop_roles()
        self.fixtures.create(big=self.long)
        for name, role, settings in self.fixtures.session_specs():
            self.sessions[name] = Session(self, name, role, settings)
            self.sessions[name].connect()
        funcs = self.read_catalog()
        callable_funcs = [f for f in funcs if 'internal' not in f['types']
                          and f['rettype'] != 'internal']
        skipped = len(funcs) - len(callable_funcs)
        print('ok - catalog: %d functions and aggregates of userseg, %d callable from SQL '
              '(%d take or return internal)' % (len(funcs), len(callable_funcs), skipped),
              flush=True)
        self.gen = Gen(self.rng, self.fixtures, self.vocabulary(funcs))
        from calls import Caller
        from checks import Checks
        self.caller = Caller(self, callable_funcs)
        self.checks = Checks(self, callable_funcs)

    def finish(self, abort=False):
        for g, text in (('calls', 'typed calls with hostile values: no internal error or lost '
                          'connection'),
                        ('range', 'results in range (scores, labels, finite floats)'),
                        ('labels', 'label columns all written or unchanged'),
                        ('roles', "no role gets another role's data"),
                        ('parallel', 'forced parallel plans agree with serial ones'),
                        ('cancel', 'cancels arrive within %.0f s' % CANCEL_SLACK)):
            if g in self.groups or not abort:
                self.group_ok(g, text)
        try:
            self.fixtures.cleanup()
        except Exception as e:                       # noqa: BLE001 (report, do not mask)
            print('# cleanup failed: %s' % e)
        for s in self.sessions.values():
            s.close()
        print('# SQLSTATEs of the errors: %s' % ', '.join(
            '%s x %d' % kv for kv in sorted(self.states.items(), key=lambda kv: -kv[1])))
        ndef = len(self.defects)
        extra = sum(c for _, c, _, _ in self.defects.values())
        print('# fuzz: %d calls, %d ok, %d clean errors (%d timeouts), %d lost connections, '
              '%d defects (%d calls) in %.0f s, seed %d' % (
                  self.calls, self.n_ok, self.n_err, self.n_timeout, self.n_crash, ndef, extra,
                  time.time() - self.start, self.seed), flush=True)
        if self.log:
            self.log.close()
        sys.exit(1 if ndef or abort or getattr(self, 'own_error', False) else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument('--short', action='store_true', help='bounded run (default)')
    mode.add_argument('--long', action='store_true', help='run for --minutes')
    ap.add_argument('--minutes', type=float, default=30.0)
    ap.add_argument('--seed', type=int)
    ap.add_argument('--per-func', type=int, default=60,
                    help='calls per function and form in the short mode')
    ap.add_argument('--sql-log', metavar='FILE', help='write every statement to FILE')
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    Fuzz(args).run()


if __name__ == '__main__':
    main()
