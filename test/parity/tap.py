"""TAP-style output shared by the parity checks: one line per check.

scripts/test counts the lines that start with "ok " and "not ok "; a check prints the
figures that failed after its name.
"""


def check(ok, what, detail=""):
    """Print "ok - what", or "not ok - what: detail"; return ok."""
    if ok:
        print(f"ok - {what}")
    else:
        print(f"not ok - {what}: {detail}" if detail else f"not ok - {what}")
    return bool(ok)


def rel_diff(a, b, floor=1e-300):
    """|a - b| relative to |b| (with a floor for b near 0)."""
    return abs(a - b) / max(abs(b), floor)
