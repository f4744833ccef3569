"""What the scripted suites (attack, chaos) share: the release binary, a free port, an
account with credits made by the operator CLI, a server started until it listens, and
the verdict. Standard library only."""

import json
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "stickycalls")


def apt_install(suite, packages):
    """Installs Debian `packages` (as root, or with sudo), saying so; none: nothing."""
    if not packages:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print(f"{suite}: installing {' '.join(packages)}", flush=True)
    quiet = dict(check=True, stdout=subprocess.DEVNULL)
    subprocess.run(sudo + ["apt-get", "update", "-q"], **quiet)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-q", *packages], **quiet,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def require_binary():
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} is missing: run `cargo build --release -p stickycalls`")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env, *args):
    return subprocess.run([BIN, *args], env=env, check=True, capture_output=True, text=True).stdout


def funded_account(env, name, credits):
    """A new account's id and test key, its test environment granted `credits`."""
    opened = json.loads(cli(env, "accounts", "create", "--name", name))
    cli(env, "credits", "grant", "--account", opened["account_id"], "--env", "test",
        "--amount", str(credits))
    return opened["account_id"], opened["keys"]["test"]


def serve(env, port, log_path, **settings):
    """The server on `port`, once it listens; `settings` are STICKYCALLS_ variables."""
    extra = {f"STICKYCALLS_{k.upper()}": str(v) for k, v in settings.items()}
    proc = subprocess.Popen(
        [BIN, "serve"], stdout=subprocess.PIPE, stderr=open(log_path, "w"), text=True,
        env=dict(env, STICKYCALLS_LISTEN=f"127.0.0.1:{port}",
                 STICKYCALLS_RATE_LIMITS="free=1000000/1") | extra)
    for line in proc.stdout:
        if line.startswith("listening on"):
            return proc
    raise RuntimeError(f"the server did not start (see {log_path})")


def verdict(suite, failures):
    for f in failures:
        print(f"{suite}: FAILED: {f}")
    if not failures:
        print(f"{suite}: passed")
    sys.exit(1 if failures else 0)
