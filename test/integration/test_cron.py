#!/usr/bin/python3
"""A segmentation refreshed by pg_cron, end to end (docs/scheduling.md).

The test cluster preloads pg_cron with cron.database_name = 'userseg_cron' and runs jobs
in background workers.  This check:
  1. creates the database userseg_cron if needed and pg_cron in it (where the job
     metadata lives);
  2. in the application database (PGDATABASE, which has userseg), makes a users table
     with userseg_sample_users and the recipe's refresh function (the K-Means table
     form with label_column, model and id_column, then the segment sentences), with
     stale labels and a stale segments table;
  3. schedules the refresh with cron.schedule_in_database every minute (the installed
     pg_cron is checked: before 1.5 a minute is the shortest interval) and waits for
     its first run in cron.job_run_details (bounded);
  4. checks that the run succeeded and refreshed the label column (equal to the window
     form's labels over ORDER BY user_id: a first fit under the model's name), the
     userseg_models row (created now, 4 x 4 centroids, predict gives every user its
     label) and the segment descriptions (equal to userseg_describe_segments);
  5. changes the data (new users, some users' usage up) and waits for the job's second
     run (bounded), then unschedules it;
  6. checks that the second run refreshed the model (created_at moved forward) with
     stable numbering: each new centroid's nearest previous centroid (in the new
     scaled space) has its number, and most users keep their segment; and that the
     descriptions were rebuilt on the new labels.  (Renumbering against sizes that
     changed order is pinned by test/pgtap/kmeans_contract.sql.)
Prints one line per check.
"""
import sys
import time

import numpy as np
import psycopg2

WAIT_SECONDS = 150          # a minute boundary, plus the run
JOB = "userseg_cron_check"
MODEL = "nightly"
FEATURES = ["daily_usage_minutes", "posts_per_day", "likes_received_per_day",
            "messages_sent_per_day"]
CATEGORIES = ["platform", "dominant_emotion"]

failures = 0


def check(ok, name, detail=""):
    global failures
    if ok:
        print("ok - %s" % name)
    else:
        failures += 1
        print("not ok - %s %s" % (name, detail))


def sql_array(names):
    return "ARRAY[%s]" % ", ".join("'%s'" % n for n in names)


# The recipe of docs/scheduling.md, on this test's table names
SETUP = """
DROP TABLE IF EXISTS cron_users, cron_segments;
DROP FUNCTION IF EXISTS cron_refresh_segments();
DELETE FROM userseg_models WHERE name = '%(model)s';
CREATE TABLE cron_users AS SELECT * FROM userseg_sample_users(4000, 7);
ALTER TABLE cron_users ADD PRIMARY KEY (user_id), ADD COLUMN segment int;
CREATE TABLE cron_segments (cluster int, n bigint, share float8, description text,
                            refreshed_at timestamptz);

CREATE FUNCTION cron_refresh_segments() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- 1. labels and model: K-Means over every user, labels written where they changed,
  --    the model saved with each segment's number kept from the previous run
  PERFORM userseg_kmeans('cron_users', %(features)s, 4, seed => 1,
                         label_column => 'segment', model => '%(model)s',
                         id_column => 'user_id');

  -- 2. one sentence per segment for the dashboard
  DELETE FROM cron_segments;
  INSERT INTO cron_segments
  SELECT d.*, clock_timestamp()
  FROM userseg_describe_segments('cron_users', 'segment', %(features)s, %(categories)s) d;
END $$;

-- stale state, as left by an earlier run
UPDATE cron_users SET segment = -1;
INSERT INTO cron_segments VALUES (0, 0, 0, 'stale', '2000-01-01');
"""

def wait_for_run(ccur, jobid, after_runid, started):
    """The first finished run of the job with runid > after_runid, waiting at most
    WAIT_SECONDS from started: (runid, status, message) or (None, None, None)."""
    while time.time() - started < WAIT_SECONDS:
        ccur.execute("SELECT runid, status, return_message FROM cron.job_run_details"
                     " WHERE jobid = %s AND runid > %s AND status IN ('succeeded', 'failed')"
                     " ORDER BY runid LIMIT 1", (jobid, after_runid))
        row = ccur.fetchone()
        if row:
            return row
        time.sleep(1)
    return None, None, None


