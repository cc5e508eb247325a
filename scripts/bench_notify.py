#!/usr/bin/env python3
"""Notification latency: from a finding's creation to its webhook's arrival, under load.

A local HTTP receiver (this script, on 127.0.0.1) records when each idempotency key arrives and
answers 200. `parapet notify send --follow --interval-ms I` runs beside ingest, as it would in
production. The script then ingests R rounds of CloudTrail files, each with P root sign-ins in P
different accounts (each sign-in makes two findings: root console sign-in and root usage, so two
webhook messages), one round after the other without pause. Latency of a message = its arrival
at the receiver minus its finding's creation time in the state database (`findings.updated_ms`;
each finding here has one event, so that is when it was written, in the ingest commit).
Reported: p50, p95, p99 and max over every message, and the throughput.
"""
import argparse, json, os, shutil, sqlite3, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

arrivals = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as Slack and most webhook receivers do, without Nagle on the answers (the
    # handler writes head and body apart; with Nagle each answer waits for a delayed ACK).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        self.rfile.read(n)
        key = self.headers.get("idempotency-key", "")
        with lock:
            arrivals.setdefault(key, time.time() * 1000)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def record(account, i, t):
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account},
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
        "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "userAgent": "Mozilla/5.0",
        "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"},
        "eventID": f"bench-{account}-{i}", "eventType": "AwsConsoleSignIn", "recipientAccountId": account,
    }


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--per-round", type=int, default=100)
    ap.add_argument("--interval-ms", type=int, default=200)
    a = ap.parse_args()
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(os.path.join(a.dir, "src"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cfg = os.path.join(a.dir, "parapet.toml")
    open(cfg, "w").write(
        "version = 1\n[notify]\nfallback = \"hook\"\n[[notify.channels]]\nname = \"hook\"\nkind = \"webhook\"\n"
        f"url = \"http://127.0.0.1:{server.server_address[1]}/hook\"\nsecret = \"bench\"\n")
    data = os.path.join(a.dir, "data")
    base = [a.parapet, "-q", "-c", cfg, "--data-dir", data]
    # Create the state database before the sender opens it.
    subprocess.run(base + ["notify", "list"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sender = subprocess.Popen(base + ["notify", "send", "--follow", "--interval-ms", str(a.interval_ms)],
                              stdout=subprocess.DEVNULL)
    t0 = time.time()
    now = int(time.time())
    for r in range(a.rounds):
        recs = [record(f"{(r * a.per_round + i) % 10**12:012d}", r * a.per_round + i, now) for i in range(a.per_round)]
        name = f"000000000000_CloudTrail_us-east-1_{time.strftime('%Y%m%dT%H%MZ', time.gmtime(now))}_r{r:04d}.json"
        json.dump({"Records": recs}, open(os.path.join(a.dir, "src", name), "w"))
        subprocess.run(base + ["ingest", os.path.join(a.dir, "src")], check=True)
    expected = a.rounds * a.per_round * 2
    deadline = time.time() + 120
    while len(arrivals) < expected and time.time() < deadline:
        time.sleep(0.05)
    elapsed = time.time() - t0
    sender.terminate()
    sender.wait()
    db = sqlite3.connect(os.path.join(data, "state.db"))
    lat = []
    for key, created in db.execute(
            "SELECT o.idempotency_key, f.updated_ms FROM outbox o JOIN findings f ON f.id = o.finding_id"):
        if key in arrivals:
            lat.append(arrivals[key] - created)
    out = {
        "messages": expected, "arrived": len(arrivals), "seconds": round(elapsed, 2),
        "messages_per_s": round(len(arrivals) / elapsed, 1), "interval_ms": a.interval_ms,
        "p50_ms": round(pct(lat, 50)), "p95_ms": round(pct(lat, 95)), "p99_ms": round(pct(lat, 99)),
        "max_ms": round(max(lat)),
    }
    print(json.dumps(out))
    return 0 if len(arrivals) == expected else 1


if __name__ == "__main__":
    sys.exit(main())
