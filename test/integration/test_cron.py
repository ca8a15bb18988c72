#!/usr/bin/python3
"""A segmentation refreshed by pg_cron, end to end (docs/scheduling.md).

The test cluster preloads pg_cron with cron.database_name = 'userseg_cron' and runs jobs
in background workers.  This check:
  1. creates the database userseg_cron if needed and pg_cron in it (where the job
     metadata lives);
  2. in the application database (PGDATABASE, which has userseg), makes a users table
     with userseg_sample_users and the recipe's refresh function, with stale labels, a
     stale model row and a stale segments table;
  3. schedules the refresh with cron.schedule_in_database every minute (the installed
     pg_cron is checked: before 1.5 a minute is the shortest interval), waits for one
     run in cron.job_run_details (bounded), then unschedules it;
  4. checks that the run succeeded and that the label column, the model and the segment
     descriptions were refreshed: labels equal to the window form's on the same rows,
     the model's centers equal to the clusters' means, the descriptions equal to
     userseg_describe_segments on the new labels.
Prints one line per check.
"""
import sys
import time

import psycopg2

WAIT_SECONDS = 150          # a minute boundary, plus the run
JOB = "userseg_cron_check"
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


# The recipe of docs/scheduling.md, on this test's table names
SETUP = """
DROP TABLE IF EXISTS cron_users, cron_segments, cron_models;
DROP FUNCTION IF EXISTS cron_refresh_segments();
CREATE TABLE cron_users AS SELECT * FROM userseg_sample_users(4000, 7);
ALTER TABLE cron_users ADD PRIMARY KEY (user_id), ADD COLUMN segment int;
CREATE TABLE cron_models (name text PRIMARY KEY, k int, features text[], centers float8[],
                          rows bigint, fitted_at timestamptz);
CREATE TABLE cron_segments (cluster int, n bigint, share float8, description text,
                            refreshed_at timestamptz);

CREATE FUNCTION cron_refresh_segments() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- 1. labels: K-Means over every user, written where they changed
  UPDATE cron_users u SET segment = s.label
  FROM (SELECT user_id,
               userseg_kmeans(ARRAY[daily_usage_minutes, posts_per_day,
                                    likes_received_per_day, messages_sent_per_day]::float8[],
                              4, 1) OVER (ORDER BY user_id) AS label
        FROM cron_users) s
  WHERE u.user_id = s.user_id AND u.segment IS DISTINCT FROM s.label;

  -- 2. the model: each segment's center in original units
  INSERT INTO cron_models (name, k, features, centers, rows, fitted_at)
  SELECT 'nightly', count(*), %(features)s,
         array_agg(center ORDER BY segment), sum(n), clock_timestamp()
  FROM (SELECT segment, count(*) AS n,
               ARRAY[avg(daily_usage_minutes), avg(posts_per_day),
                     avg(likes_received_per_day), avg(messages_sent_per_day)]::float8[] AS center
        FROM cron_users WHERE segment IS NOT NULL GROUP BY segment) c
  ON CONFLICT (name) DO UPDATE
    SET k = EXCLUDED.k, features = EXCLUDED.features, centers = EXCLUDED.centers,
        rows = EXCLUDED.rows, fitted_at = EXCLUDED.fitted_at;

  -- 3. one sentence per segment for the dashboard
  DELETE FROM cron_segments;
  INSERT INTO cron_segments
  SELECT d.*, clock_timestamp()
  FROM userseg_describe_segments('cron_users', 'segment', %(features)s, %(categories)s) d;
END $$;

-- stale state, as left by an earlier run
UPDATE cron_users SET segment = -1;
INSERT INTO cron_models VALUES ('nightly', 2, '{}', '{{0}}', 0, '2000-01-01');
INSERT INTO cron_segments VALUES (0, 0, 0, 'stale', '2000-01-01');
"""


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
    cur.execute(SETUP % {"features": "ARRAY[%s]" % ", ".join("'%s'" % f for f in FEATURES),
                         "categories": "ARRAY[%s]" % ", ".join("'%s'" % c for c in CATEGORIES)})

    # 3. schedule, wait for one run, unschedule
    ccur.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (JOB,))
    for (old,) in ccur.fetchall():
        ccur.execute("SELECT cron.unschedule(%s)", (old,))
    started = time.time()
    ccur.execute("SELECT cron.schedule_in_database(%s, %s, 'SELECT cron_refresh_segments()', %s)",
                 (JOB, schedule, app_name))
    jobid = ccur.fetchone()[0]
    check(jobid is not None, "job scheduled with cron.schedule_in_database (job %s)" % jobid)
    status, message = None, None
    try:
        while time.time() - started < WAIT_SECONDS:
            ccur.execute("SELECT status, return_message FROM cron.job_run_details"
                         " WHERE jobid = %s AND status IN ('succeeded', 'failed')"
                         " ORDER BY runid LIMIT 1", (jobid,))
            row = ccur.fetchone()
            if row:
                status, message = row
                break
            time.sleep(1)
    finally:
        ccur.execute("SELECT cron.unschedule(%s)", (jobid,))
        unscheduled = ccur.fetchone()[0]
    waited = time.time() - started
    check(status == "succeeded", "the job ran and succeeded within %d s (after %.0f s)"
          % (WAIT_SECONDS, waited), "(status %r, message %r)" % (status, message))
    ccur.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (JOB,))
    check(unscheduled and ccur.fetchone()[0] == 0, "the job is unscheduled")
    if status != "succeeded":
        return

    # 4. what the run refreshed
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
    check(differing == 0, "labels equal the window form's on the same rows",
          "(%d rows differ)" % differing)

    cur.execute("SELECT k, rows, fitted_at > now() - make_interval(secs => %s),"
                " array_dims(centers) FROM cron_models WHERE name = 'nightly'", (waited + 5,))
    k, rows, fresh, dims = cur.fetchone()
    check(k == 4 and rows == total - nulls and fresh and dims == "[1:4][1:4]",
          "model refreshed: k = 4, rows, a fresh fitted_at, 4 x 4 centers",
          "(k %s, rows %s, fresh %s, dims %s)" % (k, rows, fresh, dims))
    cur.execute("SELECT count(*) FROM cron_models m,"
                " LATERAL (SELECT segment, ARRAY[avg(daily_usage_minutes), avg(posts_per_day),"
                "          avg(likes_received_per_day), avg(messages_sent_per_day)]::float8[] AS c"
                "          FROM cron_users WHERE segment IS NOT NULL GROUP BY segment) g"
                " WHERE m.name = 'nightly' AND m.centers[g.segment + 1:g.segment + 1][1:4]"
                "       IS DISTINCT FROM ARRAY[g.c]")
    check(cur.fetchone()[0] == 0, "model centers are the segments' means in original units")

    cur.execute("SELECT cluster, n, share, description FROM cron_segments ORDER BY cluster")
    got = cur.fetchall()
    cur.execute("SELECT cluster, n, share, description FROM userseg_describe_segments("
                "'cron_users', 'segment', %s, %s) ORDER BY cluster", (FEATURES, CATEGORIES))
    want = cur.fetchall()
    check(len(got) == 4 and got == want and all(r[3] != "stale" for r in got),
          "segment descriptions refreshed: one per segment, as userseg_describe_segments says",
          "(got %r, want %r)" % (got, want))
    for r in got:
        print("# %d: %s" % (r[0], r[3]))

    cur.execute("DROP TABLE cron_users, cron_segments, cron_models")
    cur.execute("DROP FUNCTION cron_refresh_segments()")
    cron_conn.close()
    app_db.close()


if __name__ == "__main__":
    main()
    sys.exit(0)
