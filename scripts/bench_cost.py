#!/usr/bin/env python3
"""Cost benchmark: parapet against DuckDB on the same bills, in one run.

The simulator writes an organisation's legacy Cost and Usage Report (CSV gzip, daily lines, 60
days, with manifests) for --accounts accounts. parapet loads it into the lake (`cost ingest`,
which also reads the manifests, normalises four cost measures per line and writes Parquet) and
sums it per account and service (`cost show --by account,service --period monthly`); DuckDB reads
the same CSV files directly (what a team would do with Athena or DuckDB over the CUR bucket),
once straight from CSV and once loading a table first. Both sums are compared to the cent per
account. Times are wall clock; memory is the peak resident set of the process (parapet's as
measured by wait4, DuckDB's in-process via the same Python's rusage).
"""
import argparse, glob, gzip, json, os, resource, shutil, subprocess, sys, time
from decimal import Decimal


def run(cmd):
    if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed")


def run_measured(cmd):
    """Runs cmd, returns (stdout, seconds, peak RSS MiB)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed: {err.decode()}")
    return out.decode(), elapsed, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--accounts", type=int, default=500)
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    sim = os.path.join(args.dir, "sim")
    run([args.parapet, "--quiet", "simulate", "--accounts", str(args.accounts), "--days", "1",
         "--events-per-account-day", "1", "--sources", "cost", "--out", sim])
    cur = os.path.join(sim, "billing", "cur")
    files = sorted(glob.glob(os.path.join(cur, "**", "*.csv.gz"), recursive=True))
    lines = sum(sum(1 for _ in gzip.open(f, "rt")) - 1 for f in files)
    size = sum(os.path.getsize(f) for f in files)

    data = os.path.join(args.dir, "data")
    _, t_ingest, m_ingest = run_measured([args.parapet, "--quiet", "--data-dir", data, "cost", "ingest",
                                          "--no-anomalies", "--from", cur])
    show = [args.parapet, "--quiet", "--data-dir", data, "cost", "show", "--by", "account,service",
            "--period", "monthly", "--since", "2000-01-01", "--until", "2100-01-01", "--format", "json"]
    out, t_show, m_show = run_measured(show)
    ours = {}
    for r in json.loads(out):
        ours[r["account_id"]] = ours.get(r["account_id"], Decimal(0)) + Decimal(r["amount"])
    _, t_anom, m_anom = run_measured([args.parapet, "--quiet", "--data-dir", data, "cost", "anomalies",
                                      "--json"])

    # The dashboard's cost page and API over the same lake (median of 5 after one warm-up).
    import urllib.request
    srv = subprocess.Popen([args.parapet, "--quiet", "--data-dir", data, "serve", "--bind", "127.0.0.1:0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = srv.stdout.readline().strip().removeprefix("listening on ").rstrip("/")
    page_ms = {}
    for path in ["/cost", "/api/cost", "/accounts", "/"]:
        urllib.request.urlopen(base + path).read()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            urllib.request.urlopen(base + path).read()
            times.append((time.perf_counter() - start) * 1000)
        page_ms[path] = round(sorted(times)[2])
    srv.terminate()
    srv.wait()

    import duckdb
    pattern = os.path.join(cur, "**", "*.csv.gz")
    query = ("SELECT \"lineItem/UsageAccountId\" AS a, \"product/ProductName\" AS s, "
             "date_trunc('month', CAST(\"lineItem/UsageStartDate\" AS TIMESTAMP)) AS m, "
             "sum(CAST(\"lineItem/UnblendedCost\" AS DECIMAL(38, 10))) AS c FROM {src} GROUP BY ALL")
    con = duckdb.connect()
    start = time.perf_counter()
    rows = con.execute(query.format(src=f"read_csv('{pattern}', all_varchar = true, header = true)")).fetchall()
    t_duck_csv = time.perf_counter() - start
    con2 = duckdb.connect(os.path.join(args.dir, "duck.db"))
    start = time.perf_counter()
    con2.execute(f"CREATE TABLE cur AS SELECT * FROM read_csv('{pattern}', all_varchar = true, header = true)")
    t_duck_load = time.perf_counter() - start
    start = time.perf_counter()
    con2.execute(query.format(src="cur")).fetchall()
    t_duck_query = time.perf_counter() - start
    m_duck = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    theirs = {}
    for a, _, _, c in rows:
        theirs[a] = theirs.get(a, Decimal(0)) + c
    cents = lambda d: d.quantize(Decimal("0.01"))
    mismatched = [a for a in set(ours) | set(theirs) if cents(ours.get(a, Decimal(0))) != cents(theirs.get(a, Decimal(0)))]
    result = {
        "accounts": args.accounts, "files": len(files), "lines": lines, "csv_gz_bytes": size,
        "parapet": {"ingest_s": round(t_ingest, 2), "ingest_peak_mib": round(m_ingest),
                    "lines_per_s": round(lines / t_ingest), "show_s": round(t_show, 2),
                    "show_peak_mib": round(m_show), "anomalies_s": round(t_anom, 2),
                    "dashboard_median_ms": page_ms},
        "duckdb": {"csv_query_s": round(t_duck_csv, 2), "load_s": round(t_duck_load, 2),
                   "table_query_s": round(t_duck_query, 2), "peak_mib": round(m_duck)},
        "ratio": {"load_vs_duckdb_load": round(t_ingest / t_duck_load, 2),
                  "query_vs_duckdb_table_query": round(t_show / max(t_duck_query, 1e-9), 2),
                  "query_vs_duckdb_csv_query": round(t_show / t_duck_csv, 2)},
        "accounts_compared": len(set(ours) | set(theirs)), "accounts_differing_to_the_cent": len(mismatched),
    }
    print(json.dumps(result, indent=2))
    if mismatched:
        sys.exit(f"sums differ for {mismatched[:5]}")


if __name__ == "__main__":
    main()
