#!/usr/bin/env bash
# Signing and verifying credentials: mastery against Digital Bazaar's JavaScript stack (the
# reference the field's verifiers are built on), side by side in one run, on the example
# school's credentials signed with its demo key. CPU time per credential, after a warm-up pass;
# then the fixed cost of one `mastery verify` run.
#
#   bench/credentials.sh
#
# Needs the verifiers of tests/interop (scripts/test installs them; this script does too).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d tests/interop/node_modules/@digitalbazaar/vc ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi
cargo build --release --quiet
mastery="$PWD/target/release/mastery"
key=fixtures/keys/example-school.key.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$mastery" build fixtures/example-school --out "$work/clr" --format clr --key "$key" 2>/dev/null
"$mastery" build fixtures/example-school --out "$work/ob" --format ob --key "$key" 2>/dev/null
"$mastery" publish fixtures/example-school --site "$work/site" >/dev/null

# The documents of each kind, and the addresses the JavaScript stack fetches.
node - "$work" "$PWD" <<'JS'
const fs = require('fs'), path = require('path');
const [work, root] = process.argv.slice(2);
const list = {'AchievementCredential (nested in a CLR)': [], 'OpenBadgeCredential': [], 'ClrCredential (whole)': []};
for (const name of fs.readdirSync(path.join(work, 'clr')).filter(n => n.endsWith('.clr.json')).sort()) {
  const file = path.join(work, 'clr', name);
  list['ClrCredential (whole)'].push(file);
  JSON.parse(fs.readFileSync(file)).credentialSubject.verifiableCredential.forEach((nested, i) => {
    const out = path.join(work, `${name}-${i}.json`);
    fs.writeFileSync(out, JSON.stringify(nested));
    list['AchievementCredential (nested in a CLR)'].push(out);
  });
}
for (const student of fs.readdirSync(path.join(work, 'ob')).sort()) {
  const folder = path.join(work, 'ob', student);
  if (!fs.statSync(folder).isDirectory()) continue;
  for (const name of fs.readdirSync(folder).filter(n => n.endsWith('.json')).sort()) list['OpenBadgeCredential'].push(path.join(folder, name));
}
fs.writeFileSync(path.join(work, 'list.json'), JSON.stringify(list));
const standards = path.join(root, 'tests/data');
const documents = {
  'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json': path.join(standards, 'clr2/context/clr-v2p0-2.0.1.json'),
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': path.join(standards, 'ob3/context/ob-v3p0-3.0.3.json'),
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': path.join(standards, 'ob3/context/ob-v3p0-extensions.json'),
};
const walk = dir => fs.readdirSync(dir).flatMap(n => { const p = path.join(dir, n); return fs.statSync(p).isDirectory() ? walk(p) : [p]; });
for (const file of walk(path.join(work, 'site'))) documents['https://' + path.relative(path.join(work, 'site'), file)] = file;
fs.writeFileSync(path.join(work, 'documents.json'), JSON.stringify(documents));
JS

ours=$(cargo bench --quiet --bench credentials -- "$work/list.json" "$key" 2>/dev/null)
theirs=$(node bench/credentials.mjs "$work/list.json" "$key" "$work/documents.json")

echo "# credentials benchmark, $(date -u +%Y-%m-%d)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), node $(node --version)"
echo
python3 - "$ours" "$theirs" "$mastery" "$(ls "$work"/ob/HV-2026-001/ACT-01.json)" <<'PY'
import json, resource, subprocess, sys
ours, theirs, mastery, badge = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
print("| credential | count | mastery sign | JS sign | faster | mastery verify | JS verify | faster |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for kind, o in ours.items():
    t = theirs[kind]
    print(f"| {kind} | {o['count']} | {o['sign_ms']:.2f} ms | {t['sign_ms']:.1f} ms | {t['sign_ms'] / o['sign_ms']:.0f}× "
          f"| {o['verify_ms']:.2f} ms | {t['verify_ms']:.1f} ms | {t['verify_ms'] / o['verify_ms']:.0f}× |")
runs = 30
before = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    subprocess.run([mastery, "verify", badge, "--at", "2026-07-01"], stdout=subprocess.DEVNULL, check=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
per_run = 1000 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / runs
verify = ours["OpenBadgeCredential"]["verify_ms"]
print()
print(f"mastery verify of one badge: {per_run:.1f} ms CPU per run ({runs} runs), of which checking the proof "
      f"{verify:.1f} ms: a fixed cost of {per_run - verify:.1f} ms per run")
PY
