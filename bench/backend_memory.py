"""A backend's memory from /proc, for the benchmarks' peak and breakdown figures.

Private memory is VmRSS (or the peak, VmHWM) less RssShmem: the shared buffers a
backend has touched are not its own.  step_peak resets the peak first (Linux
clear_refs 5) so that a statement's peak is its own and not an earlier one's.
"""


def proc_status(pid):
    """The kB fields of /proc/<pid>/status, in bytes"""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if val.strip().endswith("kB"):
                out[key] = int(val.split()[0]) * 1024
    return out


def rss(pid):
    st = proc_status(pid)
    return st["VmRSS"] - st.get("RssShmem", 0)


def hwm(pid):
    st = proc_status(pid)
    return st["VmHWM"] - st.get("RssShmem", 0)


def reset_hwm(pid):
    """Reset the backend's VmHWM to its current RSS (Linux clear_refs 5)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def step_peak(cur, pid, sql, args):
    """The peak of one statement beyond the backend's memory before it, and whether the
    peak was reset first (if not, it includes every earlier peak of the connection)."""
    reset = reset_hwm(pid)
    before = rss(pid)
    cur.execute(sql, args)
    cur.fetchall()
    return hwm(pid) - before, reset


def breakdown_line(mem, matrix, width):
    """The line of a memory breakdown: first use, the read alone and the whole call (each
    its own peak, as step_peak measures them), against the matrix's bytes"""
    fit = mem["call"] - mem["read"]
    return (f"{'  memory':<{width}} first use {mem['first use'] / 1e6:.1f} MB; read "
            f"{mem['read'] / 1e6:.2f} MB ({mem['read'] / matrix:.2f}x); call "
            f"{mem['call'] / 1e6:.2f} MB ({mem['call'] / matrix:.2f}x); fit beyond the read "
            f"{fit / 1e6:.2f} MB ({fit / matrix:.2f}x)"
            + ("" if mem["reset"] else " (VmHWM could not be reset: peaks include earlier ones)"))
