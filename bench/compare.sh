#!/usr/bin/env bash
# Build throughput of this tree against another revision, in one run: the same generated
# district built by both binaries alternately, several rounds, in each format; prints the
# median CPU time per student of each and their ratio. For a change that should not cost
# speed (a refactor), run it against the commit before.
#
#   bench/compare.sh REVISION [STUDENTS] [ROUNDS]      (default 200 students, 5 rounds)
#
# The other revision is built in a git worktree with this tree's target folder, so only the
# mastery crate itself compiles again (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
revision=${1:?"usage: bench/compare.sh REVISION [STUDENTS] [ROUNDS]"}
students=${2:-200}
rounds=${3:-5}
root=$PWD
work=$(mktemp -d)
trap 'git worktree remove --force "$work/tree" 2>/dev/null || true; rm -rf "$work"' EXIT
git worktree add --quiet --detach "$work/tree" "$revision"
(cd "$work/tree" && CARGO_TARGET_DIR="$root/target" cargo build --release --quiet --bin mastery)
cp target/release/mastery "$work/before"
cargo build --release --quiet --bin mastery
cp target/release/mastery "$work/after"

source bench/district.sh
district "$work/after" "$work" "$students"

python3 - "$work" "$rounds" "$students" "$revision" <<'PY'
import resource, statistics, subprocess, sys, shutil
work, rounds, students, revision = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
key = "fixtures/keys/example-school.key.json"
def run(binary, fmt):
    shutil.rmtree(f"{work}/out", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([f"{work}/{binary}", "build", f"{work}/school", "--out", f"{work}/out", "--format", fmt,
                    "--key", key, "--jobs", "2"], stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(f"| format | {revision} (CPU per student) | this tree | ratio |")
print("|---|---:|---:|---:|")
for fmt in ("pdf", "html", "data", "clr"):
    times = {"before": [], "after": []}
    for _ in range(rounds):
        for binary in ("before", "after"):
            times[binary].append(run(binary, fmt))
    before, after = (1000 * statistics.median(times[b]) / students for b in ("before", "after"))
    print(f"| {fmt} | {before:.2f} ms | {after:.2f} ms | {after / before:.2f} |")
PY
