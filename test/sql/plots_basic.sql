-- Plots and the report: SVG structure (well-formed XML, title, desc, marks counted by
-- data-marks), figures on a hand-made table, and the errors.
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

-- 12 rows, 3 segments of 4: a = 1..4, 11..14, 21..24; b = 2a + (0, 1, 0, -1); c = id % 3;
-- one row without a label, one with a NULL feature (left out of the scatter)
CREATE TABLE pl (id int PRIMARY KEY, seg int, a float8, b float8, c float8, cat text,
                 seg_text text, one int);
INSERT INTO pl
SELECT i, (i - 1) / 4, a, 2 * a + (ARRAY[0, 1, 0, -1])[(i - 1) % 4 + 1], i % 3,
       CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd <&>' END, 'x', 7
FROM generate_series(1, 12) AS i, LATERAL (SELECT ((i - 1) / 4) * 10 + (i - 1) % 4 + 1.0 AS a) s;
INSERT INTO pl VALUES (13, NULL, 5, 5, 5, 'odd <&>', 'x', 7), (14, 2, 30, NULL, 1, 'even', 'x', 7);

CREATE FUNCTION svg_facts(svg text) RETURNS TABLE(well_formed boolean, data_marks int,
                                                  marks int, title text)
LANGUAGE sql AS $$
  SELECT xml_is_well_formed_document(svg),
         (xpath('/s:svg/@data-marks', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text::int,
         cardinality(xpath('//*[contains(concat(" ", @class, " "), " mark ")]', svg::xml,
                           ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])),
         (xpath('/s:svg/s:title/text()', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text
$$;
CREATE FUNCTION svg_texts(svg text, cls text) RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT unnest(xpath(format('//s:text[@class = %L]/text()', cls), svg::xml,
                      ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))::text
$$;
CREATE FUNCTION svg_desc(svg text) RETURNS text
LANGUAGE sql AS $$
  SELECT (xpath('/s:svg/s:desc/text()', svg::xml, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text
$$;

-- scatter: 12 points (the unlabelled row and the NULL b left out) and 3 centroids
SELECT * FROM svg_facts(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b', 'c']));
SELECT svg_desc(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b', 'c'])) ~ 'All 12 rows are drawn' AS all_drawn;
-- at most max_points points, a seeded sample said in the desc
SELECT * FROM svg_facts(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b', 'c'], max_points => 5, seed => 1));
SELECT substring(svg_desc(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b', 'c'], max_points => 5, seed => 1))
                 FROM 'Drawn: .*') AS sample_note;
-- two named features in their own units: the axis titles are their names
SELECT * FROM svg_facts(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], 'a', 'b'));
SELECT svg_texts(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], 'a', 'b'), 'axis-title');
SELECT svg_texts(userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], 'a', 'b'), 'legend');

-- 3-D view: three components
SELECT * FROM svg_facts(userseg_plot_3d('pl', 'seg', ARRAY['a', 'b', 'c']));

-- heatmap: 3 segments x 2 features, as userseg_profile's z: a in segment 0,
-- (2.5 - 13.846154) / 9.564223 = -1.19; c in segment 1, (1.25 - 1) / 0.816497 = +0.31
SELECT * FROM svg_facts(userseg_plot_heatmap('pl', 'seg', ARRAY['a', 'c']));
SELECT svg_texts(userseg_plot_heatmap('pl', 'seg', ARRAY['a', 'c']), 'value');

-- mix: 3 segments x 2 categories, share and lift printed, text escaped
SELECT * FROM svg_facts(userseg_plot_mix('pl', 'seg', 'cat'));
SELECT svg_texts(userseg_plot_mix('pl', 'seg', 'cat'), 'value');
SELECT svg_texts(userseg_plot_mix('pl', 'seg', 'cat'), 'axis-title');

-- box plots: one box per segment and feature; quartiles as percentile_cont
SELECT * FROM svg_facts(userseg_plot_box('pl', 'seg', ARRAY['a', 'b']));
SELECT unnest(xpath('//s:rect[@class = "mark"]/s:title/text()',
                    userseg_plot_box('pl', 'seg', ARRAY['a'])::xml,
                    ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))::text AS box;

-- silhouettes: one mark per row (12), the average printed
SELECT * FROM svg_facts(userseg_plot_silhouette('pl', 'seg', ARRAY['a', 'b', 'c']));
SELECT svg_texts(userseg_plot_silhouette('pl', 'seg', ARRAY['a', 'b', 'c']), 'value') ~ '^average 0\.[0-9]{3}$' AS average;

-- the sweep (k = 2..4: 3 inertias and 3 silhouettes) and the comparison
SELECT * FROM svg_facts(userseg_plot_sweep('pl', ARRAY['a', 'b'], 2, 4));
SELECT well_formed, title, marks >= 1 AS some_bars FROM svg_facts(userseg_plot_compare('pl', ARRAY['a', 'b'], 3));

-- the report: one page, its figures inline, nothing fetched
SELECT r ~ '^<!DOCTYPE html>' AS html, (SELECT count(*) FROM regexp_matches(r, '<svg ', 'g')) AS figures,
       r !~ '<script' AS no_script, r !~ '(src|href)="' AS no_links,
       r ~ 'odd &lt;&amp;&gt;' AS escaped
FROM (SELECT userseg_report('pl', 'seg', ARRAY['a', 'b', 'c'], ARRAY['cat']) AS r) s;

-- a hostile feature name is escaped in every text
CREATE TABLE pl_names ("<x & 'y'>" float8, "b""" float8, g int);
INSERT INTO pl_names SELECT i, i % 4, i % 2 FROM generate_series(1, 10) AS i;
SELECT * FROM svg_facts(userseg_plot_heatmap('pl_names', 'g', ARRAY['<x & ''y''>', 'b"']));
SELECT * FROM svg_facts(userseg_plot_box('pl_names', 'g', ARRAY['<x & ''y''>', 'b"']));

-- one segment: drawn, with a NOTICE; the silhouette needs two (22023)
SELECT well_formed FROM svg_facts(userseg_plot_scatter('pl', 'one', ARRAY['a', 'b']));
SELECT userseg_plot_silhouette('pl', 'one', ARRAY['a', 'b']);

-- errors
\set VERBOSITY default
\set ON_ERROR_STOP 0
\set SHOW_CONTEXT never
-- a label column that is not an integer (42804), unknown (42703)
SELECT userseg_plot_scatter('pl', 'seg_text', ARRAY['a', 'b']);
SELECT userseg_plot_box('pl', 'nope', ARRAY['a']);
-- an unknown feature (42703), a categorical one where numbers are drawn (42804)
SELECT userseg_plot_heatmap('pl', 'seg', ARRAY['a', 'zz']);
SELECT userseg_plot_heatmap('pl', 'seg', ARRAY['a', 'cat']);
SELECT userseg_plot_box('pl', 'seg', ARRAY['cat']);
-- x and y: together, among the features, numeric (22023)
SELECT userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], 'a');
SELECT userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], 'a', 'c');
SELECT userseg_plot_scatter('pl', 'seg', ARRAY['a', 'cat'], 'a', 'cat');
-- fewer encoded columns than components (22023)
SELECT userseg_plot_3d('pl', 'seg', ARRAY['a', 'b']);
-- out-of-range arguments (22023), NULL arguments (22004)
SELECT userseg_plot_scatter('pl', 'seg', ARRAY['a', 'b'], max_points => 0);
SELECT userseg_plot_3d('pl', 'seg', ARRAY['a', 'b', 'c'], max_points => 100001);
SELECT userseg_plot_silhouette('pl', 'seg', ARRAY['a', 'b'], sample_size => 2);
SELECT userseg_plot_sweep('pl', ARRAY['a', 'b'], 2, 60);
SELECT userseg_plot_sweep('pl', ARRAY['a', 'b'], 0, 3);
SELECT userseg_report('pl', 'seg', ARRAY['a'], max_points => -1);
SELECT userseg_plot_scatter(NULL, 'seg', ARRAY['a', 'b']);
SELECT userseg_plot_heatmap('pl', NULL, ARRAY['a']);
SELECT userseg_plot_box('pl', 'seg', NULL);
SELECT userseg_plot_mix('pl', 'seg', NULL);
SELECT userseg_plot_silhouette('pl', 'seg', ARRAY['a', 'b'], seed => NULL);
SELECT userseg_plot_compare('pl', ARRAY['a'], NULL);
-- an unknown category column (42703); an empty table (22000)
SELECT userseg_plot_mix('pl', 'seg', 'nope');
CREATE TABLE pl_empty (a float8, b float8, seg int);
SELECT userseg_plot_scatter('pl_empty', 'seg', ARRAY['a', 'b']);
SELECT userseg_report('pl_empty', 'seg', ARRAY['a', 'b']);
-- more segments than a plot shows (22023)
CREATE TABLE pl_many AS SELECT i AS seg, i::float8 AS a, (i % 7)::float8 AS b, 'c' || (i % 3) AS cat
FROM generate_series(1, 60) AS i;
SELECT userseg_plot_scatter('pl_many', 'seg', ARRAY['a', 'b']);
SELECT userseg_plot_mix('pl_many', 'seg', 'cat');
\set ON_ERROR_STOP 1
