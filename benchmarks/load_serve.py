"""Load test of ``tertius serve`` over loopback, bounded in clients and time.

Run: ``python benchmarks/load_serve.py [--clients 20] [--seconds 60] [--breakevens 4]``. It starts the server in a
separate process on a free loopback port, then runs ``--clients`` concurrent clients for
``--seconds``, each looping over a mix of requests on the default scenario with an edited
salience (so no answer can be cached): ``/api/run`` (half of the requests), ``/api/third-parties``
(200 draws), a 200-draw sweep followed to its end, an export (YAML, .xlsx or results.json),
and the page's break-even button (``/api/breakeven``: seconds each, so at most one in flight and
at most ``--breakevens`` in all; a client whose draw falls on it while one runs, or after the
last, sends a run instead). It prints, per kind, the count, the median and 95th percentile latency, and the
status codes (429: a heavy request refused by the server's full worker pool; the client then
waits the Retry-After it was given, as the page does); the resident memory of the server and its
worker processes after the first minute (or at the half-way point
of a shorter run) and at the end; and whether the goals of issue 20 hold: no 5xx, p95 of run
under 2 s, end memory within 20 % of the reference. Exits 1 when a goal is missed.

The latency goal assumes a machine with a core per few clients; on a shared 2-core machine,
20 clients queue behind each other and the p95 reports that queue, not a fault.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tertius import load_scenario  # noqa: E402
from tests.webserver import free_port  # noqa: E402


def rss_mib(pid: int) -> float:
    """Resident memory of a process and of every process below it (the server's worker pool),
    from /proc (Linux)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_mib(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass  # a process that ended meanwhile holds no memory
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--breakevens", type=int, default=4, help="break-even searches in all (one at a time)")
    args = parser.parse_args()
    if not (1 <= args.clients <= 100 and 1 <= args.seconds <= 600 and 0 <= args.breakevens <= 50):
        sys.exit("--clients must be 1-100, --seconds 1-600 and --breakevens 0-50 (the test is bounded)")
    import httpx

    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen([sys.executable, "-c", "from tertius.cli import main; main()", "serve",
                               "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/api/info", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the server did not start: " + (server.stderr.read().decode() if server.stderr else ""))
                time.sleep(0.2)
        base = json.loads(json.dumps(load_scenario().to_data()))
        results: dict[str, list[tuple[float, int]]] = {"run": [], "third-parties": [], "sweep": [], "export": [],
                                                       "breakeven": []}
        lock = threading.Lock()
        searches = {"left": args.breakevens, "running": False}  # under lock
        stop_at = time.monotonic() + args.seconds
        reference_at = time.monotonic() + min(60.0, args.seconds / 2)
        memory: dict[str, float] = {}

        def scenario(rng: random.Random) -> dict:
            data = json.loads(json.dumps(base))
            st = rng.choice(data["stances"])
            st["salience"] = round(rng.uniform(0.05, 1.0), 3)
            return data

        def client(k: int) -> None:
            rng = random.Random(k)
            retry_after = [1.0]

            def seen(response: httpx.Response) -> None:
                if response.status_code == 429:
                    retry_after[0] = float(response.headers.get("retry-after", "1"))

            with httpx.Client(base_url=url, timeout=120, event_hooks={"response": [seen]}) as c:
                while time.monotonic() < stop_at:
                    kind = rng.choice(["run", "run", "run", "third-parties", "sweep", "export", "breakeven"])
                    if kind == "breakeven":
                        with lock:
                            if searches["left"] > 0 and not searches["running"]:
                                searches["left"], searches["running"] = searches["left"] - 1, True
                            else:
                                kind = "run"
                    body = {"scenario": scenario(rng), "seed": 0}
                    started = time.perf_counter()
                    try:
                        if kind == "run":
                            code = c.post("/api/run", json=body).status_code
                        elif kind == "breakeven":
                            try:
                                code = c.post("/api/breakeven", json=body).status_code
                            finally:
                                with lock:
                                    searches["running"] = False
                        elif kind == "third-parties":
                            code = c.post("/api/third-parties", json={**body, "draws": 200}).status_code
                        elif kind == "export":
                            code = c.post(f"/api/export/{rng.choice(['yaml', 'xlsx', 'results'])}", json=body).status_code
                        else:
                            r = c.post("/api/sweep", json={**body, "n": 200, "model": "compromise"})
                            code = r.status_code
                            if code == 200:
                                sid = r.json()["id"]
                                while time.monotonic() < stop_at + 60:
                                    st = c.get(f"/api/sweep/{sid}").json()
                                    if st["state"] != "running":
                                        break
                                    time.sleep(0.2)
                    except httpx.HTTPError:
                        code = 0
                    with lock:
                        results[kind].append((time.perf_counter() - started, code))
                    if code == 429:  # refused by a full worker pool: wait as told, as the page does
                        time.sleep(min(30, retry_after[0]))

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(args.clients)]
        for th in threads:
            th.start()
        while time.monotonic() < reference_at:
            time.sleep(0.5)
        memory["reference"] = rss_mib(server.pid)
        for th in threads:
            th.join()
        memory["end"] = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{args.clients} clients for {args.seconds:g} s over loopback")
    failed = False
    for kind, rows in results.items():
        if not rows:
            print(f"{kind:9s} no requests")
            continue
        times = sorted(t for t, _ in rows)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        codes: dict[int, int] = {}
        for _, code in rows:
            codes[code] = codes.get(code, 0) + 1
        print(f"{kind:9s} n={len(rows):4d} median={1000 * statistics.median(times):7.0f} ms "
              f"p95={1000 * p95:7.0f} ms codes={dict(sorted(codes.items()))}")
        if any(code >= 500 or code == 0 for code in codes):
            failed = True
            print(f"  goal missed: {kind} got a 5xx or no answer")
        if kind == "run" and p95 >= 2.0:
            failed = True
            print("  goal missed: p95 of run is not under 2 s")
    growth = memory["end"] / memory["reference"] - 1
    print(f"server memory: {memory['reference']:.0f} MiB at the reference point, {memory['end']:.0f} MiB at the end "
          f"({100 * growth:+.1f} %)")
    if growth > 0.2:
        failed = True
        print("  goal missed: memory grew more than 20 %")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
