"""The protocol every peer benchmark of attnviz follows (bench_torch.py,
bench_mpl.py, bench_model.py), so that `make bench` compares like with like:

  * the peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset — in its
    own process only (this machine sets them to an older core type, which
    slows OpenBLAS by up to 1.7×); the script re-executes itself without
    them before numpy/torch load OpenBLAS, and prints the kernel OpenBLAS
    chose (openblas_get_corename, through ctypes);
  * each row is measured in rounds; in every round each side gives one
    sample (its mean time per operation over a short run), the two sides
    taking turns to go first, so both see the same machine;
  * the first round of each side is a warm-up and is discarded;
  * median and min of the remaining samples are printed for both sides,
    and the ratio ours / peer is computed from the medians;
  * where both sides run on several cores (Go's GOMAXPROCS, torch's
    threads), each side takes, on its warm-up sample, the faster of one
    thread and all cores (Threads), and the table says which: on a
    machine shared with other work, a side held up by one descheduled
    thread is not compared with one that was allowed to avoid it;
  * the CPU time per operation of each side (Go: the benchmark's
    cpu-ns/op; a Python peer: time.process_time, every thread) is printed
    beside the wall times — on a loaded machine it is the steadier figure.

Go samples come from a compiled test binary (`go test -c`), one process per
sample: `BIN -test.run '^$' -test.bench PATTERN -test.count 1`.
"""
import ctypes
import os
import re
import statistics
import subprocess
import sys
import time

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def unset_openblas_vars():
    """Re-execute this script without the OpenBLAS variables (call before
    importing numpy or torch). The variables stay set for everything else:
    only this process and its children (Go benchmark processes, which do
    not use OpenBLAS) lose them."""
    if any(v in os.environ for v in OPENBLAS_VARS):
        env = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        env["ATTNVIZ_BENCH_UNSET"] = ",".join(v + "=" + os.environ[v] for v in OPENBLAS_VARS if v in os.environ)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


def openblas_info():
    """Which OpenBLAS is loaded in this process and which kernel it uses."""
    paths = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "libopenblas" in p and p not in paths:
                    paths.append(p)
    except OSError:
        pass
    was = os.environ.get("ATTNVIZ_BENCH_UNSET", "")
    unset = ", ".join(OPENBLAS_VARS) + " unset" + (f" (were {was})" if was else "")
    if not paths:
        return f"no OpenBLAS loaded; {unset}"
    try:
        lib = ctypes.CDLL(paths[0])
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
        cfg = lib.openblas_get_config().decode()
        threads = lib.openblas_get_num_threads()
        return f"OpenBLAS kernel {core} ({cfg}; {threads} threads; {paths[0]}); {unset}"
    except (OSError, AttributeError) as e:
        return f"OpenBLAS at {paths[0]} (corename unavailable: {e}); {unset}"


def machine_load():
    try:
        return "load average %.2f %.2f %.2f on %d CPUs" % (*os.getloadavg(), os.cpu_count() or 0)
    except OSError:
        return "load average unknown"


_GO_LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)$")


def go_sample(binary, bench, benchtime="100x", cwd=None, extra=(), threads=None):
    """Runs one Go benchmark (full name, e.g. BenchmarkSDPA/n=128) once and
    returns (ms per op, {metric: value}) — metrics such as B/op, allocs/op,
    cpu-ns/op. Give benchtime as a count ("100x"): go test then makes one
    untimed call (b.N = 1) before the timed ones; with a duration instead, a
    first call longer than it (fresh memory from the OS) would be the whole
    sample. threads: GOMAXPROCS for the process (default: all cores)."""
    parts = bench.split("/")
    pattern = "/".join("^" + re.escape(p) + "$" for p in parts)
    env = None
    if threads is not None:
        env = dict(os.environ, GOMAXPROCS=str(threads))
    out = subprocess.run([binary, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", benchtime,
                          "-test.count", "1", "-test.benchmem", *extra],
                         cwd=cwd, check=True, capture_output=True, text=True, env=env).stdout
    for line in out.splitlines():
        m = _GO_LINE.match(line.strip())
        if m and m.group(1) == bench:
            metrics = {}
            rest = m.group(3).split()
            for i in range(0, len(rest) - 1, 2):
                try:
                    metrics[rest[i + 1]] = float(rest[i])
                except ValueError:
                    pass
            return float(m.group(2)) / 1e6, metrics
    raise RuntimeError(f"no result for {bench} in:\n{out}")


