"""What the bench scripts share: running a command and measuring it.

Imported by the scripts' inline Python (`sys.path.insert(0, "bench")`), which run from the
repository's root.
"""
import resource
import subprocess
import time


def run(args, accept=(0,)):
    """Runs `args`; gives (wall seconds, CPU seconds of it and its children). An exit code not
    in `accept` stops the benchmark with what the command said."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in accept:
        raise SystemExit(f"{' '.join(map(str, args[:3]))}... exited {done.returncode}: {done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
