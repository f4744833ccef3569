"""Fault proxies in front of the real server, for the examples' error handling:
FLAKY answers 503, then 429 with Retry-After: 1, then forwards (per Idempotency-Key,
counting attempts); SLOW holds every request for 5 s and answers nothing. Standard
library only."""

import http.server
import threading
import time
import urllib.error
import urllib.request


class Faults:
    def __init__(self, upstream):
        self.upstream = upstream
        self.attempts = {}  # Idempotency-Key -> requests seen by FLAKY
        self.lock = threading.Lock()

    def forward(self, handler, body):
        request = urllib.request.Request(
            self.upstream + handler.path, data=body, method=handler.command,
            headers={k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def flaky(self):
        faults = self

        class Flaky(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with faults.lock:
                    faults.attempts[key] = faults.attempts.get(key, 0) + 1
                    seen = faults.attempts[key]
                if seen == 1:
                    return self.answer(503, {"Retry-After": "1"}, b'{"error":"Service Unavailable","code":"service_unavailable"}')
                if seen == 2:
                    return self.answer(429, {"Retry-After": "1"}, b'{"error":"Too Many Requests","code":"rate_limited"}')
                status, headers, answer = faults.forward(self, body)
                self.answer(status, {"Content-Type": headers.get("Content-Type", "application/json")}, answer)

            def answer(self, status, headers, body):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Flaky

    @staticmethod
    def slow():
        class Slow(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                time.sleep(5)
                self.close_connection = True

            do_GET = do_POST

        return Slow


def start(handler):
    """Serves `handler` on a free loopback port in a thread; returns its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"
