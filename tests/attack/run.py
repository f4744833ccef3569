#!/usr/bin/env python3
"""The attack mix (`make attack`): a SQLite server under hostile traffic for
ATTACK_SECONDS (default 60) beside one tenant's valid calls.

Hostile traffic, from a second tenant and from nobody: malformed, oversized and
wrongly typed bodies with its own keys and with unknown keys of the real shape (never
cached, so each is looked up), NUL bytes in every text field, oversized headers, and
ATTACK_STALLED (default 1000) connections that send part of their headers, or all their
headers and part of a body, and then stall.

Passes when: every valid start is answered 200; no answer is a 5xx; the server log
holds no panic; every stalled connection is closed by the server within the client
time-out (plus a little scheduling slack). Standard library only."""

import asyncio
import json
import os
import re
import secrets
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from server import ROOT, cli, free_port, funded_account, require_binary, serve, verdict  # noqa: E402

SECONDS = float(os.environ.get("ATTACK_SECONDS", "60"))
STALLED = int(os.environ.get("ATTACK_STALLED", "1000"))
TIMEOUT = 5  # the server's client time-out for this run, seconds
SLACK = 3


async def request(port, method, path, key=None, body=b"", headers=()):
    """One request on its own connection; the status, or None if the server closed
    the connection without answering."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             f"Content-Length: {len(body)}", "Content-Type: application/json", *headers]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 30)
        await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    match = re.match(rb"HTTP/1\.1 (\d{3})", status_line)
    return int(match.group(1)) if match else None


class Tally:
    def __init__(self):
        self.valid = {}
        self.hostile = {}
        self.stalled_closed = []  # seconds from the stall to the server's close
        self.stalled_open = 0

    def count(self, table, status):
        table[status] = table.get(status, 0) + 1


def unknown_key():
    return f"sk_test_{secrets.token_hex(8)}_{secrets.token_hex(32)}"


def hostile_requests(attacker_key):
    """(key, body, headers) of every hostile class, round and round."""
    big = json.dumps({"call_id": "x", "pad": "a" * 70_000}).encode()
    nul = json.dumps({
        "call_id": "nul\u0000id",
        "identity_hints": {"ani": "+1415555\u00001234", "customer_ref": "a\u0000b",
                           "external_ids": {"crm": "C\u00001"}},
    }).encode()
    bodies = [b"{", b"[1,2", b"\x00\xff\xfe", big, nul,
              json.dumps({"call_id": 5, "identity_hints": []}).encode(),
              json.dumps({"call_id": "c", "telco": {"line_type": "satellite"}}).encode()]
    n = 0
    while True:
        body = bodies[n % len(bodies)]
        key = attacker_key if n % 3 == 0 else unknown_key()
        headers = [f"X-Big: {'h' * 200_000}"] if n % 11 == 0 else []
        yield key, body, headers
        n += 1


async def valid_traffic(port, key, tally, until):
    n = 0
    while time.monotonic() < until:
        n += 1
        body = json.dumps({
            "call_id": f"valid-{os.getpid()}-{n}-{secrets.token_hex(4)}",
            "identity_hints": {"ani": f"+1415555{n % 10_000:04d}"},
        }).encode()
        status = await request(port, "POST", "/v1/calls/start", key, body)
        tally.count(tally.valid, status)


async def hostile_traffic(port, attacker_key, tally, until):
    requests = hostile_requests(attacker_key)
    while time.monotonic() < until:
        key, body, headers = next(requests)
        try:
            status = await request(port, "POST", "/v1/calls/start", key, body, headers)
        except (ConnectionError, OSError):
            status = None  # the server may cut a hostile request: that is allowed
        tally.count(tally.hostile, status)


async def stalled(port, tally, n):
    """A connection that sends part of a request and then waits for the server to
    close it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if n % 2:
        writer.write(b"POST /v1/calls/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    else:
        writer.write(b"POST /v1/calls/start HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"call")
    await writer.drain()
    start = time.monotonic()
    try:
        await asyncio.wait_for(reader.read(), TIMEOUT * 2 + 30)
        tally.stalled_closed.append(time.monotonic() - start)
    except asyncio.TimeoutError:
        tally.stalled_open += 1
    finally:
        writer.close()


async def stall_waves(port, tally, until):
    waves = []
    while time.monotonic() < until:
        waves.append(asyncio.gather(*(stalled(port, tally, n) for n in range(STALLED))))
        await asyncio.sleep(TIMEOUT * 2)
    await asyncio.gather(*waves)


async def attack(port, victim_key, attacker_key):
    tally = Tally()
    until = time.monotonic() + SECONDS
    await asyncio.gather(
        *(valid_traffic(port, victim_key, tally, until) for _ in range(8)),
        *(hostile_traffic(port, attacker_key, tally, until) for _ in range(16)),
        stall_waves(port, tally, until),
    )
    return tally


def main():
    require_binary()
    work = tempfile.mkdtemp(prefix="attack.", dir=os.path.join(ROOT, "target"))
    env = dict(os.environ, STICKYCALLS_DATABASE_URL=f"sqlite://{work}/attack.db", RUST_LOG="warn")
    cli(env, "migrate")
    _, victim = funded_account(env, "victim", 10_000_000)
    _, attacker = funded_account(env, "attacker", 10_000_000)
    port = free_port()
    log = os.path.join(work, "server.log")
    server = serve(env, port, log, client_timeout_seconds=TIMEOUT)
    print(f"attack: {SECONDS:.0f} s against SQLite on port {port}, {STALLED} stalled "
          f"connections per wave, client time-out {TIMEOUT} s")
    try:
        tally = asyncio.run(attack(port, victim, attacker))
    finally:
        server.terminate()
        server.wait(30)
    panics = open(log).read().count("panicked")
    slowest = max(tally.stalled_closed, default=0.0)
    print(f"valid starts: {tally.valid}")
    print(f"hostile requests: {tally.hostile}")
    print(f"stalled connections: {len(tally.stalled_closed)} closed by the server, "
          f"slowest after {slowest:.1f} s; {tally.stalled_open} left open")
    print(f"panics in the server log: {panics}")
    failures = []
    if set(tally.valid) != {200}:
        failures.append("a valid start was not answered 200")
    if any(s is not None and s >= 500 for s in tally.hostile):
        failures.append("a hostile request got a 5xx")
    if panics:
        failures.append("the server panicked")
    if tally.stalled_open or slowest > TIMEOUT + SLACK:
        failures.append(f"a stalled connection outlived the {TIMEOUT} s time-out")
    verdict("attack", failures)


if __name__ == "__main__":
    main()
