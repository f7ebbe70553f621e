#!/usr/bin/env bash
# Measures batch builds side by side, on this machine, and prints the figures:
#   - the machine's own parallel ceiling: two CPU-bound processes against one;
#   - `mastery validate` throughput on generated records;
#   - `mastery build` for N = 100, 1,000 and 10,000 generated students with 1 and 2 jobs:
#     wall time, transcripts per second, CPU per transcript, peak RSS;
#   - the reference: the stock typst CLI compiling the same template and data, one process
#     per student, the way a user would script it.
#
#   bench/run.sh              all sizes (the 10,000-student runs take several minutes each)
#   bench/run.sh 100 1000     only these sizes
#
# The stock typst CLI (typst-cli 0.15.1, the version mastery embeds) is installed with cargo
# into target/bench-tools on the first run, which takes about ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if ((${#sizes[@]} == 0)); then sizes=(100 1000 10000); fi

if [ ! -x /usr/bin/time ]; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update && $sudo apt-get install -y time
fi
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
typst="$PWD/target/bench-tools/bin/typst"
if [ ! -x "$typst" ]; then
  echo "installing the stock typst CLI 0.15.1 into target/bench-tools (once)..." >&2
  cargo install --quiet --locked typst-cli --version 0.15.1 --root target/bench-tools
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

calc() { awk "BEGIN { print $* }"; }

# Runs a command under GNU time; prints "wall_seconds cpu_seconds peak_rss_kb".
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    return 1
  }
  read -r wall user system rss <"$work/time"
  echo "$wall $(calc "$user + $system") $rss"
}

echo "# mastery benchmark, $(date -u +%Y-%m-%d)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "mastery $($mastery --version | cut -d' ' -f2), $($typst --version)"
echo

# The machine's ceiling: how much faster two CPU-bound processes finish than one after the other.
spin='i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done'
one=$(measure bash -c "$spin" | cut -d' ' -f1)
two=$(measure bash -c "($spin) & ($spin) & wait" | cut -d' ' -f1)
ceiling=$(calc "2 * $one / $two")
printf 'parallel ceiling: one CPU-bound process %.2f s, two at once %.2f s: speed-up %.2f of 2\n\n' "$one" "$two" "$ceiling"

school="$work/school"
cp -r fixtures/example-school "$school"
rm -f "$school"/students/*

printf '| students | jobs | wall s | transcripts/s | CPU ms per transcript | peak RSS MB | speed-up vs 1 job | share of ceiling |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in "${sizes[@]}"; do
  "$mastery" gen-fixtures "$school" --students "$n" --out "$school/students/generated.jsonl" 2>/dev/null
  single=""
  for jobs in 1 2; do
    rm -rf "$work/out"
    read -r wall cpu rss < <(measure "$mastery" build "$school" --out "$work/out" --jobs "$jobs")
    rate=$(calc "$n / $wall")
    cpu_ms=$(calc "1000 * $cpu / $n")
    if [ "$jobs" = 1 ]; then single=$wall; speedup=1; share="-"; else
      speedup=$(calc "$single / $wall")
      share=$(printf '%.0f%%' "$(calc "100 * $speedup / $ceiling")")
    fi
    printf '| %d | %d | %.1f | %.1f | %.1f | %.0f | %.2f | %s |\n' "$n" "$jobs" "$wall" "$rate" "$cpu_ms" "$(calc "$rss / 1024")" "$speedup" "$share"
  done
done
echo

# Validation throughput on the largest generated set, one core.
n=${sizes[-1]}
read -r wall cpu rss < <(measure "$mastery" validate "$school")
printf 'validate: %d records in %.2f s on one core: %.0f records/s (peak RSS %.0f MB)\n\n' "$n" "$wall" "$(calc "$n / $wall")" "$(calc "$rss / 1024")"

# The reference: the stock typst CLI, one process per student, on the same template and data.
reference=100
"$mastery" gen-fixtures "$school" --students "$reference" --out "$school/students/generated.jsonl" 2>/dev/null
rm -rf "$work/data" && "$mastery" build "$school" --out "$work/data" --format data >/dev/null 2>&1
template="$work/template"
cp -r templates/default "$template"
cp "$work/data/school-logo.svg" "$template/"
cat >"$work/stock.sh" <<EOF
for data in "$work"/data/GEN-*.json; do
  cp "\$data" "$template/data.json"
  "$typst" compile --root "$template" --ignore-system-fonts --pdf-standard a-3b,ua-1 "$template/transcript.typ" "$work/stock.pdf"
done
EOF
read -r wall cpu rss < <(measure bash "$work/stock.sh")
rm -rf "$work/out"
read -r mwall mcpu mrss < <(measure "$mastery" build "$school" --out "$work/out" --jobs 1)
printf 'stock typst CLI, one process per student: %d transcripts in %.1f s: %.1f ms each (CPU %.1f ms)\n' "$reference" "$wall" "$(calc "1000 * $wall / $reference")" "$(calc "1000 * $cpu / $reference")"
printf 'mastery build --jobs 1, same students:     %d transcripts in %.1f s: %.1f ms each (CPU %.1f ms)\n' "$reference" "$mwall" "$(calc "1000 * $mwall / $reference")" "$(calc "1000 * $mcpu / $reference")"
printf 'mastery is %.2f times the stock CLI on one core\n' "$(calc "$wall / $mwall")"
