#!/usr/bin/env python3
"""Benchmarks of parapet against DuckDB on the same simulated CloudTrail files, in one run.

Measures, for each size: ingest wall time, events/s, MB/s of gzip input and peak RSS on all
cores and pinned to one core (taskset), DuckDB's read_json -> Parquet on the same files and cores,
and typical queries on parapet's lake (parapet query, DuckDB) and on DuckDB's own Parquet.
Run through scripts/bench, which builds the release binary and the Python tools first.
Results go to stdout as Markdown and to <dir>/results.json.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

class Failed(Exception):
    pass

def run(cmd, env=None, cwd=None, allow_fail=False):
    """Runs a command, returns (seconds, peak RSS in MiB, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    out_chunks = []
    # wait4 gives the child's own peak RSS (ru_maxrss, KiB on Linux).
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        if allow_fail:
            raise Failed(f"exit code {code}: {err.decode(errors='replace')[-300:]}")
        sys.stderr.write(err.decode(errors="replace"))
        raise SystemExit(f"command failed ({code}): {' '.join(cmd)}")
    return secs, usage.ru_maxrss / 1024.0, out.decode(errors="replace")

def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total

DUCK_INGEST = r"""
import duckdb, sys
logs, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads TO {threads}")
con.execute("SET preserve_insertion_order = false")
con.execute("SET enable_progress_bar = false")
glob = logs + "/*/AWSLogs/*/*/CloudTrail/*/*/*/*/*.json.gz"
con.execute(f'''
COPY (
  SELECT
    epoch_ms(CAST(r->>'eventTime' AS TIMESTAMP)) AS time,
    r->>'eventID' AS metadata_uid, r->>'eventName' AS api_operation, r->>'eventSource' AS api_service_name,
    r->>'awsRegion' AS cloud_region, r->>'recipientAccountId' AS cloud_account_uid,
    r->>'sourceIPAddress' AS src_endpoint_ip, r->>'userAgent' AS http_request_user_agent,
    r->>'errorCode' AS status_code, r->>'errorMessage' AS status_detail,
    r->'userIdentity'->>'type' AS actor_user_type, r->'userIdentity'->>'arn' AS actor_user_uid,
    r->'userIdentity'->>'principalId' AS actor_user_uid_alt, r->'userIdentity'->>'accessKeyId' AS actor_user_credential_uid,
    CAST(r->'requestParameters' AS VARCHAR) AS api_request_data, CAST(r->'responseElements' AS VARCHAR) AS api_response_data,
    r->>'requestID' AS api_request_uid, r->>'eventType' AS metadata_event_code,
    CAST(r AS VARCHAR) AS raw
  FROM (SELECT unnest(Records) AS r FROM read_json('{glob}', columns = {{Records: 'JSON[]'}}, format = 'auto'))
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
''')
print(con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0])
"""

DUCK_QUERY = r"""
import duckdb, sys, time
source, sql, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect()
con.execute(f"SET threads TO {threads}")
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE VIEW cloudtrail AS SELECT * FROM {source}")
rows = con.execute(sql).fetchall()
print(len(rows))
"""

QUERIES = [
    ("count by eventName", "SELECT api_operation, count(*) AS n FROM cloudtrail GROUP BY api_operation ORDER BY n DESC"),
    ("errors by account", "SELECT cloud_account_uid, status_code, count(*) AS n FROM cloudtrail WHERE status_code IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC"),
    ("distinct principals", "SELECT count(DISTINCT actor_user_uid) AS n FROM cloudtrail"),
    ("console logins", "SELECT time, cloud_account_uid, src_endpoint_ip FROM cloudtrail WHERE api_operation = 'ConsoleLogin' ORDER BY time"),
]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--python", required=True, help="python with duckdb")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--accounts", type=int, default=60)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--one-core-max", type=int, default=1000000, help="one-core runs only up to this size")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    cores = os.cpu_count() or 1
    results = {"cores": cores, "duckdb": subprocess.check_output([args.python, "-c", "import duckdb; print(duckdb.__version__)"]).decode().strip(), "sizes": []}
    for size in [int(s) for s in args.sizes.split(",")]:
        # Same density at every size (about 24,000 events per account-day, ~16 per 5-minute file):
        # the number of days grows with the size, up to --days.
        days = max(1, min(args.days, round(size / (args.accounts * 24000))))
        per_day = max(1, size // (args.accounts * days))
        sim = os.path.join(args.dir, f"sim-{size}-{args.accounts}x{days}")
        if not os.path.exists(os.path.join(sim, "truth.jsonl")):
            shutil.rmtree(sim, ignore_errors=True)
            secs, rss, _ = run([args.parapet, "--quiet", "simulate", "--accounts", str(args.accounts), "--days", str(days),
                                "--events-per-account-day", str(per_day), "--sources", "cloudtrail", "--out", sim])
            print(f"simulated {size} in {secs:.1f}s", file=sys.stderr)
        logs = os.path.join(sim, "logs")
        gz_bytes = du(logs)
        r = {"target_events": size, "accounts": args.accounts, "days": days, "events_per_account_day": per_day,
             "gzip_bytes": gz_bytes, "objects": sum(len(fs) for d, fs in ((d, [f for f in fs if f.endswith('.json.gz') and '/CloudTrail/' in os.path.join(d, f)]) for d, _, fs in os.walk(logs)))}
        # parapet ingest, all cores and one core.
        one_core = size <= args.one_core_max
        for label, prefix, workers in (("all_cores", [], "0"), ("one_core", ["taskset", "-c", "0"], "1"))[: 2 if one_core else 1]:
            data = os.path.join(args.dir, f"data-{size}-{label}")
            shutil.rmtree(data, ignore_errors=True)
            secs, rss, out = run(prefix + [args.parapet, "--quiet", "--data-dir", data, "ingest", "--json", "--workers", workers,
                                           "--accounts", os.path.join(sim, "accounts.csv"), logs])
            rep = json.loads(out)[0]
            r[f"parapet_ingest_{label}"] = {"secs": secs, "rss_mib": rss, "records": rep["records"],
                                            "events_per_s": rep["records"] / secs, "mb_per_s": gz_bytes / 1e6 / secs,
                                            "files": rep["files_written"], "lake_bytes": du(os.path.join(data, "lake"))}
            print(f"parapet ingest {size} {label}: {secs:.1f}s {rss:.0f} MiB", file=sys.stderr)
        # DuckDB read_json -> Parquet, all cores and one core.
        for label, prefix, threads in (("all_cores", [], cores), ("one_core", ["taskset", "-c", "0"], 1))[: 2 if one_core else 1]:
            out_file = os.path.join(args.dir, f"duck-{size}-{label}.parquet")
            if os.path.exists(out_file):
                os.remove(out_file)
            try:
                secs, rss, out = run(prefix + [args.python, "-c", DUCK_INGEST, logs, out_file, str(threads)], allow_fail=True)
            except Failed as e:
                r[f"duckdb_ingest_{label}"] = {"failed": str(e)}
                print(f"duckdb ingest {size} {label}: FAILED {e}", file=sys.stderr)
                continue
            rows = int(out.strip().splitlines()[-1])
            r[f"duckdb_ingest_{label}"] = {"secs": secs, "rss_mib": rss, "records": rows, "events_per_s": rows / secs,
                                           "mb_per_s": gz_bytes / 1e6 / secs, "parquet_bytes": os.path.getsize(out_file)}
            print(f"duckdb ingest {size} {label}: {secs:.1f}s {rss:.0f} MiB", file=sys.stderr)
        # Queries: parapet on its lake (before and after compaction), DuckDB on parapet's lake and on its own file.
        data = os.path.join(args.dir, f"data-{size}-all_cores")
        lake_glob = f"read_parquet('{data}/lake/cloudtrail/*/*/*/*.parquet', hive_partitioning = true)"
        duck_file = f"read_parquet('{os.path.join(args.dir, f'duck-{size}-all_cores.parquet')}')"
        qres = []
        def timed(cmd):
            times = [run(cmd)[0] for _ in range(args.repeat)]
            return statistics.median(times)
        for stage in ("as_ingested", "compacted"):
            if stage == "compacted":
                secs, rss, _ = run([args.parapet, "--quiet", "--data-dir", data, "lake", "compact"])
                r["compact"] = {"secs": secs, "rss_mib": rss}
            for name, sql in QUERIES:
                p = timed([args.parapet, "--quiet", "--data-dir", data, "query", "--format", "csv", sql.replace("FROM cloudtrail", "FROM cloudtrail_ocsf")])
                d_lake = timed([args.python, "-c", DUCK_QUERY, lake_glob, sql, str(cores)])
                q = {"stage": stage, "query": name, "sql": sql, "parapet_secs": p, "duckdb_on_parapet_lake_secs": d_lake}
                if stage == "as_ingested" and os.path.exists(os.path.join(args.dir, f"duck-{size}-all_cores.parquet")):
                    q["duckdb_on_own_parquet_secs"] = timed([args.python, "-c", DUCK_QUERY, duck_file, sql, str(cores)])
                qres.append(q)
                print(f"query {name} {stage}: parapet {p:.2f}s duckdb {d_lake:.2f}s", file=sys.stderr)
        r["queries"] = qres
        r["lake_files_after_compaction"] = sum(1 for d, _, fs in os.walk(os.path.join(data, "lake", "cloudtrail")) for f in fs if f.endswith(".parquet"))
        results["sizes"].append(r)
        with open(os.path.join(args.dir, "results.json"), "w") as f:
            json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))

if __name__ == "__main__":
    main()