def peer_sample(fn, budget=0.3, min_iters=2, max_iters=100000, single=False, pause=0.0, with_cpu=False):
    """Mean ms per call of fn over about budget seconds (single: the mean of
    individually timed calls, each after `pause` seconds idle). with_cpu:
    returns (ms, {"cpu-ms": CPU ms per call of the whole process})."""
    n, total, cpu = 0, 0.0, 0.0
    t_end = time.perf_counter() + budget
    while n < min_iters or (time.perf_counter() < t_end and n < max_iters):
        if pause:
            time.sleep(pause)
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        total += time.perf_counter() - t0
        cpu += time.process_time() - c0
        n += 1
    if with_cpu:
        return total / n * 1e3, {"cpu-ms": cpu / n * 1e3}
    return total / n * 1e3


def split(result):
    """(ms, metrics) from a sampler's result: a number or (ms, metrics)."""
    if isinstance(result, tuple):
        return float(result[0]), dict(result[1] or {})
    return float(result), {}


def cores():
    """The thread counts a side may choose from: 1 and all cores."""
    return sorted({1, os.cpu_count() or 1})


class Threads:
    """A sampler that runs on the faster of 1 thread and all cores.

    sample_with(n) gives one sample with n threads (ms, or (ms, metrics)).
    The first call — the warm-up round, discarded by measure — samples every
    count and keeps the fastest; later calls use it. .threads is the
    choice. Both sides of a row use it the same way: Go with GOMAXPROCS=n
    (go_threads), torch with torch.set_num_threads(n)."""

    def __init__(self, sample_with, counts=None):
        self.sample_with, self.counts, self.threads = sample_with, counts or cores(), None

    def __call__(self):
        if self.threads is None:
            best = None
            for n in self.counts:
                r = self.sample_with(n)
                if best is None or split(r)[0] < split(best[1])[0]:
                    best = (n, r)
            self.threads = best[0]
            return best[1]
        return self.sample_with(self.threads)


def go_threads(binary, bench, benchtime="100x", cwd=None):
    """A Threads sampler of one Go benchmark (GOMAXPROCS = 1 or all)."""
    return Threads(lambda n: go_sample(binary, bench, benchtime, cwd=cwd, threads=n))


class Row:
    """One line of a table: name, a function giving one sample of ours (ms,
    metrics) and one giving one sample of the peer (ms)."""

    def __init__(self, name, ours, peer, goal=None, flops=None, note="", speedup_goal=None):
        self.name, self.ours, self.peer, self.goal, self.flops, self.note = name, ours, peer, goal, flops, note
        # speedup_goal: the goal as peer/ours ≥ G (e.g. 10× faster than matplotlib)
        self.speedup_goal = speedup_goal
        self.o, self.p, self.metrics, self.peer_metrics = [], [], {}, {}
        self.o_cpu, self.p_cpu = [], []


def measure(rows, rounds=6, warmup=1, log=print):
    """Runs every row for `rounds` rounds (sides alternating which goes
    first), discards the first `warmup` samples of each side, and keeps the
    rest on the rows."""
    for row in rows:
        for r in range(rounds):
            order = ("ours", "peer") if r % 2 == 0 else ("peer", "ours")
            for side in order:
                if side == "ours":
                    ms, metrics = split(row.ours())
                    if r >= warmup:
                        row.o.append(ms)
                        row.metrics = metrics
                        if "cpu-ns/op" in metrics:
                            row.o_cpu.append(metrics["cpu-ns/op"] / 1e6)
                else:
                    ms, metrics = split(row.peer())
                    if r >= warmup:
                        row.p.append(ms)
                        row.peer_metrics = metrics
                        if "cpu-ms" in metrics:
                            row.p_cpu.append(metrics["cpu-ms"])
            if log and r >= warmup:
                log(f"  {row.name}: round {r}: ours {row.o[-1]:.3f} ms, peer {row.p[-1]:.3f} ms", flush=True)


