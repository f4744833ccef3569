"""`make examples`: every example of docs/examples/ (seven languages) and every guide's
runnable code (docs/guides/code/) against a live server on a temporary SQLite store,
installing the runtimes they need; fails on any wrong answer.

Each language example prints the same lines (`label: key=value ...`), checked here:
the seeds' Test Match Logic (a new caller, saved, then recognised), retries under one
Idempotency-Key through a flaky proxy (503, then 429, then the answer), a 3 s timeout
against a proxy that never answers, and a 401 that falls back. Standard library only."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import faults  # noqa: E402
import guides  # noqa: E402
from server import BIN, ROOT, apt_install, free_port, funded_account, require_binary, serve, verdict  # noqa: E402

EXAMPLES = os.path.join(ROOT, "docs", "examples")
WORK = os.path.join(ROOT, "target", "examples")
VENV = os.path.join(ROOT, "target", "venv-examples")
VENV_PY = os.path.join(VENV, "bin", "python")
GSON = "/usr/share/java/gson.jar"

# What each runtime needs from Debian when it is missing: (test, packages).
DEBIAN = [
    (lambda: shutil.which("php") and subprocess.run(["php", "-r", "exit(function_exists('curl_init') ? 0 : 1);"]).returncode == 0,
     ["php-cli", "php-curl"]),
    (lambda: shutil.which("ruby"), ["ruby"]),
    (lambda: shutil.which("mcs") and os.path.exists("/usr/lib/mono/4.5/System.Web.Extensions.dll"),
     ["mono-mcs", "mono-runtime", "libmono-system-net-http4.0-cil", "libmono-system-web-extensions4.0-cil"]),
    (lambda: shutil.which("java") and shutil.which("javac"), ["openjdk-17-jdk-headless"]),
    (lambda: os.path.exists(GSON), ["libgoogle-gson-java"]),
    (lambda: shutil.which("node"), ["nodejs"]),
    (lambda: shutil.which("jq"), ["jq"]),
    (lambda: shutil.which("curl"), ["curl"]),
    (lambda: shutil.which("chromium"), ["chromium"]),
]
REQUESTS = "requests==2.32.3"
NEWMAN = "newman@6.2.2"
NODE_TOOLS = os.path.join(ROOT, "target", "node-examples")
COLLECTION = os.path.join(ROOT, "docs", "postman", "stickycalls.postman_collection.json")


def install():
    apt_install("examples", [p for test, packages in DEBIAN if not test() for p in packages])
    if not os.path.exists(VENV_PY):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", REQUESTS],
                   check=True)
    os.makedirs(WORK, exist_ok=True)
    # Postman's command-line runner, for the collection's Test Match Logic folder.
    if not os.path.exists(os.path.join(NODE_TOOLS, "node_modules", ".bin", "newman")):
        os.makedirs(NODE_TOOLS, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", NODE_TOOLS, NEWMAN],
                       check=True)
    # C# compiles once with Mono's compiler.
    subprocess.run(["mcs", "-nologo", f"-out:{WORK}/Example.exe", "-r:System.Net.Http",
                    "-r:System.Web.Extensions", os.path.join(EXAMPLES, "csharp", "Example.cs")], check=True)


def version(command):
    out = subprocess.run(command, capture_output=True, text=True)
    first = (out.stdout or out.stderr).strip().splitlines()[0]
    return " ".join(first.split()[:3])


LANGUAGES = [
    ("curl", ["bash", f"{EXAMPLES}/curl/example.sh"], ["curl", "--version"]),
    ("python", [VENV_PY, f"{EXAMPLES}/python/example.py"], [VENV_PY, "--version"]),
    ("node", ["node", f"{EXAMPLES}/node/example.mjs"], ["node", "--version"]),
    ("ruby", ["ruby", f"{EXAMPLES}/ruby/example.rb"], ["ruby", "--version"]),
    ("php", ["php", f"{EXAMPLES}/php/example.php"], ["php", "--version"]),
    ("java", ["java", "-cp", GSON, f"{EXAMPLES}/java/Example.java"], ["java", "-version"]),
    ("csharp", ["mono", f"{WORK}/Example.exe"], ["mono", "--version"]),
]

FIELD = re.compile(r"(\w+)=(.*?)(?= \w+=|$)")


def parse(out):
    lines = {}
    for line in out.splitlines():
        label, sep, rest = line.partition(": ")
        if sep and re.fullmatch(r"\w+", label):
            lines[label] = dict(FIELD.findall(rest))
    return lines


NEW = {"fallback": "false", "recommendation": "ignore", "level": "low",
       "action": "standard_greeting", "queue": "general", "note": ""}
KNOWN = {"fallback": "false", "recommendation": "reuse", "action": "greet_with_context",
         "queue": "billing", "note": "Test context"}
FALLBACK = {"fallback": "true", "recommendation": "ignore", "level": "low",
            "action": "standard_greeting", "queue": "general", "note": ""}
EXPECTED = {
    "first": dict(NEW, status="200", attempts="1"),
    "end": {"status": "200", "fallback": "false"},
    "second": dict(KNOWN, status="200", attempts="1"),
    "retried": dict(KNOWN, status="200", attempts="3"),
    "timeout": dict(FALLBACK, status="0", attempts="1"),
    "unauthorized": dict(FALLBACK, status="401", attempts="1"),
}


def check_language(name, out, proxy, prefix, elapsed):
    failures = []
    lines = parse(out)
    for label, expected in EXPECTED.items():
        got = lines.get(label)
        if got is None:
            failures.append(f"{name}: no `{label}:` line")
            continue
        for key, value in expected.items():
            if got.get(key) != value:
                failures.append(f"{name}: {label} {key}={got.get(key)!r}, expected {value!r}")
    tries = proxy.attempts.get(f"{prefix}_003:start", 0)
    if tries != 3:
        failures.append(f"{name}: the flaky proxy saw {tries} tries under one Idempotency-Key, expected 3")
    if elapsed > 30:
        failures.append(f"{name}: took {elapsed:.0f} s")
    return failures


def reference_page(base, report):
    """`/docs` in headless Chromium: it renders the operations, logs no script error and
    no refused load (the Content-Security-Policy allows this server only, so anything
    fetched from another host would be refused and logged)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stickycalls-chromium-") as profile:
        shot = os.path.join(profile, "docs.png")
        done = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=8000",
             "--window-size=1280,900", f"--screenshot={shot}", f"{base}/docs"],
            capture_output=True, text=True, timeout=120)
        console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
        size = os.path.getsize(shot) if os.path.exists(shot) else 0
    failures = [f"/docs: the browser console says: {line}" for line in console
                if "Refused to" in line or "Uncaught" in line or "Error" in line]
    if size < 30_000:
        failures.append(f"/docs: the page did not render (screenshot of {size} bytes)")
    report.append(("reference page /docs (chromium)", version(["chromium", "--version"]), time.monotonic() - started,
                   not failures))
    return failures


