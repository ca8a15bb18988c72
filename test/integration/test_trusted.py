#!/usr/bin/python3
"""userseg is a trusted extension: a role that is not a superuser installs and uses it.

The check makes a database and two roles that are neither superusers nor owners of
anything but: `userseg_trusted_a` owns the database (so it has CREATE on it and on its
public schema, as an application's role usually has), `userseg_trusted_b` may only
connect.  Then:
  1. b may not install the extension (CREATE on the database is needed, 42501);
  2. a installs it (CREATE EXTENSION userseg, no superuser): the extension is owned by a,
     its C functions and the models table by the bootstrap superuser, as for every
     trusted extension;
  3. a segments a table of its own with the table form (label column, saved model) and
     labels a new row with userseg_predict;
  4. b sees none of a's models, may not read a's table through userseg (42501), and may
     not drop the extension (42501);
  5. a drops the extension.
Prints one line per check; the database and roles are dropped at the end.
"""
import os
import sys

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "parity"))
from tap import check  # noqa: E402

DB = "userseg_trusted"
A = "userseg_trusted_a"
B = "userseg_trusted_b"


def connect(dbname, user=None):
    kw = {"dbname": dbname}
    if user:
        kw["user"] = user
    conn = psycopg2.connect(**kw)
    conn.autocommit = True
    return conn


def sqlstate_of(cur, sql):
    """Run sql; return None when it succeeds, else the SQLSTATE of its error."""
    try:
        cur.execute(sql)
        return None
    except psycopg2.Error as e:
        return e.pgcode


def cleanup(admin):
    cur = admin.cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    for r in (A, B):
        cur.execute(f"DROP ROLE IF EXISTS {r}")


def main():
    admin = connect(os.environ.get("PGDATABASE", "postgres"))
    cleanup(admin)
    cur = admin.cursor()
    cur.execute(f"CREATE ROLE {A} LOGIN")
    cur.execute(f"CREATE ROLE {B} LOGIN")
    cur.execute(f"CREATE DATABASE {DB} OWNER {A}")
    conns = []
    try:
        run(conns)
    finally:
        for c in conns:
            c.close()
        cleanup(admin)
        admin.close()


def run(conns):
    # 1. without CREATE on the database
    b = connect(DB, B)
    conns.append(b)
    bc = b.cursor()
    check(sqlstate_of(bc, "CREATE EXTENSION userseg") == "42501",
          "a role without CREATE on the database may not install userseg (42501)")

    # 2. a non-superuser with CREATE installs it
    a = connect(DB, A)
    conns.append(a)
    ac = a.cursor()
    ac.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    assert ac.fetchone()[0] is False
    state = sqlstate_of(ac, "CREATE EXTENSION userseg")
    check(state is None, "the database's owner, not a superuser, installs userseg",
          f"SQLSTATE {state}")
    if state is not None:
        return
    ac.execute("SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'userseg'")
    check(ac.fetchone()[0] == A, "the installing role owns the extension")
    ac.execute("SELECT relowner::regrole::text FROM pg_class WHERE relname = 'userseg_models'")
    owner = ac.fetchone()[0]
    ac.execute("SELECT rolname FROM pg_roles WHERE oid = 10")
    check(owner == ac.fetchone()[0], "the models table belongs to the bootstrap superuser",
          f"owner {owner}")

    # 3. the table form, a model and a prediction, as that role
    ac.execute("""
        CREATE TABLE t AS
        SELECT g AS id, (g % 2) * 10 + (g % 7) * 0.1 AS x, (g % 3) * 0.5 AS y
        FROM generate_series(1, 300) g""")
    state = sqlstate_of(ac, """
        SELECT * FROM userseg_kmeans('t', ARRAY['x', 'y'], 2, seed => 1,
                                     label_column => 'seg', model => 'm', id_column => 'id')""")
    check(state is None, "the installing role runs the table form with a label column and a model",
          f"SQLSTATE {state}")
    ac.execute("SELECT count(DISTINCT seg), count(*) FILTER (WHERE seg IS NULL) FROM t")
    check(ac.fetchone() == (2, 0), "its labels are written: two segments, no NULL")
    ac.execute("""
        SELECT count(*) FROM t
        WHERE userseg_predict('m', ARRAY[x, y]::float8[]) IS DISTINCT FROM seg""")
    check(ac.fetchone()[0] == 0, "userseg_predict gives every row of the fit its label")

    # 4. another role sees nothing of it
    bc.execute("SELECT count(*) FROM userseg_models")
    check(bc.fetchone()[0] == 0, "another role sees none of the installing role's models")
    check(sqlstate_of(bc, "SELECT * FROM userseg_describe('t', ARRAY['x'])") == "42501",
          "another role may not read the installing role's table through userseg (42501)")
    check(sqlstate_of(bc, "DROP EXTENSION userseg") == "42501",
          "another role may not drop the extension (42501)")

    # 5. the owner drops it
    state = sqlstate_of(ac, "DROP EXTENSION userseg")
    check(state is None, "the installing role drops the extension", f"SQLSTATE {state}")


if __name__ == "__main__":
    main()