def model_row(cur):
    cur.execute("SELECT created_at, centroids, centroids_original, scale_center, scale_scale,"
                " (parameters->>'k')::int, parameters->>'id_column', rows, columns"
                " FROM userseg_models WHERE name = %s", (MODEL,))
    return cur.fetchone()


def check_segments(cur, label):
    cur.execute("SELECT cluster, n, share, description FROM cron_segments ORDER BY cluster")
    got = cur.fetchall()
    cur.execute("SELECT cluster, n, share, description FROM userseg_describe_segments("
                "'cron_users', 'segment', %s, %s) ORDER BY cluster", (FEATURES, CATEGORIES))
    want = cur.fetchall()
    check(len(got) == 4 and got == want and all(r[3] != "stale" for r in got),
          "%s: segment descriptions refreshed, one per segment, as userseg_describe_segments says"
          % label, "(got %r, want %r)" % (got, want))
    for r in got:
        print("# %d: %s" % (r[0], r[3]))


def main():
    app_db = psycopg2.connect("")
    app_db.autocommit = True
    cur = app_db.cursor()
    app_name = app_db.get_dsn_parameters()["dbname"]

    cur.execute("SELECT current_setting('shared_preload_libraries'),"
                " current_setting('cron.database_name', true),"
                " current_setting('cron.use_background_workers', true)")
    preload, cron_db_name, bgw = cur.fetchone()
    check("pg_cron" in (preload or ""), "pg_cron is preloaded", "(shared_preload_libraries %r)" % preload)
    if "pg_cron" not in (preload or ""):
        return
    print("# cron.database_name = %s, cron.use_background_workers = %s" % (cron_db_name, bgw))

    # 1. pg_cron's own database
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (cron_db_name,))
    if cur.fetchone() is None:
        cur.execute("CREATE DATABASE %s" % psycopg2.extensions.quote_ident(cron_db_name, cur))
    cron_conn = psycopg2.connect("", dbname=cron_db_name)
    cron_conn.autocommit = True
    ccur = cron_conn.cursor()
    ccur.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
    ccur.execute("SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")
    version = ccur.fetchone()[0]
    major_minor = tuple(int(p) for p in version.split("-")[0].split(".")[:2])
    seconds = major_minor >= (1, 5)
    schedule = "30 seconds" if seconds else "* * * * *"
    print("# pg_cron %s: schedule '%s'" % (version, schedule))

    # 2. the application's table, refresh function and stale state
    cur.execute(SETUP % {"features": sql_array(FEATURES), "categories": sql_array(CATEGORIES),
                         "model": MODEL})
    cur.execute("SELECT now()")
    test_start = cur.fetchone()[0]

    # 3. schedule, wait for the first run
    ccur.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (JOB,))
    for (old,) in ccur.fetchall():
        ccur.execute("SELECT cron.unschedule(%s)", (old,))
    started = time.time()
    ccur.execute("SELECT cron.schedule_in_database(%s, %s, 'SELECT cron_refresh_segments()', %s)",
                 (JOB, schedule, app_name))
    jobid = ccur.fetchone()[0]
    check(jobid is not None, "job scheduled with cron.schedule_in_database (job %s)" % jobid)
    try:
        runid1, status, message = wait_for_run(ccur, jobid, 0, started)
        check(status == "succeeded", "first run succeeded within %d s (after %.0f s)"
              % (WAIT_SECONDS, time.time() - started), "(status %r, message %r)" % (status, message))
        if status != "succeeded":
            return

        # 4. what the first run refreshed
        vec = "ARRAY[%s]::float8[]" % ", ".join(FEATURES)
        cur.execute("SELECT count(*) FILTER (WHERE segment = -1), count(*) FILTER (WHERE segment IS NULL),"
                    " count(DISTINCT segment), count(*) FROM cron_users")
        stale, nulls, distinct, total = cur.fetchone()
        cur.execute("SELECT count(*) FROM cron_users WHERE %s IS NULL OR array_position(%s, NULL) IS NOT NULL"
                    % (vec, vec))
        without = cur.fetchone()[0]
        check(stale == 0 and distinct == 4 and nulls == without,
              "label column refreshed: 4 segments, no stale label, NULL only without features",
              "(stale %d, distinct %d, NULL %d, rows without features %d)" % (stale, distinct, nulls, without))
        cur.execute("SELECT count(*) FROM cron_users u JOIN"
                    " (SELECT user_id, userseg_kmeans(%s, 4, 1) OVER (ORDER BY user_id) AS label"
                    "  FROM cron_users) s USING (user_id)"
                    " WHERE u.segment IS DISTINCT FROM s.label" % vec)
        differing = cur.fetchone()[0]
        check(differing == 0, "first fit: labels equal the window form's over ORDER BY user_id",
              "(%d rows differ)" % differing)

        m1 = model_row(cur)
        check(m1 is not None, "model %r saved in userseg_models" % MODEL)
        if m1 is None:
            return
        created1, cent1, orig1, _, _, k1, idcol1, rows1, columns = m1
        check(created1 >= test_start and k1 == 4 and idcol1 == "user_id" and rows1 == total - nulls
              and np.asarray(cent1).shape == (4, 4) and columns == FEATURES,
              "model refreshed: created by the run, k = 4, id_column, rows, 4 x 4 centroids",
              "(created_at %s vs start %s, k %s, id_column %s, rows %s, shape %s, columns %s)"
              % (created1, test_start, k1, idcol1, rows1, np.asarray(cent1).shape, columns))
        cur.execute("SELECT count(*) FROM cron_users WHERE segment IS NOT NULL"
                    " AND userseg_predict(%%s, %s) IS DISTINCT FROM segment" % vec, (MODEL,))
        check(cur.fetchone()[0] == 0, "userseg_predict with the model gives every user its segment")
        check_segments(cur, "first run")

        # 5. the data change, then the second run
        cur.execute("SELECT user_id, segment FROM cron_users")
        before = dict(cur.fetchall())
        cur.execute("CREATE TEMP TABLE cron_new AS SELECT * FROM userseg_sample_users(400, 8);"
                    " UPDATE cron_new SET user_id = user_id + 100000;"
                    " INSERT INTO cron_users SELECT * FROM cron_new; DROP TABLE cron_new")
        cur.execute("UPDATE cron_users SET daily_usage_minutes = daily_usage_minutes * 1.1"
                    " WHERE user_id % 10 = 0 AND user_id < 100000")
        runid2, status, message = wait_for_run(ccur, jobid, runid1, time.time())
        check(status == "succeeded", "second run succeeded within %d s" % WAIT_SECONDS,
              "(status %r, message %r)" % (status, message))
    finally:
        ccur.execute("SELECT cron.unschedule(%s)", (jobid,))
        unscheduled = ccur.fetchone()[0]
        ccur.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (JOB,))
        check(unscheduled and ccur.fetchone()[0] == 0, "the job is unscheduled")
    if status != "succeeded":
        return

    # 6. what the second run refreshed: the model, with stable numbering
    created2, cent2, orig2, center2, scale2, k2, _, rows2, _ = model_row(cur)
    check(created2 > created1 and k2 == 4, "second run: model refit, created_at moved forward",
          "(%s then %s)" % (created1, created2))
    prev_scaled = (np.asarray(orig1) - np.asarray(center2)) / np.asarray(scale2)
    new_scaled = np.asarray(cent2)
    d2 = ((new_scaled[:, None, :] - prev_scaled[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    check(list(nearest) == [0, 1, 2, 3],
          "stable numbering: each new centroid's nearest previous centroid has its number",
          "(nearest previous centroid of each new one: %s)" % list(nearest))
    cur.execute("SELECT user_id, segment FROM cron_users")
    after = dict(cur.fetchall())
    kept = sum(1 for u, s in before.items() if s is not None and after.get(u) == s)
    labelled = sum(1 for s in before.values() if s is not None)
    check(kept >= 0.9 * labelled, "stable numbering: most users keep their segment (%d of %d)"
          % (kept, labelled))
    check(rows2 > rows1, "second run: the new users are in the model's rows (%d then %d)"
          % (rows1, rows2))
    check_segments(cur, "second run")

    cur.execute("DROP TABLE cron_users, cron_segments")
    cur.execute("DROP FUNCTION cron_refresh_segments()")
    cur.execute("DELETE FROM userseg_models WHERE name = %s", (MODEL,))
    cron_conn.close()
    app_db.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