def postman(env, base, report):
    """The collection's Test Match Logic folder with newman, on an account of its own."""
    _, key = funded_account(env, "Postman", 10)
    started = time.monotonic()
    done = subprocess.run(
        [os.path.join(NODE_TOOLS, "node_modules", ".bin", "newman"), "run", COLLECTION,
         "--folder", "Test Match Logic", "--env-var", f"baseUrl={base}", "--env-var", f"apiKey={key}",
         "--bail", "--color", "off"], capture_output=True, text=True, timeout=120)
    ok = done.returncode == 0 and "assertions" in done.stdout
    report.append(("postman collection (newman)", version([os.path.join(NODE_TOOLS, "node_modules", ".bin", "newman"), "--version"]),
                   time.monotonic() - started, ok))
    return [] if ok else [f"postman: newman failed:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"]


def main():
    require_binary()
    install()
    failures, report = [], []
    with tempfile.TemporaryDirectory(prefix="stickycalls-examples-") as tmp:
        env = dict(os.environ, STICKYCALLS_DATABASE_URL=f"sqlite://{tmp}/examples.db",
                   RUST_LOG="warn")
        account, key = funded_account(env, "Examples", 1000)
        port = free_port()
        server = serve(env, port, os.path.join(tmp, "server.log"))
        base = f"http://127.0.0.1:{port}"
        proxy = faults.Faults(base)
        flaky, slow = faults.start(proxy.flaky()), faults.start(faults.Faults.slow())
        try:
            for i, (name, command, version_command) in enumerate(LANGUAGES):
                prefix = f"ex_{name}"
                run_env = dict(os.environ, STICKYCALLS_URL=base, STICKYCALLS_KEY=key,
                               EXAMPLE_ANI=f"+1415555{7000 + i}", EXAMPLE_PREFIX=prefix,
                               FLAKY_URL=flaky, SLOW_URL=slow)
                started = time.monotonic()
                done = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=120)
                elapsed = time.monotonic() - started
                found = check_language(name, done.stdout, proxy, prefix, elapsed)
                if done.returncode != 0:
                    found.append(f"{name}: exit {done.returncode}: {done.stderr[-2000:]}")
                if found:
                    print(done.stdout, done.stderr, sep="\n")
                failures += found
                report.append((name, version(version_command), elapsed, not found))
            failures += postman(env, base, report)
            failures += reference_page(base, report)
            failures += guides.run_all(base, key, env, report)
        finally:
            server.terminate()
            server.wait()
    print("examples:")
    for name, runtime, elapsed, ok in report:
        print(f"  {'ok  ' if ok else 'FAIL'} {name:<38} {elapsed:5.1f} s  {runtime}")
    verdict("examples", failures)


if __name__ == "__main__":
    main()
