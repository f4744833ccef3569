#!/usr/bin/env python3
"""`make cluster-test`: three Sticky Calls nodes on one PostgreSQL and one Redis behind
HAProxy (deploy/haproxy.cfg, run for real with its ports rewritten), and what a cluster
must hold:

- the rate limit holds for the cluster: a plan of 300/60 lets about 300 of 900
  requests through three nodes (plus what the window refills meanwhile), not 900;
- a key revoked on one node is refused by the two others (delay measured, 5 rounds;
  their key caches would trust it for 300 s);
- a start retried on each node with the same Idempotency-Key is one call, one credit;
- starts per second through the balancer with 1, 2 and 3 nodes (oha, returning
  callers; figures only: on a 2-core machine every node shares the same cores);
- at least CLUSTER_STARTS (default 10,000) billable starts by 64 concurrent clients,
  going on until every node has been drained, stopped (SIGTERM) and started again in
  turn and Redis killed for 3 s: no request fails (every answer 200), and the books
  agree exactly: credits spent = billable starts acknowledged = calls stored.

Writes target/cluster/report.json. Installs HAProxy (and redis-server) from Debian when
missing; a throwaway PostgreSQL cluster and Redis under target/cluster/. Standard library
only."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pg_cluster import Cluster, pg_bin  # noqa: E402
from server import ROOT, apt_install, cli, free_port, funded_account, require_binary, serve, verdict  # noqa: E402

STARTS = int(os.environ.get("CLUSTER_STARTS", "10000"))
SECONDS = int(os.environ.get("CLUSTER_SECONDS", "5"))
OHA = os.path.join(ROOT, "target", "tools", "bin", "oha")
CLIENTS = 64
NODES = 3
LIMIT = (300, 60)
KEY_CACHE_SECONDS = 300


def install():
    missing = [p for tool, p in [("haproxy", "haproxy"), ("redis-server", "redis-server")]
               if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}")]
    apt_install("cluster", missing)


def haproxy_bin():
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


def request(port, method, path, key=None, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"} | (headers or {})
    if key:
        h["Authorization"] = f"Bearer {key}"
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    response = conn.getresponse()
    status, payload = response.status, response.read()
    conn.close()
    return status, (json.loads(payload) if payload else None)


class Node:
    def __init__(self, n, env, work):
        self.n, self.env, self.work = n, env, work
        self.port = free_port()
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = os.path.join(self.work, f"node{self.n}.{self.starts}.log")
        limits = self.env.get("STICKYCALLS_RATE_LIMITS", "free=1000000/1")
        self.proc = serve(self.env, self.port, log, rate_limits=limits)

    def stop(self):
        """SIGTERM: stops accepting, lets in-flight requests finish."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


class Redis:
    def __init__(self, work):
        self.port = free_port()
        self.work = work
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/"

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.work],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        self.proc.kill()
        self.proc.wait()


