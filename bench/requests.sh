#!/usr/bin/env bash
# The registrar's queue at a district's size (issue 30), in one run:
#   - REQUESTS requests taken from one CSV (`mastery requests import`) into a school of SEND
#     generated students, to 40 colleges, due over 60 days;
#   - the console's queue page over HTTP on loopback: the first screen (open requests, the
#     soonest due first), then filtered by state, by student, by recipient, and a page deep in
#     the queue: the first load and the median of 20;
#   - a bulk send of SEND approved requests (one per student, Common App packs to 40
#     colleges) against the same work done by hand on a copy of the school: one `issue` of the
#     same students and one `pack` per college. The difference, per request, is what the queue's
#     bookkeeping costs (claiming, settling from the ledger, the history).
#
#   bench/requests.sh [REQUESTS] [SEND]      (default 100000 requests, 300 sent)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-100000}
send=${2:-300}
cargo build --release --quiet --bin mastery
mastery="$PWD/target/release/mastery"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
server=0
source bench/district.sh
district "$mastery" "$work" "$send"
cp -r "$work/school" "$work/baseline"

python3 - "$mastery" "$work" "$requests" "$send" <<'PY'
import http.client, json, statistics, subprocess, sys, time, urllib.parse
mastery, work, requests, send = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
key = "fixtures/keys/example-school.key.json"
pdf_key = "fixtures/keys/document-signing.key.pem"
sys.path.insert(0, "bench")
from measure import run as measure

school = f"{work}/school"
students = [json.loads(line)["id"] for line in open(f"{school}/students/generated.jsonl")]
colleges = [f"College {n:02}" for n in range(40)]
with open(f"{work}/requests.csv", "w") as out:
    out.write("student,party,party_name,recipient,delivery,basis,purpose,due\n")
    for i in range(requests):
        # The first SEND: one per student, to the 40 colleges through the Common App.
        student = students[i % len(students)]
        college = colleges[i % len(colleges)]
        via = "commonapp" if i < send or i % 10 else "download"
        due = f"2027-01-{1 + i % 28:02}" if i % 2 else f"2026-12-{1 + i % 31:02}"
        out.write(f"{student},college,{college},{college},{via},enrollment,admission,{due}\n")

rows = []
wall, cpu = measure([mastery, "requests", "import", school, f"{work}/requests.csv", "--by", "bench"])
rows.append((f"import {requests} requests from one CSV", wall, cpu, requests))
ids = [f"R-{n:06}" for n in range(1, send + 1)]
wall, cpu = measure([mastery, "requests", "approve", school, *ids, "--by", "bench"])
rows.append((f"approve {send} requests", wall, cpu, send))

server = subprocess.Popen([mastery, "serve", school], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
address = urllib.parse.urlparse(server.stdout.readline().strip())
token = urllib.parse.parse_qs(address.query)["token"][0]
def get(path, cookie=""):
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=600)
    start = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    return time.perf_counter() - start, response, body
_, opened, _ = get(f"/?token={token}")
cookie = opened.getheader("Set-Cookie").split(";")[0]
pages = []
for label, path in [
    ("queue, first screen (open, soonest due)", "/requests"),
    ("queue by state (approved)", "/requests?state=approved"),
    ("queue by student", f"/requests?state=all&student={students[7]}"),
    ("queue by recipient", "/requests?state=all&to=College+07"),
    ("queue by due date", "/requests?due_by=2026-12-05"),
    ("queue, page 1000", "/requests?page=1000"),
]:
    first, response, body = get(path, cookie)
    assert response.status == 200, (path, response.status, body[:300])
    warm = statistics.median(get(path, cookie)[0] for _ in range(20))
    pages.append((label, first, warm, len(body)))
server.terminate()
server.wait()

packs = f"{work}/packs"
wall, cpu = measure([mastery, "requests", "send", school, *ids, "--issued", f"{work}/issued", "--packs", packs,
                     "--key", key, "--pdf-key", pdf_key, "--jobs", "2", "--by", "bench"])
sent = (wall, cpu)
baseline = f"{work}/baseline"
args = [mastery, "issue", baseline, "--out", f"{work}/b-issued", "--key", key, "--pdf-key", pdf_key, "--jobs", "2",
        "--profile", "college", "--by", "bench"]
for i in range(send):
    args += ["--student", students[i]]
wall, cpu = measure(args)
by_hand = [wall, cpu]
for c, college in enumerate(colleges):
    chosen = [students[i] for i in range(send) if i % len(colleges) == c]
    if not chosen:
        continue
    args = [mastery, "pack", baseline, "--for", "commonapp", "--issued", f"{work}/b-issued", "--out",
            f"{work}/b-packs/{c}", "--key", key, "--to", college, "--by", "bench"]
    for student in chosen:
        args += ["--student", student]
    wall, cpu = measure(args)
    by_hand[0] += wall
    by_hand[1] += cpu

print(f"| step | wall | CPU | CPU per item |")
print("|---|---:|---:|---:|")
for name, wall, cpu, items in rows:
    print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {1000 * cpu / items:.3f} ms |")
print()
print(f"| page ({requests} requests) | first | warm (median of 20) | bytes | target |")
print("|---|---:|---:|---:|---:|")
for label, first, warm, size in pages:
    target = "< 200 ms" if "first screen" in label else "< 50 ms" if "state" in label else ""
    print(f"| {label} | {first * 1000:.1f} ms | {warm * 1000:.1f} ms | {size} | {target} |")
print()
print(f"| bulk send of {send} requests (Common App, 40 colleges) | wall | CPU |")
print("|---|---:|---:|")
print(f"| `requests send` | {sent[0]:.2f} s | {sent[1]:.2f} s |")
print(f"| by hand: one `issue`, 40 `pack`s | {by_hand[0]:.2f} s | {by_hand[1]:.2f} s |")
extra = (sent[1] - by_hand[1]) / send * 1000
print(f"| the queue's bookkeeping, per request | | {extra:.2f} ms (target < 1 ms) |")
PY

echo
echo "The queue's own costs, in process (cargo bench --bench queue):"
cargo bench --quiet --bench queue -- "$requests" "$send" 2>/dev/null | tail -1
