#!/usr/bin/env bash
# What rendering in supervised worker processes costs against rendering in the build's own
# threads: the same build of generated students, the two ways alternately, several rounds.
# Prints the median CPU time and wall time of each.
#
#   bench/isolation.sh [STUDENTS] [ROUNDS]     (default 200 students, 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-200}
rounds=${2:-5}
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source bench/district.sh
district "$mastery" "$work" "$students"

python3 - "$mastery" "$work" "$rounds" "$students" <<'PY'
import resource, statistics, subprocess, sys, time, shutil
mastery, work, rounds, students = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def run(args):
    shutil.rmtree(f"{work}/out", ignore_errors=True)
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    subprocess.run([mastery, "build", f"{work}/school", "--out", f"{work}/out", *args], stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), time.monotonic() - start
print(f"| jobs | rendering | median CPU per transcript | median wall | cost of isolation (CPU) |")
print(f"|---:|---|---:|---:|---:|")
for jobs in ("1", "2"):
    results = {"processes": [], "threads": []}
    for _ in range(rounds):
        results["processes"].append(run(["--jobs", jobs]))
        results["threads"].append(run(["--jobs", jobs, "--render-in-process"]))
    cpu = {k: statistics.median(c for c, _ in v) for k, v in results.items()}
    wall = {k: statistics.median(w for _, w in v) for k, v in results.items()}
    for kind in ("threads", "processes"):
        cost = "" if kind == "threads" else f"{100 * (cpu['processes'] / cpu['threads'] - 1):+.1f} %"
        print(f"| {jobs} | {kind} | {1000 * cpu[kind] / students:.1f} ms | {wall[kind]:.1f} s | {cost} |")
PY
