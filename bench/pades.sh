#!/usr/bin/env bash
# PAdES signing and checking: the CPU per PDF that `mastery issue` adds by signing each issued
# PDF with the school's document-signing certificate, and that `mastery verify` spends checking
# it (target: signing at most 5 ms per PDF). The example school is issued, then every PDF, as it
# was before its signature, is signed and checked in one process, after a warm-up pass.
#
#   bench/pades.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp -r fixtures/example-school "$work/school"
"$mastery" issue "$work/school" --out "$work/issued" --key fixtures/keys/example-school.key.json \
  --pdf-key fixtures/keys/document-signing.key.pem >/dev/null 2>&1 || true
pdfs=$(find "$work/issued" -name transcript.pdf | sort)
echo "date: $(date -u +%F), machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cargo bench --quiet --bench pades -- fixtures/keys/document-signing.key.pem \
  fixtures/example-school/keys/document-signing.pem $pdfs
