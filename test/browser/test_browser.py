#!/usr/bin/python3
"""Each plot and the HTML report rendered in headless Chromium, checked as a reader sees them.

For every plot function (and userseg_report) on generated sample users segmented by
K-Means (and on a DBSCAN labelling, for noise in grey):
  * the SVG parses as XML (xml.etree), its root is an <svg> with <title> and <desc>,
    and data-marks equals the elements of class "mark";
  * Chromium's rendered DOM (--dump-dom) holds the legend and the axis titles, and as
    many marks as data-marks says (the report: the sum over its figures);
  * the screenshot (--screenshot, PNG) is not blank: decoded with zlib here, enough
    pixels differ from the white background and there are several colours.
The files are left in the output directory (first argument) to look at.
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "parity"))
from tap import check  # noqa: E402

SVG_NS = "{http://www.w3.org/2000/svg}"
FEATURES = ["age", "daily_usage_minutes", "posts_per_day", "likes_received_per_day",
            "comments_received_per_day", "messages_sent_per_day"]
OUT = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="userseg-browser-")


def chromium(*args, timeout=120):
    """Run headless Chromium; returns its stdout."""
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--mute-audio",
           f"--user-data-dir={os.path.join(OUT, 'profile')}", *args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return r.stdout.decode("utf-8", "replace")


def png_pixels(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"PNG depth {depth} colour type {ctype}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def not_blank(path, name):
    w, h, rows = png_pixels(path)
    # every 2nd pixel of every 2nd row is plenty to tell
    seen = [p for r in rows[::2] for p in r[::2]]
    inked = sum(1 for p in seen if p != (255, 255, 255))
    colours = len(set(seen))
    share = inked / max(len(seen), 1)
    check(share > 0.01 and colours >= 4,
          f"{name}: the screenshot ({w}x{h}) is not blank",
          f"{share:.2%} non-white pixels, {colours} colours")


def svg_checks(name, svg):
    """XML, title, desc, data-marks against the marks; returns (root, marks)."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        check(False, f"{name}: the SVG parses as XML", str(e))
        return None, 0
    check(root.tag == SVG_NS + "svg" and root.get("version") == "1.1",
          f"{name}: the root is an SVG 1.1 <svg>", root.tag)
    title = root.find(SVG_NS + "title")
    desc = root.find(SVG_NS + "desc")
    check(title is not None and title.text and desc is not None and desc.text,
          f"{name}: the SVG has a <title> and a <desc>")
    marks = sum(1 for e in root.iter() if "mark" in (e.get("class") or "").split())
    declared = int(root.get("data-marks", "-1"))
    check(declared == marks and marks > 0, f"{name}: data-marks ({declared}) equals the marks drawn",
          f"{marks} elements of class mark")
    return root, declared


def dom_checks(name, path, declared, legend, axes):
    dom = chromium("--dump-dom", "file://" + path)
    marks = len(re.findall(r'class="mark[" ]', dom))
    check(marks == declared, f"{name}: the rendered DOM has the {declared} marks",
          f"{marks} found")
    for text in legend:
        check(text in dom, f"{name}: the legend shows {text!r} in the rendered DOM")
    for text in axes:
        check(text in dom, f"{name}: the axis title {text!r} is in the rendered DOM")
    return dom


def screenshot(name, path, width, height):
    png = os.path.join(OUT, name + ".png")
    if os.path.exists(png):
        os.remove(png)
    chromium(f"--window-size={width},{height}", f"--screenshot={png}", "file://" + path)
    if not check(os.path.exists(png), f"{name}: Chromium wrote a screenshot"):
        return
    not_blank(png, name)


def main():
    os.makedirs(OUT, exist_ok=True)
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("DROP TABLE IF EXISTS plot_users")
    cur.execute("CREATE TABLE plot_users AS SELECT * FROM userseg_sample_users(8000, 11)")
    cur.execute("SELECT userseg_kmeans('plot_users', %s, 4, label_column => 'segment')", (FEATURES,))
    cur.execute("SELECT userseg_dbscan('plot_users', %s, 0.9, 10, label_column => 'dense')",
                (FEATURES[:3],))
    f = FEATURES
    plots = [
        ("scatter", "SELECT userseg_plot_scatter('plot_users', 'segment', %s)", (f,),
         ["segment 0", "segment 3", "centroid"], ["PC1 (", "PC2 ("]),
        ("scatter_xy", "SELECT userseg_plot_scatter('plot_users', 'segment', %s, "
         "'daily_usage_minutes', 'likes_received_per_day', max_points => 1000, seed => 3)", (f,),
         ["segment 1", "centroid"], ["daily_usage_minutes", "likes_received_per_day"]),
        ("scatter_noise", "SELECT userseg_plot_scatter('plot_users', 'dense', %s)", (f[:3],),
         ["noise (-1)", "segment 0"], ["PC1 (", "PC2 ("]),
        ("view3d", "SELECT userseg_plot_3d('plot_users', 'segment', %s)", (f,),
         ["segment 2", "centroid"], ["PC1 (", "PC2 (", "PC3 ("]),
        ("heatmap", "SELECT userseg_plot_heatmap('plot_users', 'segment', %s)", (f,),
         ["z = 0", "segment 0"], ["daily_usage_minutes", "feature (z of the segment mean"]),
        ("mix", "SELECT userseg_plot_mix('plot_users', 'segment', 'platform')", (),
         ["segment 0", "segment 3"], ["platform", "share of the segment"]),
        ("box", "SELECT userseg_plot_box('plot_users', 'segment', %s)", (f[:4],),
         ["segment 0", "whiskers"], ["posts_per_day", ">segment<"]),
        ("silhouette", "SELECT userseg_plot_silhouette('plot_users', 'segment', %s)", (f,),
         ["segment 0", "average"], ["silhouette coefficient", "rows, by segment"]),
        ("sweep", "SELECT userseg_plot_sweep('plot_users', %s, 2, 7)", (f,),
         ["inertia", "elbow", "best"], ["k (clusters)", ">silhouette<"]),
        ("compare", "SELECT userseg_plot_compare('plot_users', %s, 4)", (f,),
         ["silhouette (higher is better)"], [">algorithm<", ">silhouette<"]),
    ]
    for name, sql, args, legend, axes in plots:
        cur.execute(sql, args)
        svg = cur.fetchone()[0]
        path = os.path.join(OUT, name + ".svg")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(svg)
        root, declared = svg_checks(name, svg)
        if root is None:
            continue
        dom_checks(name, path, declared, legend, axes)
        screenshot(name, path, int(root.get("width")), int(root.get("height")))

    # the report: every figure parses, the page's marks are the figures' marks
    cur.execute("SELECT userseg_report('plot_users', 'segment', %s, ARRAY['platform', "
                "'dominant_emotion'])", (f,))
    page = cur.fetchone()[0]
    path = os.path.join(OUT, "report.html")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    total = 0
    for i, svg in enumerate(svgs):
        root, declared = svg_checks(f"report figure {i + 1}", svg)
        total += declared
    check(len(svgs) == 7, "report: scatter, 3-D view, heatmap, two mixes, box plots and "
          "silhouettes are inline SVG", f"{len(svgs)} figures")
    check(not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page,
          "report: self-contained (nothing fetched, no script)")
    dom_checks("report", path, total, ["segment 0", "segment 3"],
               ["Sizes and descriptions", "Scores", "PC1 (", "silhouette coefficient"])
    screenshot("report", path, 1200, 2400)


if __name__ == "__main__":
    main()
