#!/usr/bin/env bash
# Every stage of issue 15's table, side by side with its anchor, in one run on this machine:
#   1. PDF: CPU per transcript of `mastery build --jobs 1` on generated students, against the
#      stock typst CLI (one process per student, the same template and data), WeasyPrint and
#      headless Chromium (each one process for all students) printing our own HTML transcript,
#      mastery's build run five times among the anchors' runs and the medians compared;
#      then where the time goes, phase by phase (bench/render_phases.rs);
#   2. scaling: `mastery build --jobs 2` against `--jobs 1`, in three rounds, beside the
#      machine's own ceiling measured in each round: two CPU-bound shell loops against one, and
#      two independent `--jobs 1` builds at once against one (each build twice, in mirrored
#      order);
#   3. validation: `mastery validate` on generated JSON Lines records (parse, schema, meaning
#      checks) against ajv 8 (Ajv2020 + ajv-formats: parse and schema only, first error and
#      all errors) and the floor, serde_json reading the same file into values, each the
#      median of five rounds taken in turn;
#   4. set-up (with --cold only: it takes half an hour): a fresh clone's `cargo build --release`
#      and then `cargo test --release --no-run`.
#
#   bench/stages.sh [--cold] [STUDENTS] [RECORDS]     (default 100 students, 10000 records)
#
# The anchors are installed here on the first run: the stock typst CLI 0.15.1 with cargo into
# target/bench-tools (about ten minutes), WeasyPrint 70.0 with pip into target/bench-tools/venv
# (and the Pango it needs with apt), ajv from bench/node's lock, Chromium with apt.
set -euo pipefail
cd "$(dirname "$0")/.."
cold=false
if [ "${1:-}" = "--cold" ]; then cold=true; shift; fi
students=${1:-100}
records=${2:-10000}
root=$PWD
tools=$root/target/bench-tools

sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
need=()
for package in time linux-perf chromium libpango-1.0-0 libpangoft2-1.0-0 python3-venv; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need+=("$package")
done
if ((${#need[@]})); then $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${need[@]}"; fi
if [ ! -x "$tools/bin/typst" ]; then
  echo "installing the stock typst CLI 0.15.1 into $tools (once, about ten minutes)..." >&2
  cargo install --quiet --locked typst-cli --version 0.15.1 --root "$tools"
fi
if [ ! -x "$tools/venv/bin/weasyprint" ]; then
  python3 -m venv "$tools/venv" && "$tools/venv/bin/pip" install --quiet weasyprint==70.0
fi
[ -d bench/node/node_modules/ajv ] || (cd bench/node && npm ci --silent --no-audit --no-fund)
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --silent --no-audit --no-fund)
cargo build --release --quiet --bin mastery --example parse_floor --example render_phases
mastery=$root/target/release/mastery

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
calc() { awk "BEGIN { print $* }"; }
# Runs a command; prints "wall_seconds cpu_seconds". The CPU is perf's task-clock counted with
# inheritance: every process the command started, whoever reaped it. (GNU time's figure counts
# only children that were waited for, and Chromium's renderers are reaped by its zygote: it
# missed about two thirds of Chromium's CPU.)
measure() {
  perf stat -x, -e task-clock -o "$work/perf" /usr/bin/time -f "%e" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" \
    || { cat "$work/stderr" >&2; return 1; }
  local cpu
  cpu=$(awk -F, '$3 == "task-clock" { print $1 / 1000 }' "$work/perf")
  [ -n "$cpu" ] || { echo "perf stat counted no task-clock for $1:" >&2; cat "$work/perf" >&2; return 1; }
  echo "$(cat "$work/time") $cpu"
}
ms() { calc "1000 * $1 / $2"; }
# Measures `mastery build` of the school into a fresh folder OUT: build_into OUT [OPTION...].
build_into() { local out=$1; shift; rm -rf "$out"; measure "$mastery" build "$school" --out "$out" "$@"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# mastery, every stage against its anchor: $(date -u +%Y-%m-%d)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "mastery $($mastery --version | cut -d' ' -f2); $("$tools/bin/typst" --version); WeasyPrint $("$tools/venv/bin/python" -c 'import weasyprint; print(weasyprint.__version__)'); $(/usr/bin/chromium --version 2>/dev/null | head -1); ajv $(node -p 'require("./bench/node/node_modules/ajv/package.json").version')"
echo

school=$work/school
cp -r fixtures/example-school "$school"
rm -f "$school"/students/*
"$mastery" gen-fixtures "$school" --students "$students" --out "$school/students/generated.jsonl" 2>/dev/null

# 1. PDF. mastery's build runs five times, spread among the anchors' runs (three rounds of it
# and the CLI in turn, then once after WeasyPrint and once after Chromium), and the medians are
# compared, so that a slow spell of the shared machine falls on both sides of a ratio.
runs_pdf=(); runs_typst=()
pdf_run() {
  read -r _ cpu < <(build_into "$work/pdf" --jobs 1)
  runs_pdf+=("$cpu")
}
"$mastery" build "$school" --out "$work/data" --format data >/dev/null 2>&1
"$mastery" build "$school" --out "$work/html" --format html >/dev/null 2>&1
template=$work/template
cp -r templates/default "$template"
cp "$work/data/school-logo.svg" "$template/"
cat >"$work/stock.sh" <<STOCK
for data in "$work"/data/GEN-*.json; do
  cp "\$data" "$template/data.json"
  "$tools/bin/typst" compile --root "$template" --ignore-system-fonts --font-path "$root/fonts/noto" \
    --pdf-standard a-3b,ua-1 "$template/transcript.typ" "$work/stock.pdf"
done
STOCK
for _ in 1 2 3; do
  pdf_run
  read -r _ cpu < <(measure bash "$work/stock.sh"); runs_typst+=("$cpu")
done
mkdir -p "$work/weasy" "$work/chromium"
read -r _ weasy_cpu < <(measure "$tools/venv/bin/python" bench/weasyprint-pdf.py "$work/weasy" "$work"/html/GEN-*.html)
pdf_run
read -r _ chromium_cpu < <(measure node bench/node/chromium-pdf.mjs "$work/chromium" "$work"/html/GEN-*.html)
pdf_run
pdf_cpu=$(median "${runs_pdf[@]}")
typst_cpu=$(median "${runs_typst[@]}")
m=$(ms "$pdf_cpu" "$students")
echo "## PDF, $students generated students (4 to 5 pages), CPU per transcript"
echo
echo "mastery: the median of 5 builds (each $(printf '%.1f ' $(for c in "${runs_pdf[@]}"; do ms "$c" "$students"; done))ms); the CLI: the median of 3, taken in turn with mastery's"
echo
echo "| renderer | CPU per transcript | mastery is | target |"
echo "|---|---:|---:|---:|"
printf '| mastery build --jobs 1 (PDF/A-3b + PDF/UA-1) | %.1f ms | | <= 30 ms |\n' "$m"
printf '| stock typst CLI 0.15.1, one process per student | %.1f ms | %.1fx | >= 3x |\n' "$(ms "$typst_cpu" "$students")" "$(calc "$typst_cpu / $pdf_cpu")"
printf '| WeasyPrint 70 on our HTML transcript (PDF/UA-1), one process | %.1f ms | %.1fx | >= 50x |\n' "$(ms "$weasy_cpu" "$students")" "$(calc "$weasy_cpu / $pdf_cpu")"
printf '| Chromium print to PDF of our HTML transcript, one browser | %.1f ms | %.1fx | >= 50x |\n' "$(ms "$chromium_cpu" "$students")" "$(calc "$chromium_cpu / $pdf_cpu")"
echo

echo "## Where a PDF's time goes (bench/render_phases.rs: typst's timing scopes, in one process)"
echo
target/release/examples/render_phases "$work/data" 3
echo

# 2. Scaling, three rounds. Each round measures the machine's ceiling twice: two CPU-bound
# shell loops against one (cores alone), and two independent `--jobs 1` builds at once against
# one (the same work, with everything two processes share: caches, memory, the disk); the share
# is taken of the second, the ceiling this work can reach. The three builds run twice each, in
# mirrored order (one job, the pair, two jobs, two jobs, the pair, one job), and each is
# averaged, so that the shared machine growing slower or faster during a round weighs the same
# on all three.
spin='i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done'
pair_of_jobs() {
  rm -rf "$work/s3" "$work/s4"
  measure bash -c "'$mastery' build '$school' --out '$work/s3' --jobs 1 & '$mastery' build '$school' --out '$work/s4' --jobs 1 & wait"
}
echo "## Two jobs against one, $students students, wall time"
echo
echo "| round | --jobs 1 | --jobs 2 | speed-up | ceiling: two shell loops | ceiling: two --jobs 1 builds at once | share of that ceiling | target |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for round in 1 2 3; do
  read -r one _ < <(measure bash -c "$spin")
  read -r two _ < <(measure bash -c "($spin) & ($spin) & wait")
  spin_ceiling=$(calc "2 * $one / $two")
  read -r w1a _ < <(build_into "$work/s1" --jobs 1)
  read -r paira _ < <(pair_of_jobs)
  read -r w2a _ < <(build_into "$work/s2" --jobs 2)
  read -r w2b _ < <(build_into "$work/s2" --jobs 2)
  read -r pairb _ < <(pair_of_jobs)
  read -r w1b _ < <(build_into "$work/s1" --jobs 1)
  w1=$(calc "($w1a + $w1b) / 2")
  w2=$(calc "($w2a + $w2b) / 2")
  pair=$(calc "($paira + $pairb) / 2")
  ceiling=$(calc "2 * $w1 / $pair")
  speedup=$(calc "$w1 / $w2")
  printf '| %d | %.2f s | %.2f s | %.2fx | %.2fx | %.2fx | %.0f%% | >= 90%% |\n' "$round" "$w1" "$w2" "$speedup" "$spin_ceiling" "$ceiling" "$(calc "100 * $speedup / $ceiling")"
done
echo

# 3. Validation.
rm -f "$school"/students/*
"$mastery" gen-fixtures "$school" --students "$records" --out "$school/students/generated.jsonl" 2>/dev/null
file=$school/students/generated.jsonl
size=$(calc "$(stat -c %s "$file") / 1000000")
# Five rounds, the four commands in turn in each, and the median of each: on the shared build
# machine one run of `mastery validate` varied from 0.8 to 1.1 s of CPU with the same work.
runs_validate=(); runs_first=(); runs_all=(); runs_floor=()
for _ in 1 2 3 4 5; do
  read -r _ cpu < <(measure "$mastery" validate "$school"); runs_validate+=("$cpu")
  read -r _ cpu < <(measure node bench/node/ajv.mjs "$file" schemas/student.schema.json first); runs_first+=("$cpu")
  read -r _ cpu < <(measure node bench/node/ajv.mjs "$file" schemas/student.schema.json all); runs_all+=("$cpu")
  read -r _ cpu < <(measure target/release/examples/parse_floor "$file"); runs_floor+=("$cpu")
done
validate_cpu=$(median "${runs_validate[@]}")
first_cpu=$(median "${runs_first[@]}")
all_cpu=$(median "${runs_all[@]}")
floor_cpu=$(median "${runs_floor[@]}")
echo "## Validation, $records generated records ($(printf '%.0f' "$size") MB of JSON Lines), CPU, median of 5 rounds"
echo
echo "| what | CPU | mastery against it | target |"
echo "|---|---:|---:|---:|"
printf '| mastery validate (parse, schema, meaning checks) | %.2f s | | |\n' "$validate_cpu"
printf '| ajv 8, parse and schema, first error | %.2f s | %.2fx as fast | |\n' "$first_cpu" "$(calc "$first_cpu / $validate_cpu")"
printf '| ajv 8, parse and schema, all errors | %.2f s | %.2fx as fast | >= 2x |\n' "$all_cpu" "$(calc "$all_cpu / $validate_cpu")"
printf '| serde_json into values, parse only (the floor) | %.2f s | %.2fx the floor | <= 3x |\n' "$floor_cpu" "$(calc "$validate_cpu / $floor_cpu")"
echo

# 4. Set-up, from a fresh clone (only with --cold).
if $cold; then
  git clone --quiet "$root" "$work/clone"
  read -r build_wall _ < <(cd "$work/clone" && measure cargo build --release)
  read -r test_wall _ < <(cd "$work/clone" && measure cargo test --release --no-run)
  echo "## Set-up from a fresh clone"
  echo
  printf '| cargo build --release | %.0f s |\n| then cargo test --release --no-run | %.0f s |\n' "$build_wall" "$test_wall"
fi
