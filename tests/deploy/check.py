"""`make deploy-check`: the deployment files work as docs/DEPLOY.md says.

- deploy/nginx.conf and deploy/Caddyfile, each run for real (on loopback ports, with a
  throwaway certificate for nginx and Caddy's internal CA for `localhost`) in front of a
  release server started with STICKYCALLS_TRUSTED_PROXIES=127.0.0.1,::1: health answers
  through TLS, and a client's own X-Forwarded-For is replaced by the proxy, so two
  signups from this machine with different forged addresses count as one client
  (signup=1/3600: the second is refused);
- deploy/stickycalls.service passes `systemd-analyze verify`;
- the Dockerfile and compose.yaml name what the docs say (no Docker engine here to build).

Installs nginx and caddy from Debian when missing. Standard library only."""

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from server import BIN, ROOT, apt_install, free_port, require_binary, serve, verdict  # noqa: E402

DEPLOY = os.path.join(ROOT, "deploy")


def install():
    apt_install("deploy-check", [p for tool, p in [("nginx", "nginx-light"), ("caddy", "caddy"), ("openssl", "openssl")]
                                 if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}")])


def request(url, body=None, headers=None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def wait_for(url):
    for _ in range(100):
        try:
            if request(url) == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def through(name, base, failures):
    if not wait_for(f"{base}/v1/health"):
        failures.append(f"{name}: /v1/health does not answer through the proxy")
        return
    first = request(f"{base}/v1/accounts", {"email": f"a@{name}.example", "name": "A"},
                    {"X-Forwarded-For": "198.51.100.1"})
    second = request(f"{base}/v1/accounts", {"email": f"b@{name}.example", "name": "B"},
                     {"X-Forwarded-For": "198.51.100.2"})
    if (first, second) != (201, 429):
        failures.append(f"{name}: two signups with forged X-Forwarded-For answered {first}, {second}; "
                        "expected 201 then 429 (the proxy must overwrite the header)")


def nginx(tmp, upstream_port, failures):
    port = free_port()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", f"{tmp}/key.pem", "-out", f"{tmp}/cert.pem"], check=True, capture_output=True)
    with open(os.path.join(DEPLOY, "nginx.conf")) as f:
        site = f.read()
    site = (site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
                .replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
                .replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream_port};")
                .replace("/etc/letsencrypt/live/calls.example.com/fullchain.pem", f"{tmp}/cert.pem")
                .replace("/etc/letsencrypt/live/calls.example.com/privkey.pem", f"{tmp}/key.pem"))
    with open(f"{tmp}/site.conf", "w") as f:
        f.write(site)
    with open(f"{tmp}/nginx.conf", "w") as f:
        f.write(f"pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log; events {{}}\n"
                f"http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp};\n"
                f"  include {tmp}/site.conf; }}\n")
    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    test = subprocess.run([nginx_bin, "-t", "-c", f"{tmp}/nginx.conf", "-p", tmp], capture_output=True, text=True)
    if test.returncode != 0:
        failures.append(f"nginx: the configuration does not load: {test.stderr}")
        return
    proc = subprocess.Popen([nginx_bin, "-c", f"{tmp}/nginx.conf", "-p", tmp, "-g", "daemon off;"])
    try:
        through("nginx", f"https://127.0.0.1:{port}", failures)
    finally:
        proc.terminate()
        proc.wait()


def caddy(tmp, upstream_port, failures):
    port = free_port()
    with open(os.path.join(DEPLOY, "Caddyfile")) as f:
        config = f.read()
    config = ("{\n\tadmin off\n\tskip_install_trust\n\thttp_port " + str(free_port()) + "\n}\n" +
              config.replace("calls.example.com", f"localhost:{port}").replace("127.0.0.1:8080", f"127.0.0.1:{upstream_port}"))
    with open(f"{tmp}/Caddyfile", "w") as f:
        f.write(config)
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=tmp, XDG_CONFIG_HOME=tmp)
    check = subprocess.run(["caddy", "validate", "--config", f"{tmp}/Caddyfile", "--adapter", "caddyfile"],
                           capture_output=True, text=True, env=env)
    if check.returncode != 0:
        failures.append(f"caddy: the Caddyfile does not validate: {check.stderr[-1500:]}")
        return
    proc = subprocess.Popen(["caddy", "run", "--config", f"{tmp}/Caddyfile", "--adapter", "caddyfile"],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/caddy.log", "w"))
    try:
        through("caddy", f"https://localhost:{port}", failures)
    finally:
        proc.terminate()
        proc.wait()


def systemd(tmp, failures):
    with open(os.path.join(DEPLOY, "stickycalls.service")) as f:
        unit = f.read().replace("/usr/local/bin/stickycalls", BIN)
    path = f"{tmp}/stickycalls.service"
    with open(path, "w") as f:
        f.write(unit)
    if not shutil.which("systemd-analyze"):
        print("deploy-check: systemd-analyze missing; the unit is not verified")
        return
    done = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)
    problems = [line for line in done.stderr.splitlines() if "stickycalls.service" in line]
    if done.returncode != 0 or problems:
        failures.append(f"systemd: {done.stderr.strip()}")


def container_files(failures):
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        dockerfile = f.read()
    for needed in ["AS build", "cargo build --release --locked -p stickycalls", "USER stickycalls",
                   "STICKYCALLS_LISTEN=0.0.0.0:8080", 'VOLUME ["/data"]']:
        if needed not in dockerfile:
            failures.append(f"Dockerfile: no `{needed}`")
    with open(os.path.join(ROOT, "compose.yaml")) as f:
        compose = f.read()
    for needed in ["postgres:", "STICKYCALLS_DATABASE_URL: postgres://", "condition: service_healthy",
                   "STICKYCALLS_MASTER_KEY: ${STICKYCALLS_MASTER_KEY:?"]:
        if needed not in compose:
            failures.append(f"compose.yaml: no `{needed}`")


def main():
    require_binary()
    install()
    failures = []
    with tempfile.TemporaryDirectory(prefix="stickycalls-deploy-") as tmp:
        for name, check in [("nginx", nginx), ("caddy", caddy)]:
            os.makedirs(f"{tmp}/{name}")
            env = dict(os.environ, STICKYCALLS_DATABASE_URL=f"sqlite://{tmp}/{name}/calls.db", RUST_LOG="warn")
            port = free_port()
            server = serve(env, port, f"{tmp}/{name}/server.log", trusted_proxies="127.0.0.1,::1",
                           rate_limits="free=1000000/1,signup=1/3600")
            try:
                check(f"{tmp}/{name}", port, failures)
            finally:
                server.terminate()
                server.wait()
        systemd(tmp, failures)
    container_files(failures)
    verdict("deploy-check", failures)


if __name__ == "__main__":
    main()
