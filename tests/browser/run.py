"""`make test-browser`: the web console in headless Chromium. Installs what it needs
when missing (Debian's `chromium` and `nodejs`/`npm`; playwright-core and axe-core,
pinned, under target/node-browser), starts the release server on a temporary SQLite
store with accounts for each check (one funded, one under 20 % of its credits, one at
0, one on a second server whose sessions go idle after a few seconds), then runs
console.mjs. Screenshots of every page go to target/console-screenshots/. Standard
library only."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from server import ROOT, apt_install, cli, free_port, require_binary, serve  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_TOOLS = os.path.join(ROOT, "target", "node-browser")
PACKAGES = ["playwright-core@1.57.0", "axe-core@4.11.0"]
SHOTS = os.path.join(ROOT, "target", "console-screenshots")
IDLE_SECONDS = 3


def install():
    apt_install("browser", [pkg for tool, pkg in [("chromium", "chromium"), ("node", "nodejs"), ("npm", "npm")]
                            if not shutil.which(tool)])
    wanted = {p.rsplit("@", 1)[0]: p.rsplit("@", 1)[1] for p in PACKAGES}
    installed = {}
    for name in wanted:
        manifest = os.path.join(NODE_TOOLS, "node_modules", name, "package.json")
        if os.path.exists(manifest):
            installed[name] = json.load(open(manifest))["version"]
    if installed != wanted:
        os.makedirs(NODE_TOOLS, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", NODE_TOOLS,
                        *PACKAGES], check=True)


def post(base, path, key, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def account(env, name):
    """A new account's test and production keys (the free plan's allowance only)."""
    opened = json.loads(cli(env, "accounts", "create", "--name", name))
    return opened["keys"]["test"], opened["keys"].get("prod")


def spend(base, key, starts, tag):
    """`starts` billable starts: each a new caller."""
    for i in range(starts):
        post(base, "/v1/calls/start", key,
             {"call_id": f"{tag}-{i}", "identity_hints": {"ani": f"+1312555{i:04d}"}})


def main():
    require_binary()
    install()
    shutil.rmtree(SHOTS, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="stickycalls-browser-") as tmp:
        env = dict(os.environ, STICKYCALLS_DATABASE_URL=f"sqlite://{tmp}/console.db", RUST_LOG="warn")
        opened = json.loads(cli(env, "accounts", "create", "--name", "Console"))
        cli(env, "credits", "grant", "--account", opened["account_id"], "--env", "test", "--amount", "1000")
        key, prod_key = opened["keys"]["test"], opened["keys"]["prod"]
        low_key, _ = account(env, "Low credits")
        empty_key, _ = account(env, "No credits")
        idle_env = dict(env, STICKYCALLS_DATABASE_URL=f"sqlite://{tmp}/idle.db")
        idle_key, _ = account(idle_env, "Idle")
        port, idle_port = free_port(), free_port()
        server = serve(env, port, os.path.join(tmp, "server.log"))
        idle = serve(idle_env, idle_port, os.path.join(tmp, "idle.log"),
                     console_idle_seconds=IDLE_SECONDS)
        base = f"http://127.0.0.1:{port}"
        try:
            # A customer with a number, a CRM id, an open intent and a variable.
            ani = "+14155550199"
            started = post(base, "/v1/calls/start", key, {"call_id": "b1", "identity_hints": {"ani": ani}})
            ref = started["customer_ref"]
            post(base, "/v1/calls/end", key, {
                "call_id": "b1", "customer_ref": ref, "identity_hints": {"ani": ani, "external_ids": {"crm": "C-77"}},
                "intent": "billing_dispute", "intent_status": "open",
                "variables": {"prefers_sms": {"value": "yes", "ttl_seconds": 86400}}})
            post(base, "/v1/calls/start", key, {"call_id": "b2", "identity_hints": {"ani": ani}})
            # The free plan's 100 credits: 85 spent leaves 15 %, 100 spent leaves none.
            spend(base, low_key, 85, "low")
            spend(base, empty_key, 100, "empty")
            run_env = dict(os.environ, BASE=base, KEY=key, PROD_KEY=prod_key,
                           LOW_KEY=low_key, EMPTY_KEY=empty_key, CUSTOMER_ANI=ani, CUSTOMER_REF=ref,
                           IDLE_BASE=f"http://127.0.0.1:{idle_port}", IDLE_KEY=idle_key,
                           IDLE_SECONDS=str(IDLE_SECONDS), SHOTS=SHOTS,
                           CHROMIUM=shutil.which("chromium"),
                           AXE_JS=os.path.join(NODE_TOOLS, "node_modules", "axe-core", "axe.min.js"),
                           NODE_TOOLS=NODE_TOOLS)
            print("browser: the console in headless Chromium", flush=True)
            done = subprocess.run(["node", os.path.join(HERE, "console.mjs")], env=run_env, timeout=600)
        finally:
            for proc in (server, idle):
                proc.terminate()
                proc.wait()
    print(f"browser: screenshots in {os.path.relpath(SHOTS, ROOT)}/")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
