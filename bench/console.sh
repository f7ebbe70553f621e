#!/usr/bin/env bash
# The console's speed against its targets (issue 14): a generated district served by
# `mastery serve`, then, over HTTP on loopback:
#   - the students page: the first load (the folder read and checked) and warm loads;
#   - one student's PDF preview: the first (cold), then one request after another with the
#     template warm: median and 95th percentile;
#   - 20 preview requests at once: the wall time, and the peak memory of the console with its
#     render workers (the previews are bounded: at most two render at once).
#
#   bench/console.sh [STUDENTS] [PREVIEWS]      (default 2000 students, 20 previews)
set -euo pipefail
cd "$(dirname "$0")/.."
students=${1:-2000}
previews=${2:-20}
cargo build --release --quiet --bin mastery
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
source bench/district.sh
district target/release/mastery "$work" "$students"

target/release/mastery serve "$work/school" > "$work/address" 2>/dev/null &
server=$!
for _ in $(seq 50); do [ -s "$work/address" ] && break; sleep 0.1; done

python3 - "$(head -1 "$work/address")" "$server" "$previews" "$students" <<'PY'
import concurrent.futures, http.client, json, os, statistics, sys, threading, time, urllib.parse
address, server, previews, students = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
url = urllib.parse.urlparse(address)
token = urllib.parse.parse_qs(url.query)["token"][0]
cookie = f"mastery_session={token}"

def get(path):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    start = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    assert response.status == 200, (path, response.status, body[:300])
    return elapsed, body

def tree_rss_kb(pid):
    """The resident memory of a process and its children, in KB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parent = int(fields[1])
            if int(entry) == pid or parent == pid:
                with open(f"/proc/{entry}/status") as f:
                    total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            pass
    return total

first, page = get("/students")
warm = sorted(get("/students")[0] for _ in range(10))
ids = [line.split("/students/")[1].split('"')[0] for line in page.decode().split("<a href=\"")[1:] if line.startswith("/students/")]
ids = [i for i in ids if "?" not in i][:max(previews, 20)]
# The first preview starts the render process and loads the template; the target is for the
# template warm, the previews after it.
cold = get(f"/students/{ids[-1]}/preview.pdf")[0]
sequential = sorted(get(f"/students/{ids[i % len(ids)]}/preview.pdf")[0] for i in range(previews))
p95 = sequential[min(len(sequential) - 1, int(round(0.95 * (len(sequential) - 1))))]

peak = [tree_rss_kb(server)]
done = threading.Event()
def watch():
    while not done.is_set():
        peak.append(tree_rss_kb(server))
        time.sleep(0.05)
watcher = threading.Thread(target=watch)
watcher.start()
start = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(previews) as pool:
    list(pool.map(lambda i: get(f"/students/{ids[i % len(ids)]}/preview.pdf"), range(previews)))
concurrent_wall = time.perf_counter() - start
done.set()
watcher.join()

print(f"| measure ({students} students) | figure | target |")
print("|---|---:|---:|")
print(f"| students page, first load (folder read and checked) | {first * 1000:.0f} ms | |")
print(f"| students page, warm (median of 10) | {statistics.median(warm) * 1000:.0f} ms | < 200 ms |")
print(f"| PDF preview, the first (render process started, template loaded) | {cold * 1000:.0f} ms | |")
print(f"| PDF preview, one at a time, warm (median of {previews}) | {statistics.median(sequential) * 1000:.0f} ms | |")
print(f"| PDF preview, 95th percentile | {p95 * 1000:.0f} ms | < 300 ms |")
print(f"| {previews} previews at once, wall | {concurrent_wall:.2f} s | |")
print(f"| peak memory, console and its workers, during them | {max(peak) / 1024:.0f} MB | bounded |")
PY
