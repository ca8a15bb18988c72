"""Relations and roles the fuzzer calls the extension on, and their clean-up.

Everything lives in the schema userseg_fuzz and in roles named userseg_fuzz_*; the
DDL of each relation is kept so that a defect's report can print what it needs.
"""

SCHEMA = 'userseg_fuzz'
ROLE_PREFIX = 'userseg_fuzz_'
ROLES = ['userseg_fuzz_nosel', 'userseg_fuzz_cols', 'userseg_fuzz_rls', 'userseg_fuzz_owner']

# (name, type, kind): kind num = read as float8, cat = one-hot encoded, lab = label column
MAIN_COLUMNS = [
    ('id', 'int', 'id'), ('a', 'float8', 'num'), ('b', 'float8', 'num'), ('c', 'int4', 'num'),
    ('d', 'int2', 'num'), ('e', 'int8', 'num'), ('f', 'float4', 'num'),
    ('g', 'numeric', 'num'), ('dm', SCHEMA + '.posf8', 'num'),
    ('cat', 'text', 'cat'), ('vc', 'varchar(10)', 'cat'), ('ch', 'char(3)', 'cat'),
    ('en', SCHEMA + '.mood', 'cat'), ('flag', 'boolean', 'cat'), ('dt', 'date', 'other'),
    ('grp', 'int', 'num'), ('lab', 'int', 'lab'),
]

MAIN_SELECT = """SELECT i AS id,
  ((i * 37) %% 101) / 10.0 + (i %% 3) * 20 AS a,
  ((i * 53) %% 97) / 7.0 + (i %% 3) * 5 AS b,
  (i %% 11) AS c, (i %% 5)::int2 AS d, i::int8 * 1000 AS e, ((i %% 13) / 3.0)::float4 AS f,
  ((i %% 17) / 4.0)::numeric AS g, (((i * 37) %% 101) / 10.0)::float8 AS dm,
  (ARRAY['x', 'y', 'z', 'Ünï'])[i %% 4 + 1] AS cat, (ARRAY['p', 'q'])[i %% 2 + 1] AS vc,
  (ARRAY['ab', 'c', 'def'])[i %% 3 + 1] AS ch,
  (ARRAY['sad', 'ok', 'happy'])[i %% 3 + 1]::%s.mood AS en, i %% 2 = 0 AS flag,
  date '2026-01-01' + i AS dt, i %% 3 AS grp, i %% 4 AS lab
FROM generate_series(1, %d) i"""


def q(ident):
    return '"%s"' % ident.replace('"', '""')


def lit(text):
    return "'%s'" % text.replace("'", "''")


class Rel:
    """A relation: how to name it in SQL, its columns and what it is."""

    def __init__(self, name, columns, kind, finite=True, writable=False, rows=0, secret=False):
        self.name = name                      # unqualified, unquoted
        self.columns = columns                # [(name, kind)]
        self.kind = kind
        self.finite = finite
        self.writable = writable              # a table whose label column may be written
        self.rows = rows
        self.secret = secret
        self.ddl = []

    @property
    def sql(self):
        return '%s.%s' % (SCHEMA, q(self.name))

    @property
    def regclass(self):
        return "%s::regclass" % lit(self.sql)

    def cols(self, kind):
        return [c for c, k in self.columns if k == kind]


