#!/usr/bin/python3
"""Two sessions writing labels at once (docs/concurrency.md), with two connections.

  1. Both sessions fit the same table into the same label column and model, under READ
     COMMITTED: the second waits for the first one's lock (ShareRowExclusiveLock on the
     table, the model row) until it commits, then reads the committed rows and finishes:
     every row labelled, one model row.
  2. The same under REPEATABLE READ in the second session, with labels that change: its
     snapshot is older than the first session's commit, so it fails with 40001
     serialization_failure and writes nothing; a retry succeeds.
  3. Two tables labelled in opposite orders: one session fails with 40P01
     deadlock_detected, the other finishes.
  4. A plain reader (SELECT, or a fit without a label column) is not blocked by a
     label write in progress.
Every wait is bounded (lock_timeout, statement_timeout, thread joins).  Prints one line
per check: "ok - ..." or "not ok - ...".
"""
import sys
import threading
import time

import psycopg2
import psycopg2.errors

WAIT = 20                   # seconds any one step may take
N = 2000

failures = 0


def check(ok, name, detail=""):
    global failures
    if ok:
        print("ok - %s" % name)
    else:
        failures += 1
        print("not ok - %s%s" % (name, (": " + detail) if detail else ""))


def connect(isolation=None):
    conn = psycopg2.connect("")
    if isolation:
        conn.set_session(isolation_level=isolation)
    cur = conn.cursor()
    cur.execute("SET statement_timeout = '%ds'" % (WAIT * 2))
    cur.execute("SET lock_timeout = '%ds'" % WAIT)
    conn.commit()
    return conn


def pid_of(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    conn.commit()
    return pid


def waiting_on_lock(watch, pid):
    """Whether session pid waits for a lock (polled, bounded)"""
    cur = watch.cursor()
    deadline = time.time() + WAIT
    while time.time() < deadline:
        cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
        row = cur.fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.05)
    return False


class Call(threading.Thread):
    """Run sql in conn on a thread, then commit; keep the result or the error"""

    def __init__(self, conn, sql, commit=True):
        super().__init__(daemon=True)
        self.conn, self.sql, self.commit = conn, sql, commit
        self.result, self.error = None, None

    def run(self):
        try:
            cur = self.conn.cursor()
            cur.execute(self.sql)
            self.result = cur.fetchall() if cur.description else None
            if self.commit:
                self.conn.commit()
        except psycopg2.Error as e:
            self.error = e
            self.conn.rollback()


def fit(table, seed=0, model=None):
    return ("SELECT rows_used FROM userseg_kmeans('%s', ARRAY['x', 'y'], 3, "
            "label_column => 'seg', seed => %d%s)"
            % (table, seed, ", model => '%s'" % model if model else ""))


def setup(cur):
    for t in ("conc_a", "conc_b"):
        cur.execute("DROP TABLE IF EXISTS %s" % t)
        cur.execute("CREATE TABLE %s (id int PRIMARY KEY, x float8, y float8, seg int)" % t)
        cur.execute("INSERT INTO %s SELECT g, (g %% 3) * 10 + (g %% 7) * 0.1, "
                    "(g %% 3) * -4 + (g %% 5) * 0.1, -1 FROM generate_series(1, %d) g" % (t, N))
    cur.execute("DELETE FROM userseg_models WHERE name = 'conc_model'")


def same_table_same_model(watch):
    a, b = connect(), connect()
    pb = pid_of(b)
    ca = a.cursor()
    ca.execute(fit("conc_a", model="conc_model"))
    second = Call(b, fit("conc_a", model="conc_model"))
    second.start()
    check(waiting_on_lock(watch, pb),
          "read committed: the second label write waits for the first one's lock")
    a.commit()
    second.join(WAIT * 2)
    check(not second.is_alive() and second.error is None,
          "read committed: the second write finishes once the first commits",
          str(second.error))
    cur = watch.cursor()
    cur.execute("SELECT count(*), count(seg) FILTER (WHERE seg >= 0) FROM conc_a")
    rows, labelled = cur.fetchone()
    check(rows == labelled == N, "read committed: every row labelled",
          "%s of %s" % (labelled, rows))
    cur.execute("SELECT count(*) FROM userseg_models WHERE name = 'conc_model'")
    check(cur.fetchone()[0] == 1, "read committed: one model row")
    a.close()
    b.close()


def repeatable_read(watch):
    a = connect()
    b = connect(psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ)
    pb = pid_of(b)
    cur = watch.cursor()
    cur.execute("UPDATE conc_a SET seg = -1")
    ca = a.cursor()
    ca.execute(fit("conc_a"))
    second = Call(b, fit("conc_a"))
    second.start()
    check(waiting_on_lock(watch, pb), "repeatable read: the second write waits too")
    a.commit()
    second.join(WAIT * 2)
    code = getattr(second.error, "pgcode", None)
    check(not second.is_alive() and code == "40001",
          "repeatable read: the second write fails with 40001 serialization_failure",
          "got %s: %s" % (code, second.error))
    retry = Call(b, fit("conc_a", seed=1))
    retry.start()
    retry.join(WAIT * 2)
    check(retry.error is None and retry.result == [(N,)],
          "repeatable read: a retry in a new transaction succeeds", str(retry.error))
    a.close()
    b.close()


def opposite_order(watch):
    a, b = connect(), connect()
    pa, pb = pid_of(a), pid_of(b)
    a.cursor().execute(fit("conc_a", seed=2))
    b.cursor().execute(fit("conc_b", seed=2))
    first = Call(a, fit("conc_b", seed=3))
    first.start()
    waiting_on_lock(watch, pa)
    second = Call(b, fit("conc_a", seed=3))
    second.start()
    first.join(WAIT * 2)
    second.join(WAIT * 2)
    codes = sorted(str(getattr(c.error, "pgcode", None)) for c in (first, second))
    check(not first.is_alive() and not second.is_alive() and codes == ["40P01", "None"],
          "opposite order: one session fails with 40P01 deadlock_detected, the other finishes",
          "got %s (%s; %s)" % (codes, first.error, second.error))
    a.close()
    b.close()
    del pb


def readers_go_on(watch):
    a, b = connect(), connect()
    a.cursor().execute(fit("conc_a", seed=4))
    reader = Call(b, "SELECT count(*) FROM conc_a")
    reader.start()
    reader.join(WAIT)
    check(not reader.is_alive() and reader.result == [(N,)],
          "a SELECT is not blocked by a label write in progress")
    fit_only = Call(b, "SELECT rows_used FROM userseg_kmeans('conc_a', ARRAY['x', 'y'], 3)")
    fit_only.start()
    fit_only.join(WAIT)
    check(not fit_only.is_alive() and fit_only.result == [(N,)],
          "a fit without a label column is not blocked either", str(fit_only.error))
    a.rollback()
    a.close()
    b.close()


def main():
    watch = psycopg2.connect("")
    watch.autocommit = True
    setup(watch.cursor())
    same_table_same_model(watch)
    repeatable_read(watch)
    opposite_order(watch)
    readers_go_on(watch)
    cur = watch.cursor()
    cur.execute("DROP TABLE conc_a, conc_b")
    cur.execute("DELETE FROM userseg_models WHERE name = 'conc_model'")
    watch.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
