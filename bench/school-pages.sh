#!/usr/bin/env bash
# What leaving the school's pages out of each transcript saves (target: at least 15 % less
# rendering): the same generated students built as preview PDFs with the school's pages inline
# (the default) and with `--school-pages separate`, rendered in the build's own thread (one
# job) so that the CPU time is the rendering's, in one run, twice each in turn; then the school
# profile itself, written once (`mastery profile`).
#
#   bench/school-pages.sh [STUDENTS]      (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-200}
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source bench/district.sh
district "$mastery" "$work" "$students"

python3 - "$mastery" "$work" "$students" <<'PY'
import os, subprocess, sys
sys.path.insert(0, "bench")
from measure import run as measure
mastery, work, students = sys.argv[1], sys.argv[2], int(sys.argv[3])

def run(args):
    return measure([mastery, *args])

def pages(folder):
    total = 0
    for name in os.listdir(folder):
        if name.endswith(".pdf"):
            info = subprocess.run(["pdfinfo", os.path.join(folder, name)], capture_output=True, text=True).stdout
            total += int(next(l.split()[1] for l in info.splitlines() if l.startswith("Pages:")))
    return total

cpu = {"inline": [], "separate": []}
for round in range(2):
    for mode in ("inline", "separate"):
        out = f"{work}/{mode}-{round}"
        wall, used = run(["build", f"{work}/school", "--out", out, "--jobs", "1", "--render-in-process",
                          "--school-pages", mode])
        cpu[mode].append(used)
# What a build costs besides rendering (reading, checking, aggregating, writing): the same
# students written as the template's data.
data = min(run(["build", f"{work}/school", "--out", f"{work}/data-{r}", "--jobs", "1", "--format", "data"])[1]
           for r in range(2))
inline, separate = min(cpu["inline"]), min(cpu["separate"])
print("| build | students | CPU s (best of 2) | CPU ms per transcript | of which rendering, ms | pages |")
print("|---|---:|---:|---:|---:|---:|")
print(f"| --format data (no rendering) | {students} | {data:.2f} | {1000 * data / students:.1f} | | |")
for name, used, folder in (("PDF, school pages inline (default)", inline, "inline-0"),
                           ("PDF, --school-pages separate", separate, "separate-0")):
    print(f"| {name} | {students} | {used:.2f} | {1000 * used / students:.1f} | "
          f"{1000 * (used - data) / students:.1f} | {pages(f'{work}/{folder}')} |")
print(f"\nseparate saves {100 * (1 - separate / inline):.1f} % of the build's CPU, "
      f"{100 * (1 - (separate - data) / (inline - data)):.1f} % of the rendering's")
wall, used = run(["profile", f"{work}/school", "--out", f"{work}/profile.pdf"])
print(f"the school profile: {used * 1000:.0f} ms CPU, {os.path.getsize(f'{work}/profile.pdf')} bytes")
PY
echo "date: $(date -u +%F), machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