class Fixtures:
    def __init__(self, fuzz):
        self.fuzz = fuzz
        self.rels = {}
        self.role_ddl = []
        self.models = set()

    # ---- creation ------------------------------------------------------------------

    def sql(self, stmt, rel=None):
        self.fuzz.admin(stmt, timeout=600)
        if rel is not None:
            rel.ddl.append(' '.join(stmt.split()).rstrip(';') + ';')

    def add(self, rel, *stmts):
        for s in stmts:
            self.sql(s, rel)
        self.rels[rel.name] = rel
        return rel

    def main_table(self, name, n, secret=False, kind='table', extra=''):
        cols = [(c, k) for c, _, k in MAIN_COLUMNS]
        rel = Rel(name, cols, kind, writable=True, rows=n, secret=secret)
        return self.add(rel, 'CREATE TABLE %s.%s (%s)%s' % (
            SCHEMA, q(name), ', '.join('%s %s' % (q(c), t) for c, t, _ in MAIN_COLUMNS), extra),
            'INSERT INTO %s.%s %s' % (SCHEMA, q(name), MAIN_SELECT % (SCHEMA, n)))

    def create(self, big=False):
        f = self.fuzz
        f.admin('DROP SCHEMA IF EXISTS %s CASCADE' % SCHEMA)
        f.admin('CREATE SCHEMA %s' % SCHEMA)
        f.admin("CREATE TYPE %s.mood AS ENUM ('sad', 'ok', 'happy')" % SCHEMA)
        f.admin('CREATE DOMAIN %s.posf8 AS float8 CHECK (VALUE >= 0)' % SCHEMA)
        f.admin('CREATE TYPE %s.ctype AS (a float8, b float8)' % SCHEMA)
        f.admin('CREATE SEQUENCE %s.phase' % SCHEMA)
        common = ['CREATE TYPE %s.mood AS ENUM (\'sad\', \'ok\', \'happy\');' % SCHEMA,
                  'CREATE DOMAIN %s.posf8 AS float8 CHECK (VALUE >= 0);' % SCHEMA]
        main = self.main_table('t_main', 300)
        main.ddl[:0] = common
        self.main_table('t_empty', 0)
        self.main_table('t_one', 1)
        self.main_table('t_two', 2)
        self.main_table('t_secret', 120, secret=True)
        self.main_table('t_par', 20000)
        self.main_table('t_cancel', 1000000 if big else 200000)
        self.rels['t_cancel'].cancel = True
        if big:
            bigk = Rel('t_bigk', [('id', 'id'), ('a', 'num'), ('b', 'num')], 'table', rows=12000)
            self.add(bigk, 'CREATE TABLE %s AS SELECT i AS id, '
                           '((i * 7919) %% 10007) / 10007.0 AS a, '
                           '((i * 104729) %% 10009) / 10009.0 AS b FROM generate_series(1, 12000) i'
                     % bigk.sql)
            bigk.cancel = True
        dup = self.main_table('t_dup', 40)
        self.sql('UPDATE %s SET a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, dm = 8, '
                 "cat = 'x', vc = 'p', ch = 'ab', en = 'ok', flag = true, grp = 0" % dup.sql, dup)
        nul = self.main_table('t_nulls', 20)
        self.sql('UPDATE %s SET a = NULL, b = NULL, c = NULL, d = NULL, e = NULL, f = NULL, '
                 'g = NULL, dm = NULL, cat = NULL, vc = NULL, ch = NULL, en = NULL, '
                 'flag = NULL' % nul.sql, nul)
        some = self.main_table('t_somenull', 60)
        self.sql('UPDATE %s SET a = NULL WHERE id %% 3 = 0' % some.sql, some)
        self.sql("UPDATE %s SET cat = NULL, b = NULL WHERE id %% 5 = 0" % some.sql, some)
        ext = self.main_table('t_extreme', 8)
        self.sql('UPDATE %s SET a = (ARRAY[1e308, -1e308, 5e-324, -5e-324, 1e308, -1e308, 0, '
                 '1e-300])[id], d = (ARRAY[32767, -32768])[id %% 2 + 1], '
                 'e = (ARRAY[9223372036854775807, -9223372036854775807 - 1])[id %% 2 + 1], '
                 'f = (ARRAY[3.4e38, -3.4e38, 1e-45])[id %% 3 + 1], '
                 'c = (ARRAY[2147483647, -2147483648])[id %% 2 + 1], '
                 'g = (ARRAY[1e300, -1e300, 1e-300])[id %% 3 + 1]' % ext.sql, ext)
        nf = self.main_table('t_nonfinite', 12)
        nf.finite = False
        self.sql("UPDATE %s SET a = (ARRAY['NaN', 'Infinity', '-Infinity'])[id %% 3 + 1]::float8 "
                 "WHERE id %% 2 = 0" % nf.sql, nf)
        self.sql("UPDATE %s SET g = 'NaN' WHERE id = 3" % nf.sql, nf)
        self.sql("UPDATE %s SET f = 'Infinity' WHERE id = 5" % nf.sql, nf)

        # quoted and unicode names
        odd = Rel('Tëst "quoted" tbl.x', [('id', 'id'), ('çolumn a', 'num'), ('b.dot', 'num'),
                                          ('sp ace', 'num'), ('x"; DROP TABLE t; --', 'num'),
                                          ('日本', 'cat'), ('Lab', 'lab')],
                  'table', writable=True, rows=50)
        self.add(odd, 'CREATE TABLE %s (id int, "çolumn a" float8, "b.dot" float8, '
                      '"sp ace" int, "x""; DROP TABLE t; --" float8, "日本" text, "Lab" int)'
                      % odd.sql,
                 'INSERT INTO %s SELECT i, i %% 7, (i * 3) %% 11, i %% 2, i * 0.5, '
                 "(ARRAY['東', '西', 'it''s'])[i %% 3 + 1], i %% 3 FROM generate_series(1, 50) i"
                 % odd.sql)

        cols = main.columns
        for name, body, finite in (
                ('v_main', 'SELECT * FROM %s' % main.sql, True),
                ('v_sample', 'SELECT * FROM %s TABLESAMPLE BERNOULLI (50)' % main.sql, True),
                ('v_random', 'SELECT * FROM %s WHERE random() < 0.7' % main.sql, True),
                ('v_clock', "SELECT * FROM %s WHERE extract(microseconds FROM "
                 "clock_timestamp())::int %% 3 <> 0" % main.sql, True)):
            v = Rel(name, cols, 'view', finite=finite, rows=300)
            self.add(v, 'CREATE VIEW %s AS %s' % (v.sql, body))
            v.ddl[:0] = main.ddl
        mv = Rel('mv_main', cols, 'matview', rows=300)
        self.add(mv, 'CREATE MATERIALIZED VIEW %s AS SELECT * FROM %s' % (mv.sql, main.sql))
        mv.ddl[:0] = main.ddl

        part = Rel('p_main', cols, 'partitioned', writable=True, rows=300)
        coldefs = ', '.join('%s %s' % (q(c), t) for c, t, _ in MAIN_COLUMNS)
        self.add(part, 'CREATE TABLE %s (%s) PARTITION BY LIST (grp)' % (part.sql, coldefs),
                 *['CREATE TABLE %s.%s PARTITION OF %s FOR VALUES IN (%d)' % (
                     SCHEMA, q('p_main_%d' % i), part.sql, i) for i in range(3)],
                 'INSERT INTO %s %s' % (part.sql, MAIN_SELECT % (SCHEMA, 300)))
        inh = Rel('i_parent', cols, 'inherited', writable=True, rows=200)
        self.add(inh, 'CREATE TABLE %s (%s)' % (inh.sql, coldefs),
                 'CREATE TABLE %s.i_child () INHERITS (%s)' % (SCHEMA, inh.sql),
                 'INSERT INTO %s %s' % (inh.sql, MAIN_SELECT % (SCHEMA, 100)),
                 'INSERT INTO %s.i_child %s' % (SCHEMA, (MAIN_SELECT % (SCHEMA, 200)).replace(
                     'generate_series(1, 200)', 'generate_series(101, 200)')))

        rule = self.main_table('t_rule', 50)
        self.sql('CREATE RULE nothing_instead AS ON UPDATE TO %s DO INSTEAD NOTHING' % rule.sql,
                 rule)
        trig = self.main_table('t_trig', 50)
        self.sql('CREATE FUNCTION %s.skip_even() RETURNS trigger LANGUAGE plpgsql AS '
                 '$$BEGIN IF NEW.id %% 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END$$'
                 % SCHEMA, trig)
        self.sql('CREATE TRIGGER skip_even BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION '
                 '%s.skip_even()' % (trig.sql, SCHEMA), trig)
        rls = self.main_table('t_rls', 60)
        self.sql('ALTER TABLE %s ENABLE ROW LEVEL SECURITY' % rls.sql, rls)
        self.sql('ALTER TABLE %s FORCE ROW LEVEL SECURITY' % rls.sql, rls)
        self.sql('CREATE POLICY see_all ON %s FOR SELECT USING (true)' % rls.sql, rls)
        self.sql('CREATE POLICY update_even ON %s FOR UPDATE USING (id %% 2 = 0)' % rls.sql, rls)
        own = self.main_table('t_own', 80)

        # relations of the wrong kind
        for name, stmt in (('s_seq', 'CREATE SEQUENCE %s.s_seq'),
                           ('ctype', None),
                           ('t_main_idx', 'CREATE INDEX t_main_idx ON %s.t_main (a)')):
            r = Rel(name, [('a', 'num')], 'other', rows=0)
            if stmt:
                self.add(r, stmt % SCHEMA)
            else:
                self.rels[name] = r
        self.foreign_tables(cols)
        self.roles(own, rls)

    def foreign_tables(self, cols):
        avail = {r[0] for r in self.fuzz.admin('SELECT name FROM pg_available_extensions')}
        awk_cols = [('id', 'id'), ('a', 'num'), ('b', 'num'), ('cat', 'cat'), ('lab', 'lab')]
        if 'file_fdw' in avail:
            self.fuzz.admin('CREATE EXTENSION IF NOT EXISTS file_fdw')
            self.fuzz.admin('DROP SERVER IF EXISTS userseg_fuzz_files CASCADE')
            srv = 'CREATE SERVER userseg_fuzz_files FOREIGN DATA WRAPPER file_fdw'
            self.fuzz.admin(srv)
            for name, prog in (
                    ('f_file', "awk 'BEGIN { for (i = 1; i <= 200; i++) "
                               "print i \",\" i % 7 \",\" (i * 37) % 101 \",c\" i % 3 "
                               "\",\" i % 4 }'"),
                    ('f_changing', "awk 'BEGIN { srand(); for (i = 1; i <= 200; i++) "
                                   "if (rand() < 0.8) print i \",\" int(rand() * 100) \",\" "
                                   "i % 13 \",c\" int(rand() * 4) \",\" i % 4 }'")):
                r = Rel(name, awk_cols, 'foreign', rows=200)
                r.ddl.append(srv + ';')
                self.add(r, 'CREATE FOREIGN TABLE %s (id int, a float8, b float8, cat text, '
                            'lab int) SERVER userseg_fuzz_files OPTIONS (program %s, '
                            "format 'csv')" % (r.sql, lit(prog)))
        if 'postgres_fdw' in avail:
            f = self.fuzz
            f.admin('CREATE EXTENSION IF NOT EXISTS postgres_fdw')
            f.admin('DROP SERVER IF EXISTS userseg_fuzz_loop CASCADE')
            host, port, db = f.admin("SELECT current_setting('unix_socket_directories'), "
                                     "current_setting('port'), current_database()")[0]
            host = host.split(',')[0].strip()
            srv = ("CREATE SERVER userseg_fuzz_loop FOREIGN DATA WRAPPER postgres_fdw "
                   "OPTIONS (host %s, port %s, dbname %s)" % (lit(host), lit(port), lit(db)))
            f.admin(srv)
            f.admin('CREATE USER MAPPING FOR CURRENT_USER SERVER userseg_fuzz_loop')
            r = Rel('f_pg', cols, 'foreign', writable=False, rows=300)
            r.ddl.extend(self.rels['t_main'].ddl + [srv + ';'])
            self.add(r, 'CREATE FOREIGN TABLE %s (%s) SERVER userseg_fuzz_loop OPTIONS '
                     "(schema_name %s, table_name 't_main')" % (
                         r.sql, ', '.join('%s %s' % (q(c), t) for c, t, _ in MAIN_COLUMNS),
                         lit(SCHEMA)))

    def roles(self, own, rls):
        f = self.fuzz
        for r in ROLES:
            stmt = 'CREATE ROLE %s' % r
            f.admin(stmt)
            self.role_ddl.append(stmt + ';')
        stmts = ['GRANT USAGE ON SCHEMA %s TO %s' % (SCHEMA, ', '.join(ROLES)),
                 'GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s' % (SCHEMA, ', '.join(ROLES)),
                 'REVOKE SELECT ON %s FROM %s' % (self.rels['t_secret'].sql, ', '.join(ROLES)),
                 'GRANT SELECT (id, a) ON %s TO userseg_fuzz_cols' % self.rels['t_secret'].sql,
                 'GRANT UPDATE ON %s TO userseg_fuzz_rls' % rls.sql,
                 'ALTER TABLE %s OWNER TO userseg_fuzz_owner' % own.sql]
        for s in stmts:
            f.admin(s)
            self.role_ddl.append(s + ';')

    def composite(self, typ):
        """The fields [(name, type)] of a composite type, or None."""
        if not hasattr(self, '_comp'):
            self._comp = {}
        if typ not in self._comp:
            rows = self.fuzz.admin(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_type t "
                "JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 "
                "AND NOT a.attisdropped WHERE t.typtype = 'c' AND t.oid = to_regtype(%s) "
                "ORDER BY a.attnum" % lit(typ))
            self._comp[typ] = rows or None
        return self._comp[typ]

    def session_specs(self):
        par = ['force_parallel_mode = on', 'parallel_setup_cost = 0', 'parallel_tuple_cost = 0',
               'min_parallel_table_scan_size = 0', 'max_parallel_workers_per_gather = 2']
        return [('parallel', None, par), ('monitor', None, [])] + [
            (r[len(ROLE_PREFIX):], r, []) for r in ROLES]

    def setup_for(self, sql):
        """The DDL a reproduction of sql needs (relations it names, roles it uses)."""
        out = []
        for rel in sorted(self.rels.values(), key=lambda r: -len(r.name)):
            if q(rel.name) in sql or (SCHEMA + '.' + rel.name) in sql:
                for s in rel.ddl:
                    if s not in out:
                        out.append(s)
        if ROLE_PREFIX in sql:
            out.extend(s for s in self.role_ddl if s not in out)
        if not out:
            return []
        return ['CREATE SCHEMA %s;' % SCHEMA] + out

    # ---- clean-up ------------------------------------------------------------------

    def drop_roles(self):
        f = self.fuzz
        for (r,) in f.admin("SELECT rolname FROM pg_roles WHERE rolname LIKE 'userseg\\_fuzz\\_%'"):
            f.admin('DROP OWNED BY %s CASCADE' % r)
            f.admin('DROP ROLE %s' % r)

    def cleanup(self):
        f = self.fuzz
        if self.models:
            f.admin('DELETE FROM userseg_models WHERE name = ANY(%s)' % (
                "ARRAY[%s]::text[]" % ', '.join(lit(m) for m in sorted(self.models))))
        f.admin("DELETE FROM userseg_models WHERE owner::text LIKE 'userseg\\_fuzz\\_%'")
        f.admin('DROP SCHEMA IF EXISTS %s CASCADE' % SCHEMA)
        f.admin('DROP SERVER IF EXISTS userseg_fuzz_files CASCADE')
        f.admin('DROP SERVER IF EXISTS userseg_fuzz_loop CASCADE')
        self.drop_roles()
