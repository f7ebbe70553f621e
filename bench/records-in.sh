#!/usr/bin/env bash
# Loading and validating the same generated students as JSON Lines (gradebook records: who, and
# evidence), as a OneRoster 1.2 CSV bundle (a folder and a ZIP) and as Ed-Fi (API JSON and XML
# interchanges), side by side in one run: CPU time and peak memory of `mastery validate` on
# each, in alternating rounds.
#
#   bench/records-in.sh [STUDENTS] [ROUNDS] [SCHOOL]   (default 10000, 3, fixtures/small-school)
#
# The small school's five credits give about 13 results a student; the example school's 35
# give about 90.
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-10000}
rounds=${2:-3}
school=${3:-fixtures/small-school}
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for form in jsonl folder zip edfi-json edfi-xml; do
  cp -r "$school" "$work/$form"
  rm -rf "$work/$form"/students/*
  python3 - "$work/$form/school.json" <<'PY'
import json, sys
path = sys.argv[1]
school = json.load(open(path))
school.setdefault("sources", {})["oneroster"] = {"expected_graduation": {"column": "metadata.expectedGraduation"}}
json.dump(school, open(path, "w"), indent=2, ensure_ascii=False)
PY
done
"$mastery" gen-fixtures "$work/jsonl" --students "$students" --format gradebook-jsonl --out "$work/jsonl/students/gradebook.jsonl" 2>/dev/null
"$mastery" gen-fixtures "$work/folder" --students "$students" --format oneroster --out "$work/folder/students/district" 2>/dev/null
"$mastery" gen-fixtures "$work/zip" --students "$students" --format oneroster --out "$work/zip/students/district.zip" 2>/dev/null
# The generated students graduate on one day of the year: Ed-Fi gives the class-of year alone.
day=$(head -n 1 "$work/jsonl/students/gradebook.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["expected_graduation"][5:])')
for form in edfi-json edfi-xml; do
  python3 - "$work/$form/school.json" "$day" <<'PY'
import json, sys
path, day = sys.argv[1], sys.argv[2]
school = json.load(open(path))
school["sources"]["edfi"] = {"graduation_day": day}
json.dump(school, open(path, "w"), indent=2, ensure_ascii=False)
PY
  "$mastery" gen-fixtures "$work/$form" --students "$students" --format "$form" --out "$work/$form/students/state" 2>/dev/null
done

python3 - "$mastery" "$work" "$students" "$rounds" <<'PY'
import os, subprocess, sys
mastery, work, students, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
results = sum(1 for _ in open(f"{work}/folder/students/district/results.csv")) - 1
size = lambda path: sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)

def run(form):
    # /usr/bin/time gives the child's own CPU time and peak resident memory.
    out = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", mastery, "validate", f"{work}/{form}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    user, system, kib = out.stderr.strip().splitlines()[-1].split()
    return float(user) + float(system), int(kib) / 1024

forms = ["jsonl", "folder", "zip", "edfi-json", "edfi-xml"]
cpu = {f: [] for f in forms}
peak = {f: 0.0 for f in forms}
for _ in range(rounds):
    for form in forms:
        seconds, mib = run(form)
        cpu[form].append(seconds)
        peak[form] = max(peak[form], mib)
print(f"{students} students, {results} results ({results / students:.1f} a student), {rounds} rounds")
print(f"{'form':<28}{'input MB':>10}{'CPU s (best)':>14}{'× JSONL':>9}{'peak MB':>9}")
names = {"jsonl": "JSON Lines (gradebook)", "folder": "OneRoster bundle, folder", "zip": "OneRoster bundle, ZIP",
         "edfi-json": "Ed-Fi API JSON", "edfi-xml": "Ed-Fi XML interchanges"}
inputs = {f: f"{work}/{f}/students" for f in forms}
for form in forms:
    best = min(cpu[form])
    print(f"{names[form]:<28}{size(inputs[form]) / 1e6:>10.1f}{best:>14.2f}{best / min(cpu['jsonl']):>9.2f}{peak[form]:>9.0f}")
PY