class Balancer:
    """HAProxy running deploy/haproxy.cfg, its addresses rewritten to this run's."""

    def __init__(self, work, nodes):
        self.port = free_port()
        self.socket = os.path.join(work, "haproxy.sock")
        with open(os.path.join(ROOT, "deploy", "haproxy.cfg")) as f:
            config = f.read()
        config = config.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{self.port}")
        config = config.replace("/run/haproxy/admin.sock", self.socket)
        for node in nodes:
            config = re.sub(rf"server node{node.n} 127\.0\.0\.1:\d+",
                            f"server node{node.n} 127.0.0.1:{node.port}", config)
        self.config = os.path.join(work, "haproxy.cfg")
        with open(self.config, "w") as f:
            f.write(config)
        self.proc = subprocess.Popen([haproxy_bin(), "-db", "-f", self.config],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(work, "haproxy.log"), "w"))

    def admin(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.socket)
            s.sendall(command.encode() + b"\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        return out.decode()

    def up(self):
        """Names of the nodes HAProxy's checks find up."""
        lines = self.admin("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {r["svname"] for r in rows if r["pxname"] == "nodes" and r["status"].startswith("UP")}

    def wait_up(self, names, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if set(names) <= self.up():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"HAProxy never saw {names} up")

    def state(self, node, state):
        self.admin(f"set server nodes/node{node.n} state {state}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def rate_limit(lb, key):
    """Requests of one key over the three nodes against its plan's quota."""
    began = time.monotonic()
    accepted = sum(request(lb.port, "GET", "/v1/account", key)[0] == 200 for _ in range(3 * LIMIT[0]))
    elapsed = time.monotonic() - began
    refill = elapsed * LIMIT[0] / LIMIT[1]
    return accepted, elapsed, refill


def revocation_delays(nodes, key, rounds=5):
    """Milliseconds until the two other nodes refuse a key revoked on the first."""
    delays = []
    for _ in range(rounds):
        status, made = request(nodes[0].port, "POST", "/v1/keys", key, {"name": "rotating"})
        assert status == 201, made
        for node in nodes[1:]:
            assert request(node.port, "GET", "/v1/account", made["key"])[0] == 200
        status, _ = request(nodes[0].port, "DELETE", f"/v1/keys/{made['id']}", key)
        assert status == 204
        began = time.monotonic()
        for node in nodes[1:]:
            while request(node.port, "GET", "/v1/account", made["key"])[0] != 401:
                if time.monotonic() - began > 30:
                    return delays + [float("inf")]
                time.sleep(0.002)
        delays.append((time.monotonic() - began) * 1000)
    return delays


def retried_on_every_node(nodes, key):
    """The same start sent to each node: one call, one credit."""
    before = request(nodes[0].port, "GET", "/v1/account", key)[1]["credits_remaining"]
    body = {"call_id": "cluster-retry", "identity_hints": {"ani": "+14155550123"}}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    answers = [request(n.port, "POST", "/v1/calls/start", key, body, headers) for n in nodes]
    after = request(nodes[2].port, "GET", "/v1/account", key)[1]["credits_remaining"]
    same = all(a == answers[0] for a in answers) and answers[0][0] == 200
    return same, before - after


def throughput(lb, nodes, key, work):
    """Saturated returning starts through the balancer with 1, 2 and 3 nodes."""
    if not os.path.exists(OHA):
        return {"skipped": f"{OHA} missing (make bench-tools builds it)"}
    anis = [f"+1415556{i:04d}" for i in range(200)]
    for i, ani in enumerate(anis):
        request(lb.port, "POST", "/v1/calls/start", key,
                {"call_id": f"warm-{i}", "identity_hints": {"ani": ani}})
    bodies = os.path.join(work, "returning.jsonl")
    with open(bodies, "w") as f:
        for i in range(200_000):
            f.write(json.dumps({"call_id": f"ret-{uuid.uuid4().hex}",
                                "identity_hints": {"ani": anis[i % len(anis)]}}) + "\n")
    figures = {}
    for count in range(1, NODES + 1):
        for node in nodes:
            lb.state(node, "ready" if node.n <= count else "maint")
        time.sleep(1)
        out = subprocess.run(
            [OHA, "--no-tui", "-w", "--output-format", "json", "-m", "POST", "-z", f"{SECONDS}s",
             "-c", "32", "-H", f"Authorization: Bearer {key}", "-T", "application/json",
             "-Z", bodies, f"http://127.0.0.1:{lb.port}/v1/calls/start"],
            capture_output=True, text=True, check=True)
        summary = json.loads(out.stdout)
        statuses = summary["statusCodeDistribution"]
        figures[f"{count}_nodes"] = {"starts_per_second": round(summary["summary"]["requestsPerSec"]),
                                     "statuses": statuses}
    for node in nodes:
        lb.state(node, "ready")
    lb.wait_up([f"node{n.n}" for n in nodes])
    return figures


class Client(threading.Thread):
    """Billable starts (new callers) one after another through the balancer, each sent
    once; a failure is counted, then retried with the same Idempotency-Key for the books.
    Goes on past its share until `restarts_done` is set, so every restart happens under
    load."""

    def __init__(self, n, port, key, share, restarts_done):
        super().__init__(daemon=True)
        self.n, self.port, self.key, self.share = n, port, key, share
        self.restarts_done = restarts_done
        self.acknowledged = set()
        self.answered = 0
        self.failures = []

    def run(self):
        i = 0
        while i < self.share or not self.restarts_done.is_set():
            call_id = f"load-{self.n}-{i}"
            body = {"call_id": call_id, "identity_hints": {"ani": f"+1{300 + self.n}55{i:05d}"}}
            headers = {"Idempotency-Key": f"k-{call_id}"}
            for _ in range(100):
                try:
                    status, answer = request(self.port, "POST", "/v1/calls/start", self.key, body, headers)
                except (OSError, http.client.HTTPException) as e:
                    status, answer = None, str(e)
                if status == 200:
                    self.answered += 1
                    if answer["billable"]:
                        self.acknowledged.add(call_id)
                    break
                self.failures.append((call_id, status, str(answer)[:200]))
                time.sleep(0.1)
            i += 1


def rolling_restart(lb, nodes, redis, clients, log, done):
    """Each node drained, stopped and started again while the load runs; then Redis
    killed for 3 s. Sets `done` at the end (the clients stop after their share)."""
    def running():
        return any(c.is_alive() for c in clients)
    time.sleep(1)
    for node in nodes:
        lb.state(node, "drain")
        time.sleep(1)
        node.stop()
        node.start()
        # Ready again: HAProxy sends it requests once its health check passes.
        lb.state(node, "ready")
        lb.wait_up([f"node{node.n}"])
        log.append({"restarted": f"node{node.n}", "load_running": running()})
        time.sleep(0.5)
    redis.kill()
    time.sleep(3)
    redis.start()
    log.append({"redis_killed_for_seconds": 3, "load_running": running()})
    done.set()


class Stack:
    """A throwaway PostgreSQL (migrated) and Redis under target/, then three nodes and
    HAProxy in front of them; `stop` ends whatever was started."""

    def __init__(self, log_level):
        self.work = tempfile.mkdtemp(prefix="cluster.", dir=os.path.join(ROOT, "target"))
        self.pg = Cluster(os.path.join(self.work, "pg"))
        self.pg.init()
        self.pg.start()
        self.redis = Redis(self.work)
        self.redis.start()
        self.base = dict(os.environ, STICKYCALLS_DATABASE_URL=self.pg.url, RUST_LOG=log_level)
        self.nodes, self.lb = [], None
        cli(self.base, "migrate")

    def serve(self, **settings):
        """The nodes, with the shared settings and `settings` (STICKYCALLS_ variables)."""
        env = dict(self.base, STICKYCALLS_REDIS_URL=self.redis.url,
                   STICKYCALLS_DATABASE_POOL_SIZE="12", STICKYCALLS_TRUSTED_PROXIES="127.0.0.1")
        env |= {f"STICKYCALLS_{k.upper()}": str(v) for k, v in settings.items()}
        self.nodes = [Node(n, env, self.work) for n in range(1, NODES + 1)]
        for node in self.nodes:
            node.start()
        self.lb = Balancer(self.work, self.nodes)
        self.lb.wait_up([f"node{n.n}" for n in self.nodes])

    def stop(self):
        if self.lb:
            self.lb.stop()
        for node in self.nodes:
            if node.proc and node.proc.poll() is None:
                node.stop()
        self.redis.kill()
        self.pg.stop()


def serve_cluster():
    """`make cluster`: the same three nodes behind HAProxy, left running for a person."""
    require_binary()
    install()
    stack = Stack("info")
    try:
        _, key = funded_account(stack.base, "cluster", 10_000)
        stack.serve()
        lb, nodes = stack.lb, stack.nodes
        print(f"cluster: http://127.0.0.1:{lb.port} (HAProxy) in front of "
              f"{', '.join(f'127.0.0.1:{n.port}' for n in nodes)}")
        print(f"cluster: PostgreSQL {stack.pg.url}, Redis {stack.redis.url}; "
              f"logs and data in {stack.work}")
        print(f"cluster: test key {key}")
        print(f"cluster: HAProxy's runtime API: socat - UNIX:{lb.socket}  (Ctrl-C stops everything)")
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not leave PostgreSQL or Redis running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()


def main():
    if sys.argv[1:] == ["serve"]:
        return serve_cluster()
    require_binary()
    install()
    report_dir = os.path.join(ROOT, "target", "cluster")
    os.makedirs(report_dir, exist_ok=True)
    stack = Stack("warn")
    failures = []
    report = {"nodes": NODES}
    try:
        base = stack.base
        # The load goes on past CLUSTER_STARTS until the restarts are done.
        account, key = funded_account(base, "cluster", 3 * STARTS + 50_000)
        limited_account, limited_key = funded_account(base, "limited", 100)
        cli(base, "plans", "set", "--account", limited_account, "--plan", "starter")
        stack.serve(rate_limits=f"free=1000000/1,starter={LIMIT[0]}/{LIMIT[1]}",
                    key_cache_seconds=KEY_CACHE_SECONDS)
        lb, nodes, redis, pg = stack.lb, stack.nodes, stack.redis, stack.pg

        accepted, elapsed, refill = rate_limit(lb, limited_key)
        report["rate_limit"] = {"configured": f"{LIMIT[0]}/{LIMIT[1]}s", "sent": 3 * LIMIT[0],
                                "accepted": accepted, "seconds": round(elapsed, 2),
                                "refilled_meanwhile": round(refill, 1)}
        print(f"cluster: rate limit {LIMIT[0]}/{LIMIT[1]} s over {NODES} nodes: {accepted} of "
              f"{3 * LIMIT[0]} accepted in {elapsed:.1f} s")
        if not LIMIT[0] <= accepted <= LIMIT[0] + refill + 1:
            failures.append(f"{accepted} accepted for a quota of {LIMIT[0]} (+{refill:.1f} refilled)")

        delays = revocation_delays(nodes, key)
        report["revocation_ms"] = {"rounds": [round(d, 1) for d in delays],
                                   "median": round(statistics.median(delays), 1),
                                   "max": round(max(delays), 1),
                                   "key_cache_seconds": KEY_CACHE_SECONDS}
        print(f"cluster: revocation seen by the other nodes after {report['revocation_ms']}")
        if max(delays) > 5_000:
            failures.append(f"a revocation took {max(delays):.0f} ms to reach every node")

        same, spent = retried_on_every_node(nodes, key)
        report["retry_on_every_node"] = {"same_answer": same, "credits_spent": spent}
        if not same or spent != 1:
            failures.append(f"a start retried on {NODES} nodes: same answer {same}, {spent} credits")

        report["throughput"] = throughput(lb, nodes, key, stack.work)
        print(f"cluster: returning starts through HAProxy: {report['throughput']}")

        before = request(lb.port, "GET", "/v1/account", key)[1]
        per_client = -(-STARTS // CLIENTS)
        done = threading.Event()
        clients = [Client(n, lb.port, key, per_client, done) for n in range(CLIENTS)]
        began = time.monotonic()
        for c in clients:
            c.start()
        events = []
        restarter = threading.Thread(target=rolling_restart,
                                     args=(lb, nodes, redis, clients, events, done))
        restarter.start()
        restarter.join()
        for c in clients:
            c.join()
        load_seconds = time.monotonic() - began
        after = request(lb.port, "GET", "/v1/account", key)[1]
        acknowledged = set().union(*(c.acknowledged for c in clients))
        failed = [f for c in clients for f in c.failures]
        stored = int(subprocess.run(
            [pg_bin("psql"), pg.url, "-qAt", "-c",
             "SELECT count(*) FROM calls WHERE call_id LIKE 'load-%' AND billable"],
            check=True, capture_output=True, text=True).stdout.strip())
        spent = before["credits_remaining"] - after["credits_remaining"]
        report["load"] = {"billable_starts": len(acknowledged), "clients": CLIENTS,
                          "seconds": round(load_seconds, 1),
                          "starts_per_second": round(len(acknowledged) / load_seconds),
                          "failed_requests": len(failed), "credits_spent": spent,
                          "billable_calls_stored": stored, "during": events}
        print(f"cluster: {len(acknowledged)} billable starts in {load_seconds:.1f} s by {CLIENTS} "
              f"clients, {len(failed)} failed; credits spent {spent}, billable calls stored "
              f"{stored}; {events}")
        answered = sum(c.answered for c in clients)
        if len(acknowledged) != answered or answered < per_client * CLIENTS:
            failures.append(f"{len(acknowledged)} billable of {answered} starts answered "
                            f"(at least {per_client * CLIENTS} sent)")
        if failed:
            failures.append(f"{len(failed)} requests failed during the restarts, e.g. {failed[0]}")
        if not (spent == stored == len(acknowledged)):
            failures.append(f"credits spent {spent}, calls stored {stored}, acknowledged {len(acknowledged)}")
        if not all(e["load_running"] for e in events):
            failures.append(f"the load ended before the restarts did: {events}")
    finally:
        stack.stop()
    with open(os.path.join(report_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(f"cluster: report in {os.path.join(report_dir, 'report.json')}")
    verdict("cluster", failures)


if __name__ == "__main__":
    main()