def table(rows, ours="attnviz", peer="peer", ratio_goal="ours/peer ≤ goal"):
    """Prints the table: median and min of each side, ratio of medians."""
    print()
    print(f"| work | {ours} median (min) | {peer} median (min) | {ours} / {peer} (medians) | goal |")
    print("|---|---|---|---|---|")
    ok = True
    for row in rows:
        if not row.o or not row.p:
            continue
        om, on = statistics.median(row.o), min(row.o)
        pm, pn = statistics.median(row.p), min(row.p)
        ratio = om / pm
        extra = ""
        if row.flops:
            extra = f" · {row.flops / om / 1e6:.0f} vs {row.flops / pm / 1e6:.0f} GFLOP/s"
        if row.o_cpu and row.p_cpu:
            extra += f" · CPU per op {fmt_ms(statistics.median(row.o_cpu))} vs {fmt_ms(statistics.median(row.p_cpu))}"
        if "allocs/op" in row.metrics:
            extra += f" · {row.metrics.get('B/op', 0) / 1e6:.2f} MB, {row.metrics['allocs/op']:.0f} allocs per op"
        goal = ""
        if row.speedup_goal is not None:
            met = pm / om >= row.speedup_goal
            ok = ok and met
            goal = f"{peer} / {ours} = {pm / om:.1f}× ≥ {row.speedup_goal:g}× {'ok' if met else 'MISSED'}"
        if row.goal is not None:
            met = ratio <= row.goal
            ok = ok and met
            goal = f"≤ {row.goal:g}× {'ok' if met else 'MISSED'}"
        print(f"| {row.name} | {fmt_ms(om)} ({fmt_ms(on)}) | {fmt_ms(pm)} ({fmt_ms(pn)}) | {ratio:.2f}×{extra} | {goal} |")
        threads = [f"{name} {side.threads}" for side, name in ((row.ours, ours), (row.peer, peer))
                   if getattr(side, "threads", None) is not None]
        note = "; ".join(x for x in ("threads chosen: " + ", ".join(threads) if threads else "", row.note) if x)
        if note:
            print(f"|   {note} | | | | |")
    return ok


def fmt_ms(ms):
    if ms < 1:
        return f"{ms * 1e3:.1f} µs"
    if ms < 100:
        return f"{ms:.2f} ms"
    return f"{ms:.0f} ms"


LESSON_MODEL = "stories260Ktok512.gguf"


def user_cache_dir():
    """Go's os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache (Linux), ~/Library/Caches (macOS)."""
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~"), "Library", "Caches")
    return os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")


def lesson_model_places(root):
    """The folders model.LessonModelPlaces looks in, for the attnviz checkout at root: the
    user's cache folder model.CacheDir() (where `make model` puts the model; `attnviz model
    -where` prints the file found), then root/models and root/../shared/models."""
    return [os.path.join(user_cache_dir(), "attnviz", "models"),
            os.path.join(root, "models"), os.path.join(root, "..", "shared", "models")]


def lesson_model(root):
    """The lesson model's path as model.FindLessonModel finds it from root ($ATTNVIZ_MODEL
    first), or exit with where it looked and how to get it."""
    env = os.environ.get("ATTNVIZ_MODEL", "")
    if env:
        if os.path.isfile(env):
            return env
        sys.exit(f"{LESSON_MODEL}: ATTNVIZ_MODEL={env} is not a file")
    places = lesson_model_places(root)
    for d in places:
        p = os.path.join(d, LESSON_MODEL)
        if os.path.isfile(p):
            return os.path.normpath(p)
    sys.exit(f"{LESSON_MODEL} was looked for in $ATTNVIZ_MODEL (not set), "
             + ", ".join(os.path.normpath(d) for d in places)
             + "; run `make model` (it puts it in " + os.path.normpath(places[0]) + ")")
