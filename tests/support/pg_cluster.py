#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the scripted suites (fuzz-api, chaos): initdb and
pg_ctl from PATH or the newest /usr/lib/postgresql/*/bin, run as `postgres` when we are
root (initdb refuses root), trust auth on 127.0.0.1 and a free port.

As a command: `pg_cluster.py start DIR` prints the URL; `pg_cluster.py stop DIR`."""

import glob
import os
import shutil
import socket
import subprocess
import sys


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        sys.exit(f"{name}: no PostgreSQL programs on PATH or under /usr/lib/postgresql")
    return os.path.join(dirs[-1], name)


def as_postgres(args):
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Cluster:
    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.data = os.path.join(self.dir, "data")
        self.port_file = os.path.join(self.dir, "port")

    @property
    def url(self):
        with open(self.port_file) as f:
            return f"postgres://postgres@127.0.0.1:{f.read().strip()}/postgres"

    def init(self):
        os.makedirs(self.dir, exist_ok=True)
        if os.geteuid() == 0:
            # `postgres` must reach the cluster: a work directory from mktemp is 0700.
            os.chmod(os.path.dirname(self.dir), 0o755)
            subprocess.run(["chown", "-R", "postgres", self.dir], check=True)
        subprocess.run(as_postgres([pg_bin("initdb"), "-D", self.data, "-U", "postgres",
                                    "--auth=trust", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with open(self.port_file, "w") as f:
            f.write(str(port))

    def start(self):
        with open(self.port_file) as f:
            port = f.read().strip()
        options = f"-p {port} -k {self.dir} -c listen_addresses=127.0.0.1"
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-o", options,
                                    "-l", os.path.join(self.dir, "log"), "-w", "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    command, directory = sys.argv[1], sys.argv[2]
    cluster = Cluster(directory)
    if command == "start":
        cluster.init()
        cluster.start()
        print(cluster.url)
    else:
        cluster.stop("immediate")
