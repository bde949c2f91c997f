#!/usr/bin/env python3
"""Runs rqcheck's benchmarks side by side and prints one table (see scripts/bench).

Every row is measured in the same run as the ceilings it is compared with: nginx serving a
static file (when installed), a bare cpp-httplib stub with the same tuning, and rq-fake with
rate limits off. Numbers, not pass/fail."""
import json, os, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RQCHECK_BENCH_BIN", os.path.join(ROOT, "build-release", "bin"))
SECONDS = float(os.environ.get("RQCHECK_BENCH_SECONDS", "3"))
CONNS = [int(c) for c in os.environ.get("RQCHECK_BENCH_CONNS", "1,16,64").split(",")]
SCALE_N = int(os.environ.get("RQCHECK_BENCH_SCALE", "1000000"))
ROUNDS = int(os.environ.get("RQCHECK_BENCH_ROUNDS", "5"))
procs = []


def start(cmd, first_line_prefix):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs.append(p)
    line = p.stdout.readline().strip()
    if not line.startswith(first_line_prefix):
        sys.exit(f"bench: {cmd[0]} did not start: {line!r}")
    return p, line.split()[-1]


def load(url, scenario, conns, queue="", path="/", seconds=SECONDS):
    cmd = [os.path.join(BIN, "rq-load"), "--url", url, "--scenario", scenario, "--conns", str(conns),
           "--seconds", str(seconds), "--path", path]
    if queue:
        cmd += ["--queue", queue]
    out = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"scenario": scenario, "conns": conns, "rps": 0, "p50_us": 0, "p99_us": 0,
                "errors": -1, "conns_served": 0}


def nginx_ceiling(body):
    if not shutil.which("nginx"):
        return None
    d = tempfile.mkdtemp(prefix="rqcheck-nginx-")
    # nginx's workers drop root and run as www-data: mkdtemp's 0700 would answer 403.
    os.chmod(d, 0o755)
    with open(os.path.join(d, "q.json"), "w") as f:
        f.write(body)
    os.chmod(os.path.join(d, "q.json"), 0o644)
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2; daemon off; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:0; root {d}; location / {{ default_type application/json; }} }} }}""")
    # nginx cannot listen on port 0: pick a free port first.
    import socket
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    with open(conf) as f:
        text = f.read().replace("127.0.0.1:0", f"127.0.0.1:{port}")
    with open(conf, "w") as f:
        f.write(text)
    p = subprocess.Popen(["nginx", "-c", conf, "-p", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)
    time.sleep(0.5)
    return f"http://127.0.0.1:{port}", "/q.json"


def http(method, url, body=None):
    import urllib.request
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None,
                                 headers={"Authorization": "Bearer bench", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


def capacity(fake, q):
    """Issue 17's capacity rows: idle keep-alive and slowloris sockets beside normal clients."""
    def run(args):
        out = subprocess.run([os.path.join(BIN, "rq-capacity"), "--url", fake, "--queue", q] + args,
                             capture_output=True, text=True)
        try:
            return json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return None
    a = run(["--idle", "1000", "--active", "16", "--seconds", str(SECONDS)])
    if a:
        print(f"capacity: 1000 idle keep-alive connections (answered once in {a['setup_ms']/1000:.1f} s; "
              f"{a['still_open']} still open after) + 16 "
              f"active clients: {a['rps']:.0f} calls/s, p50 {a['p50_ms']:.2f} ms, p99 {a['p99_ms']:.2f} ms, "
              f"max {a['max_ms']:.2f} ms, {a['errors']} errors (target: p99 < 20 ms)")
    else:
        print("capacity: the idle keep-alive row failed")
    b = run(["--slowloris", "500", "--calls", "200"])
    if b:
        print(f"capacity: 500 slowloris sockets (unfinished heads; {b['still_open']} still open after) "
              f"+ 200 normal calls on new "
              f"connections: p50 {b['p50_ms']:.2f} ms, p99 {b['p99_ms']:.2f} ms, max {b['max_ms']:.2f} ms, "
              f"{b['errors']} errors (target: < 100 ms)")
    else:
        print("capacity: the slowloris row failed")


