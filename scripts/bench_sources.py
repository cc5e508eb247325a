#!/usr/bin/env python3
"""Per-source ingest throughput: records per second on one core, for every source parapet reads.

Writes a Log Archive tree of each source (synthetic records in the real formats, gzipped, in the
real key layout), then times `parapet ingest --workers 1 --json` on each tree separately, three
times, and reports the median. DuckDB is timed on the same flow-log and resolver files
(read_csv / read_json into a table) as the "what users would use instead" reference.

Usage: scripts/bench_sources.py --parapet target/release/parapet [--records 200000] [--dir DIR]
"""
import argparse, gzip, json, os, random, shutil, statistics, subprocess, sys, time

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.write(text)


def flow(root, n, rnd):
    head = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    per_file = 10000
    for f in range(0, n, per_file):
        lines = [head]
        for i in range(f, min(n, f + per_file)):
            t = 1709287200 + i // 50
            lines.append(f"2 {ACCOUNT} eni-{rnd.randrange(16**8):08x} 10.0.{rnd.randrange(256)}.{rnd.randrange(256)} "
                         f"172.31.{rnd.randrange(256)}.{rnd.randrange(256)} {rnd.randrange(1024, 65535)} "
                         f"{rnd.choice([22, 80, 443, 3306, 53])} 6 {rnd.randrange(1, 50)} {rnd.randrange(40, 90000)} "
                         f"{t} {t + 60} {rnd.choice(['ACCEPT', 'ACCEPT', 'REJECT'])} OK")
        write(f"{root}/AWSLogs/{ACCOUNT}/vpcflowlogs/{REGION}/2024/03/01/{ACCOUNT}_vpcflowlogs_{REGION}_fl-1_20240301T{f // per_file:04d}Z_x.log.gz",
              "\n".join(lines) + "\n")


def resolver(root, n, rnd):
    per_file = 10000
    for f in range(0, n, per_file):
        lines = []
        for i in range(f, min(n, f + per_file)):
            lines.append(json.dumps({
                "version": "1.100000", "account_id": ACCOUNT, "region": REGION, "vpc_id": "vpc-0abc",
                "query_timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1709287200 + i // 20)),
                "query_name": f"host{rnd.randrange(5000)}.example.com.", "query_type": "A", "query_class": "IN",
                "rcode": "NOERROR", "answers": [{"Rdata": "93.184.216.34", "Type": "A", "Class": "IN"}],
                "srcaddr": f"10.0.0.{rnd.randrange(256)}", "srcport": str(rnd.randrange(1024, 65535)),
                "transport": "UDP", "srcids": {"instance": "i-0123456789abcdef0"}}))
        write(f"{root}/AWSLogs/{ACCOUNT}/vpcdnsquerylogs/vpc-0abc/2024/03/01/{ACCOUNT}_vpcdnsquerylogs_{REGION}_vpc-0abc_20240301T{f // per_file:04d}Z_x.log.gz",
              "\n".join(lines) + "\n")


def guardduty(root, n, rnd, sample):
    per_file = 2000
    for f in range(0, n, per_file):
        lines = []
        for i in range(f, min(n, f + per_file)):
            g = dict(sample)
            g["id"] = f"{i:032x}"
            g["accountId"] = ACCOUNT
            g["updatedAt"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1709287200 + i))
            lines.append(json.dumps(g))
        write(f"{root}/AWSLogs/{ACCOUNT}/GuardDuty/{REGION}/2024/03/01/{f // per_file:08d}.jsonl.gz", "\n".join(lines) + "\n")


def config(root, n, rnd, sample):
    per_file = 2000
    for f in range(0, n, per_file):
        items = []
        for i in range(f, min(n, f + per_file)):
            c = dict(sample)
            c["resourceId"] = f"sg-{i:08x}"
            c["configurationItemCaptureTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(1709287200 + i))
            items.append(c)
        write(f"{root}/AWSLogs/{ACCOUNT}/Config/{REGION}/2024/3/1/ConfigHistory/{ACCOUNT}_Config_{REGION}_ConfigHistory_{f // per_file:08d}.json.gz",
              json.dumps({"fileVersion": "1.0", "configurationItems": items}))


def run_parapet(binary, tree, data):
    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    out = subprocess.run([binary, "--quiet", "--data-dir", data, "ingest", "--workers", "1", "--json", tree],
                         check=False, capture_output=True, text=True)
    secs = time.perf_counter() - t
    if out.returncode not in (0, 3):
        sys.exit(f"parapet failed on {tree}: {out.stderr}")
    return secs, json.loads(out.stdout)[0]["records"]


def run_duckdb(python, sql):
    t = time.perf_counter()
    subprocess.run([python, "-c", f"import duckdb; duckdb.connect().execute({sql!r})"], check=True)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--records", type=int, default=200000)
    ap.add_argument("--dir", default=os.path.expanduser("~/.cache/parapet-bench/sources"))
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    gd = json.load(open(os.path.join(here, "../testdata/guardduty/guardduty_ec2_event.json")))
    sg = json.load(open(os.path.join(here, "../testdata/config/rdk/AWS_EC2_SecurityGroup.json")))
    rnd = random.Random(7)
    n = a.records
    trees = {
        "vpc_flow": (lambda r: flow(r, n, rnd), n),
        "route53_resolver": (lambda r: resolver(r, n, rnd), n),
        "guardduty": (lambda r: guardduty(r, n // 4, rnd, gd), n // 4),
        "config_history": (lambda r: config(r, n // 4, rnd, sg), n // 4),
    }
    results = {}
    for name, (make, count) in trees.items():
        tree = os.path.join(a.dir, name)
        if not os.path.isdir(tree):
            make(tree)
        runs = [run_parapet(a.parapet, tree, os.path.join(a.dir, "data-" + name)) for _ in range(3)]
        assert all(r[1] == count for r in runs), (name, runs)
        secs = statistics.median(r[0] for r in runs)
        results[name] = {"records": count, "seconds": round(secs, 3), "records_per_s": round(count / secs)}
        print(f"{name:18} {count:>9} records  {secs:6.2f} s  {count / secs:>10,.0f} records/s (1 worker)")
    # DuckDB on the same files, one thread.
    flows = os.path.join(a.dir, "vpc_flow", "**", "*.log.gz")
    dns = os.path.join(a.dir, "route53_resolver", "**", "*.log.gz")
    for name, sql in [
        ("vpc_flow", f"SET threads=1; CREATE TABLE t AS SELECT * FROM read_csv('{flows}', delim=' ', header=true)"),
        ("route53_resolver", f"SET threads=1; CREATE TABLE t AS SELECT * FROM read_json('{dns}', format='newline_delimited')"),
    ]:
        secs = statistics.median(run_duckdb(a.python, sql) for _ in range(3))
        results[name]["duckdb_seconds"] = round(secs, 3)
        print(f"{name:18} duckdb {secs:6.2f} s  (parapet/duckdb time ratio {results[name]['seconds'] / secs:.2f})")
    os.makedirs(a.dir, exist_ok=True)
    json.dump(results, open(os.path.join(a.dir, "results.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
