#!/usr/bin/env python3
"""Scale-out of the prover service on PostgreSQL: 1, 2 and 4 `l2x worker` processes.

For each worker count: a fresh database, `l2x serve --workers 0` on it, a batch of STARK jobs
submitted before any worker starts, then the workers (one pool thread each); the clock runs from
the workers' start until the queue is empty. Each worker prints at SIGTERM where its time went
(proving, queue calls between its jobs, idle, and the time its finisher thread spent storing
results beside the workers); the table gives jobs/s, proving-seconds/s, the queue's time per job
between jobs (also as a share of a 100 ms job and of the measured job), the storing time per job
and jobs per commit, and the idle time.

With --netns, every worker runs in its own network namespace (ip netns, a veth pair) and reaches
PostgreSQL over that link through a socat relay (and --rtt-ms of delay, where the kernel has
netem): N hosts on one machine. Needs root, iproute2 and socat. With --nice, the workers run at
a lower priority than PostgreSQL, as if the database had a host of its own.

  python3 scripts/scale_out.py --l2x target/release/l2x [--jobs 48] [--n 1000] [--netns]
"""

import argparse
import json
import subprocess
import sys
import time
import urllib.request

ADMIN = "postgres://root@127.0.0.1:5432/test"
RELAY_PORT = 5433


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def psql(sql):
    sh("psql", ADMIN, "-qAt", "-c", sql)


def http_json(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def start(cmd, netns=None, nice=0):
    if nice:
        cmd = ["nice", "-n", str(nice)] + cmd
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    banner = json.loads(process.stdout.readline())
    return process, banner


class Hosts:
    """Namespaces l2x-host-K with a veth link to the root namespace (10.77.K.1 <-> 10.77.K.2)."""

    def __init__(self, count, rtt_ms):
        self.count = count
        try:
            self.build(count, rtt_ms)
        except subprocess.CalledProcessError as e:
            self.count = count
            self.close()
            sys.exit(f"cannot build the namespaces: {' '.join(e.cmd)}: {e.stderr.strip()}")

    def build(self, count, rtt_ms):
        self.relay = None
        sh("ip", "link", "set", "lo", "up")
        for k in range(count):
            self.teardown(k)
            ns, outside, inside = f"l2x-host-{k}", f"l2xv{k}o", f"l2xv{k}i"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
            sh("ip", "link", "set", inside, "netns", ns)
            sh("ip", "addr", "add", f"10.77.{k}.1/24", "dev", outside)
            sh("ip", "link", "set", outside, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"10.77.{k}.2/24", "dev", inside)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            if rtt_ms > 0:
                for dev, where in ((outside, []), (inside, ["ip", "netns", "exec", ns])):
                    sh(*where, "tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", f"{rtt_ms / 2}ms")
        # PostgreSQL listens on 127.0.0.1 only: relay the veth addresses to it.
        self.relay = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{RELAY_PORT},fork,reuseaddr,nodelay", "TCP:127.0.0.1:5432,nodelay"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)

    @staticmethod
    def teardown(k):
        sh("ip", "netns", "del", f"l2x-host-{k}", check=False)
        sh("ip", "link", "del", f"l2xv{k}o", check=False)

    def url(self, k, database):
        return f"postgres://root@10.77.{k}.1:{RELAY_PORT}/{database}"

    def close(self):
        if self.relay:
            self.relay.terminate()
        for k in range(self.count):
            self.teardown(k)


def run(args, workers, hosts):
    database = f"l2x_scale_{workers}"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database}")
    local_url = f"postgres://root@127.0.0.1:5432/{database}"
    server, banner = start([args.l2x, "serve", "--listen", "127.0.0.1:0", "--store", local_url,
                            "--workers", "0", "--json"])
    base = banner["listening"]
    jobs = [{"program": "fibonacci", "input": str(args.n + i), "backend": "stark"}
            for i in range(args.jobs)]
    http_json(f"{base}/v1/jobs", {"jobs": jobs})
    started = time.monotonic()
    processes = []
    for k in range(workers):
        url = hosts.url(k, database) if hosts else local_url
        processes.append(start([args.l2x, "worker", "--store", url, "--threads", "1",
                                "--workers", "1", "--json"], f"l2x-host-{k}" if hosts else None,
                               args.nice)[0])
    while True:
        health = http_json(f"{base}/healthz")
        if health["queued"] == 0 and health["running"] == 0:
            break
        time.sleep(0.02)
    wall = time.monotonic() - started
    stats = []
    for process in processes:
        process.terminate()
        stats.append(json.loads(process.stdout.readline()))
        process.wait()
    server.terminate()
    server.wait()
    psql(f"DROP DATABASE IF EXISTS {database}")
    done = sum(s["jobs"] for s in stats)
    proving = sum(s["proving_seconds"] for s in stats)
    queue = sum(s["queue_seconds"] for s in stats)
    finishing = sum(s.get("finishing_seconds", 0) for s in stats)
    commits = sum(s.get("commits", 0) for s in stats)
    ahead = sum(s.get("claimed_ahead", 0) for s in stats)
    idle = [s["idle_seconds"] for s in stats]
    return {
        "workers": workers,
        "jobs": done,
        "wall_s": wall,
        "jobs_per_s": done / wall,
        "proving_s_per_s": proving / wall,
        "proving_ms_per_job": proving * 1e3 / done,
        "queue_ms_per_job": queue * 1e3 / done,
        "queue_share_of_100ms": queue * 1e3 / done / 100.0,
        "queue_share_of_job": queue / proving,
        "finishing_ms_per_job": finishing * 1e3 / done,
        "jobs_per_commit": done / max(commits, 1),
        "claimed_ahead": ahead,
        "idle_s_per_worker": idle,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2x", default="target/release/l2x")
    parser.add_argument("--jobs", type=int, default=48)
    parser.add_argument("--n", type=int, default=1000, help="fibonacci n of the first job")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--netns", action="store_true", help="each worker in its own namespace")
    parser.add_argument("--rtt-ms", type=float, default=0.0,
                        help="round trip added on each link (needs the kernel's netem)")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the workers at this niceness, so that PostgreSQL (on a host of "
                             "its own in a real deployment) is not delayed by the provers it "
                             "shares this machine's cores with")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    hosts = Hosts(max(counts), args.rtt_ms) if args.netns else None
    try:
        rows = [run(args, w, hosts) for w in counts]
    finally:
        if hosts:
            hosts.close()
    print("| workers | jobs | wall s | jobs/s | proving-s/s | proving ms/job | queue ms/job | queue / 100 ms | queue / job | storing ms/job (beside) | jobs/commit | claimed ahead | idle s per worker |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        idle = ", ".join(f"{i:.2f}" for i in r["idle_s_per_worker"])
        print(f"| {r['workers']} | {r['jobs']} | {r['wall_s']:.2f} | {r['jobs_per_s']:.2f} | "
              f"{r['proving_s_per_s']:.2f} | {r['proving_ms_per_job']:.0f} | {r['queue_ms_per_job']:.2f} | "
              f"{100 * r['queue_share_of_100ms']:.2f}% | {100 * r['queue_share_of_job']:.2f}% | "
              f"{r['finishing_ms_per_job']:.2f} | {r['jobs_per_commit']:.2f} | {r['claimed_ahead']} | {idle} |")
    json.dump(rows, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
