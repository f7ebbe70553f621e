#!/usr/bin/env bash
# What `mastery pack` costs for each destination (target: under 10 s for 1,000 issued
# students), side by side with the floor a registrar has without it: copying the same issued
# PDFs into a folder (`cp`). A generated district (the example school's framework) is issued
# under the college and the internal profiles first (not measured), then packed for every
# destination in turn, each into a new folder, in one run (Cialfo for 60 students: its one
# file's 10 MB hold about 70).
#
#   bench/pack.sh [STUDENTS]      (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-1000}
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source bench/district.sh
district "$mastery" "$work" "$students"
key=fixtures/keys/example-school.key.json
for profile in college internal; do
  "$mastery" issue "$work/school" --out "$work/issued" --key "$key" \
    --pdf-key fixtures/keys/document-signing.key.pem --profile "$profile" --jobs 2 >/dev/null 2>&1 || true
done

python3 - "$mastery" "$work" "$students" "$key" <<'PY'
import os, sys
sys.path.insert(0, "bench")
from measure import run as measure
mastery, work, students, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def run(args):
    # A pack names the students it could not pack (those with errors: not issued) and exits 1.
    return measure(args, accept=(0, 1))

def size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

pdfs = []
for root, _, files in os.walk(f"{work}/issued"):
    if root.endswith("college-v1") and "transcript.pdf" in files:
        pdfs.append(os.path.join(root, "transcript.pdf"))
# The floor: the same PDFs copied into one folder under names of their own, by one process.
copy = "import shutil, sys\nfor i, p in enumerate(sys.argv[2:]): shutil.copyfile(p, f'{sys.argv[1]}/{i}.pdf')"
os.makedirs(f"{work}/copy")
rows = [("copying the college PDFs (the floor)", len(pdfs), *run(["python3", "-c", copy, f"{work}/copy", *pdfs]), size(f"{work}/copy"))]
# Cialfo's one file holds at most 10 MB, about 70 of these transcripts: a school sends it in
# batches, so it is measured for 60 students.
cialfo = [arg for i in range(1, 61) for arg in ("--student", f"GEN-{i:06}")]
for destination in ["commonapp", "naviance", "scoir", "cialfo", "slate", "parchment"]:
    out = f"{work}/pack-{destination}"
    only = cialfo if destination == "cialfo" else []
    wall, cpu = run([mastery, "pack", f"{work}/school", "--for", destination, "--issued", f"{work}/issued",
                     "--out", out, "--key", key, "--by", "bench", *only])
    rows.append((f"pack --for {destination}", 60 if only else students, wall, cpu, size(out)))
wall, cpu = run([mastery, "pack", f"{work}/school", "--for", "commonapp", "--unsigned", "--issued", f"{work}/issued",
                 "--out", f"{work}/pack-unsigned", "--key", key, "--by", "bench"])
rows.append(("pack --for commonapp --unsigned", students, wall, cpu, size(f"{work}/pack-unsigned")))

print(f"| step | students | wall s | CPU s | CPU ms per student | written MB |")
print(f"|---|---:|---:|---:|---:|---:|")
for name, n, wall, cpu, written in rows:
    print(f"| {name} | {n} | {wall:.2f} | {cpu:.2f} | {1000 * cpu / max(n, 1):.2f} | {written / 1e6:.1f} |")
PY
echo "date: $(date -u +%F), machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