def targets(stub, fake, q):
    """Issue 11's targets as paired ratios: one 3 s row moves by 10-30% with the host, more than
    the differences the targets are about. Each round measures the ceiling and then the fake
    right after it; the median of ROUNDS rounds is given with the lowest and highest."""
    half = SECONDS / 2
    def paired(label, ceil_args, fake_args, key, goal, lower_is_better=False):
        ratios = []
        for _ in range(ROUNDS):
            c = load(*ceil_args, seconds=half)
            f = load(*fake_args, seconds=half)
            if c[key] > 0 and f[key] > 0 and c["errors"] == 0 and f["errors"] == 0:
                ratios.append(f[key] / c[key])
        if not ratios:
            print(f"  {label:60} failed")
            return
        ratios.sort()
        med = ratios[len(ratios) // 2]
        met = med <= goal if lower_is_better else med >= goal
        sign = "<=" if lower_is_better else ">="
        print(f"  {label:60} {med:.3f}x [{ratios[0]:.2f}-{ratios[-1]:.2f}]  target {sign} {goal}x: "
              f"{'met' if met else 'not met'}")
    print(f"targets (issue 11): median of {ROUNDS} rounds of {half:g} s, the ceiling then the fake, "
          f"[lowest-highest]")
    paired("get queue, 16 connections, calls/s vs the stub", (stub, "get", 16),
           (fake, "get-queue", 16, q), "rps", 0.9)
    paired("get request, 16 connections, calls/s vs the stub", (stub, "get", 16),
           (fake, "get-request", 16, q), "rps", 0.9)
    paired("batch add 25 new, 16 connections, vs the stub's batch parse",
           (stub, "post-batch", 16, "", "/batch"), (fake, "batch-add-new", 16, q), "rps", 0.8)
    for scen, label in [("get-queue", "get queue"), ("get-request", "get request"),
                        ("update-handled", "update with handledAt")]:
        paired(f"{label}, 64 connections, p99 vs the stub's p99", (stub, "get", 64),
               (fake, scen, 64, q), "p99_us", 1.3, lower_is_better=True)


def main():
    small = ('{"data":{"id":"WkzbQMuFYuamGv3YF","name":"bench","userId":"wRsJZtadYvn4mBZmm",'
             '"createdAt":"2019-12-12T07:34:14.202Z","modifiedAt":"2019-12-13T08:36:13.202Z",'
             '"accessedAt":"2019-12-14T08:36:13.202Z","totalRequestCount":870,"handledRequestCount":100,'
             '"pendingRequestCount":670,"hadMultipleClients":false}}')
    print(f"machine: {os.cpu_count()} cores; {SECONDS:g} s per row; load generator rq-load "
          f"(one thread per keep-alive connection, on the same cores)\n")
    _, stub = start([os.path.join(BIN, "rq-stub")], "rq-stub listening")
    _, fake = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit"], "rq-fake listening")
    # The same fake with a data directory (docs/persistence.md), and with --sync full.
    data = tempfile.mkdtemp(prefix="rq-bench-data-")
    _, dfake = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit",
                      "--data-dir", os.path.join(data, "normal")], "rq-fake listening")
    _, ffake = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit",
                      "--data-dir", os.path.join(data, "full"), "--sync", "full"], "rq-fake listening")
    ng = nginx_ceiling(small)
    q = http("POST", fake + "/v2/request-queues?name=bench")["data"]["id"]
    load(fake, "batch-add-dup", 1, q, seconds=0.2)      # seeds the requests the rows read
    load(fake, "batch-add-new", 4, q, seconds=1)         # a queue of some thousand requests
    dq, fq = [http("POST", u + "/v2/request-queues?name=bench")["data"]["id"] for u in (dfake, ffake)]
    for u, qq in ((dfake, dq), (ffake, fq)):
        load(u, "batch-add-dup", 1, qq, seconds=0.2)
        load(u, "batch-add-new", 4, qq, seconds=1)

    if os.environ.get("RQCHECK_BENCH_ONLY") == "capacity":
        capacity(fake, q)
        return
    if os.environ.get("RQCHECK_BENCH_ONLY") == "targets":
        targets(stub, fake, q)
        return

    rows = []
    def row(name, ceiling_name, ceil, res):
        ratio = res["rps"] / ceil["rps"] if ceil and ceil["rps"] else None
        rows.append((name, res, ceiling_name, ratio))

    for c in CONNS:
        ng_res = load(ng[0], "get", c, path=ng[1]) if ng else None
        stub_get = load(stub, "get", c)
        stub_post = load(stub, "post-batch", c, path="/batch")
        stub_list = load(stub, "get", c, path="/list") if c == 16 else None
        if ng_res and (ng_res["rps"] <= 0 or ng_res["conns_served"] != c):
            print(f"bench: nginx did not serve every connection at {c}; using the stub as ceiling",
                  file=sys.stderr)
        ng_ok = ng_res is not None and ng_res["rps"] > 0
        ceiling = ng_res if ng_ok else stub_get
        cname = "nginx" if ng_ok else "stub"
        if ng_res:
            row("nginx static 327-byte JSON", None, None, ng_res)
        row("httplib stub, same JSON", "nginx" if ng_res else None, ng_res, stub_get)
        row("httplib stub, parse 25-item batch", None, None, stub_post)
        if stub_list:
            row("httplib stub, 1000-item page (DOM)", None, None, stub_list)
        for scen, label in [("get-queue", "get queue"), ("get-request", "get request")]:
            row(f"rq-fake {label}", cname, ceiling, load(fake, scen, c, q))
        row("rq-fake batch add, 25 new", "stub-batch", stub_post, load(fake, "batch-add-new", c, q))
        row("rq-fake batch add, 25 duplicates", "stub-batch", stub_post, load(fake, "batch-add-dup", c, q))
        row("rq-fake list page of 1000", "stub-list" if stub_list else None, stub_list, load(fake, "list-1000", c, q))
        row("rq-fake head of 100", cname, ceiling, load(fake, "head-100", c, q))
        row("rq-fake head/lock of 25", cname, ceiling, load(fake, "lock-25", c, q))
        row("rq-fake update with handledAt", cname, ceiling, load(fake, "update-handled", c, q))
        # Persistence next to the in-memory rows of the same run (ratio to the in-memory row).
        mem = {name: r for name, r, _, _ in rows if r["conns"] == c}
        row("rq-fake --data-dir get request", "in-memory", mem["rq-fake get request"],
            load(dfake, "get-request", c, dq))
        row("rq-fake --data-dir batch add, 25 new", "in-memory", mem["rq-fake batch add, 25 new"],
            load(dfake, "batch-add-new", c, dq))
        row("rq-fake --data-dir update handledAt", "in-memory", mem["rq-fake update with handledAt"],
            load(dfake, "update-handled", c, dq))
        if c == 16:
            row("rq-fake --sync full batch add, 25 new", "in-memory", mem["rq-fake batch add, 25 new"],
                load(ffake, "batch-add-new", c, fq))

    print(f"{'what':38} {'conns':>5} {'calls/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'served':>7} {'ratio':>14}")
    for name, r, cname, ratio in rows:
        served = f"{r['conns_served']}/{r['conns']}" + ("" if r.get("errors", 0) == 0 else "!")
        ratio_s = f"{ratio:.2f}x {cname}" if ratio is not None else ""
        print(f"{name:38} {r['conns']:>5} {r['rps']:>9.0f} {r['p50_us']/1000:>7.2f} {r['p99_us']/1000:>7.2f} "
              f"{served:>7} {ratio_s:>14}")

    print()
    targets(stub, fake, q)
    print()
    capacity(fake, q)

    # Scale: a fresh fake, one queue of SCALE_N requests.
    p, fresh = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit"], "rq-fake listening")
    out = subprocess.run([os.path.join(BIN, "rq-scale-bench"), "--url", fresh, "--pid", str(p.pid),
                          "--requests", str(SCALE_N)], capture_output=True, text=True)
    print()
    try:
        s = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"scale: {s['requests']} requests (100-byte URLs) filled in {s['fill_ms']/1000:.1f} s "
              f"({s['requests']/(s['fill_ms']/1000):.0f}/s), {s['fill_failed_batches']} failed batches; "
              f"resident memory {s['bytes_per_request']:.0f} bytes per request")
        print(f"scale: list page of 1000 first {s['first_page_ms']:.2f} ms, last {s['last_page_ms']:.2f} ms "
              f"({s['last_page_ms']/max(s['first_page_ms'],1e-9):.2f}x); head/lock of 25 first "
              f"{s['first_lock_ms']:.2f} ms, last {s['last_lock_ms']:.2f} ms "
              f"({s['last_lock_ms']/max(s['first_lock_ms'],1e-9):.2f}x)")
    except (IndexError, ValueError, KeyError):
        print("scale: failed: " + out.stderr.strip())

    # Scale with --data-dir: fill, kill -9, and time the restart until it listens (it loads first).
    sdir = os.path.join(data, "scale")
    p, fresh = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit", "--data-dir", sdir],
                     "rq-fake listening")
    out = subprocess.run([os.path.join(BIN, "rq-scale-bench"), "--url", fresh, "--pid", str(p.pid),
                          "--requests", str(SCALE_N)], capture_output=True, text=True)
    try:
        s = json.loads(out.stdout.strip().splitlines()[-1])
        p.kill()
        p.wait()
        size = sum(os.path.getsize(os.path.join(sdir, f)) for f in os.listdir(sdir))
        t0 = time.time()
        p2, _ = start([os.path.join(BIN, "rq-fake"), "--port", "0", "--no-rate-limit", "--data-dir", sdir],
                      "rq-fake listening")
        startup = time.time() - t0
        print(f"scale --data-dir: {s['requests']} requests filled in {s['fill_ms']/1000:.1f} s "
              f"({s['requests']/(s['fill_ms']/1000):.0f}/s), {s['fill_failed_batches']} failed batches; "
              f"DIR {size/1e6:.0f} MB; after kill -9 the restart listened in {startup:.1f} s")
        p2.send_signal(signal.SIGTERM)
        p2.wait(30)
    except (IndexError, ValueError, KeyError):
        print("scale --data-dir: failed: " + out.stderr.strip())
    shutil.rmtree(data, ignore_errors=True)

    # Suites: wall time against a local fake, when built.
    for tool, args in [("rq-conformance", []), ("rq-properties", [])]:
        path = os.path.join(BIN, tool)
        if os.path.exists(path):
            t0 = time.time()
            r = subprocess.run([path] + args, capture_output=True, text=True)
            print(f"suite: {tool} against an embedded fake: {time.time()-t0:.1f} s (exit {r.returncode})")


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
