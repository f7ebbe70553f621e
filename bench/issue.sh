#!/usr/bin/env bash
# What issuing costs against previewing: the same generated district (the example school's
# framework) built as preview PDFs and issued (PDF with its signed CLR attached, the CLR, the
# HTML, the ledger, the status list), both with --jobs 2, in one run; then a correction of one
# student, a revocation, publishing the site, verifying one PDF against it, and checking the
# whole ledger against the site's signed head.
#
#   bench/issue.sh [STUDENTS]      (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-1000}
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source bench/district.sh
district "$mastery" "$work" "$students"

python3 - "$mastery" "$work" "$students" <<'PY'
import json, sys
mastery, work, students = sys.argv[1], sys.argv[2], int(sys.argv[3])
key = "fixtures/keys/example-school.key.json"
pdf_key = "fixtures/keys/document-signing.key.pem"

sys.path.insert(0, "bench")
from measure import run as measure

def run(args):
    return measure([mastery, *args])

rows = []
wall, cpu = run(["build", f"{work}/school", "--out", f"{work}/preview", "--jobs", "2"])
rows.append(("build (preview PDFs)", students, wall, cpu))
wall, cpu = run(["issue", f"{work}/school", "--out", f"{work}/issued", "--key", key, "--pdf-key", pdf_key, "--jobs", "2"])
rows.append(("issue (PDF + CLR + HTML, ledger)", students, wall, cpu))
wall, cpu = run(["issue", f"{work}/school", "--out", f"{work}/issued", "--key", key, "--pdf-key", pdf_key, "--jobs", "2"])
rows.append(("issue again, nothing changed", students, wall, cpu))
entries = [json.loads(line) for line in open(f"{work}/school/ledger.jsonl")]
first = entries[0]["credential_id"]
wall, cpu = run(["revoke", first, "--reason", "bench", "--key", key, "--school", f"{work}/school"])
rows.append(("revoke one credential", 1, wall, cpu))
wall, cpu = run(["publish", f"{work}/school", "--site", f"{work}/site"])
rows.append(("publish the site", len(entries), wall, cpu))
pdf = f"{work}/issued/{entries[1]['student']}/v1/transcript.pdf"
wall, cpu = run(["verify", pdf, "--site", f"{work}/site"])
rows.append(("verify one PDF with --site", 1, wall, cpu))
wall, cpu = run(["log", f"{work}/school", "--verify", "--site", f"{work}/site"])
rows.append(("log --verify against the site's head", len(entries) + 1, wall, cpu))

print("| step | items | wall | CPU | CPU per item |")
print("|---|---:|---:|---:|---:|")
for name, items, wall, cpu in rows:
    print(f"| {name} | {items} | {wall:.2f} s | {cpu:.2f} s | {1000 * cpu / items:.1f} ms |")
PY
