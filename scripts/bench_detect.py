#!/usr/bin/env python3
"""Detection benchmark: parapet's rule engine against pySigma's SQLite backend, same rules, same
events, one run.

Rule sets of 10, 100 and 1,000 rules are made from the SigmaHQ AWS CloudTrail rules in
testdata/sigma (each copy gets a new id and title; copies beyond the first keep the rule's logic
but look for other eventName values taken from the events, so no two rules are the same). Events
are the Invictus attack dataset (2,900 CloudTrail records) repeated with fresh eventIDs to
--events records. parapet ingests them once (without detection), then `parapet hunt` runs each
rule set over the lake, pinned to one core: its time includes reading the Parquet files and
parsing every record. pySigma converts the same rule files to SQL and runs them over the events
loaded into SQLite (`scripts/sigma_oracle.py bench`); its reported time is the queries only
(loading the table is reported apart). Run through scripts/bench-detect.
"""
import argparse, glob, gzip, json, os, random, re, shutil, subprocess, sys, time

def load_events(src):
    out = []
    for f in sorted(glob.glob(os.path.join(src, "*.json"))):
        out.extend(json.load(open(f))["Records"])
    return out

def make_events(src, n, out_dir):
    base = load_events(src)
    os.makedirs(out_dir, exist_ok=True)
    recs, i = [], 0
    while len(recs) < n:
        for r in base:
            r = dict(r)
            r["eventID"] = f"bench-{i:08d}"
            i += 1
            recs.append(r)
            if len(recs) >= n:
                break
    per = 5000
    for k in range(0, len(recs), per):
        name = f"218007301253_CloudTrail_us-east-1_20230710T1200Z_bench{k // per:05d}.json.gz"
        with gzip.open(os.path.join(out_dir, name), "wt") as f:
            json.dump({"Records": recs[k:k + per]}, f)
    return base, len(recs)

def make_rules(sigma_dir, count, names, out_dir):
    files = sorted(glob.glob(os.path.join(sigma_dir, "**", "*.yml"), recursive=True))
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(count)
    texts = [open(f).read() for f in files]
    for i in range(count):
        text = texts[i % len(texts)]
        text = re.sub(r"^id: .*$", f"id: 00000000-0000-4000-8000-{i:012d}", text, count=1, flags=re.M)
        text = re.sub(r"^title: (.*)$", lambda m: f"title: {m.group(1)} #{i}", text, count=1, flags=re.M)
        if i >= len(texts):
            # Same logic, other event names: `eventName: X` lines get a name seen in the events.
            text = re.sub(r"(eventName:\s*)'?([A-Za-z0-9]+)'?\s*$", lambda m: m.group(1) + rng.choice(names), text, flags=re.M)
            text = re.sub(r"^(\s+- )'?([A-Z][A-Za-z0-9]+)'?\s*$", lambda m: m.group(1) + rng.choice(names), text, flags=re.M)
        open(os.path.join(out_dir, f"r{i:04d}.yml"), "w").write(text)

def run(cmd, env=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if p.returncode not in (0, 3):
        sys.stderr.write(p.stderr.decode())
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t, p.stdout.decode()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.rmtree(a.dir, ignore_errors=True)
    base, n = make_events(os.path.join(root, "testdata/cloudtrail/invictus"), a.events, os.path.join(a.dir, "events"))
    names = sorted({r["eventName"] for r in base})
    cfg = os.path.join(a.dir, "parapet.toml")
    open(cfg, "w").write("version = 1\n[detect]\non_ingest = false\n")
    data = os.path.join(a.dir, "data")
    run([a.parapet, "-q", "-c", cfg, "--data-dir", data, "ingest", os.path.join(a.dir, "events")])
    rows = []
    for size in [int(s) for s in a.sizes.split(",")]:
        rdir = os.path.join(a.dir, f"rules{size}")
        make_rules(os.path.join(root, "testdata/sigma/rules"), size, names, rdir)
        bundle = os.path.join(a.dir, f"rules{size}.yml")
        with open(bundle, "w") as out:
            out.write("\n---\n".join(open(os.path.join(rdir, f)).read() for f in sorted(os.listdir(rdir))))
        ours = []
        for _ in range(a.repeat):
            secs, out = run(["taskset", "-c", "0", a.parapet, "-q", "-c", cfg, "--data-dir", data, "hunt", "--json", "--limit", "0", bundle])
            ours.append(secs)
        matches = len(json.loads(out)["matches"])
        _, out = run([a.python, os.path.join(root, "scripts/sigma_oracle.py"), "bench", "--rules", rdir,
                      "--events", os.path.join(a.dir, "events"), "--repeat", str(a.repeat)])
        theirs = json.loads(out)
        best = min(ours)
        rows.append({
            "rules": size, "events": n, "parapet_seconds": round(best, 3), "parapet_events_per_s": round(n / best),
            "parapet_matches": matches, "pysigma_query_seconds": round(theirs["query_seconds"], 3),
            "pysigma_load_seconds": round(theirs["load_seconds"], 3), "pysigma_events_per_s": round(n / theirs["query_seconds"]),
            "pysigma_matches": theirs.get("matches"), "ratio": round(theirs["query_seconds"] / best, 2),
        })
        print(json.dumps(rows[-1]), file=sys.stderr)
    print("| rules | events | parapet (1 core, incl. Parquet read + JSON parse) | events/s | pySigma SQLite (queries only) | events/s | pySigma ÷ parapet | matches (parapet / pySigma) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['rules']} | {r['events']:,} | {r['parapet_seconds']} s | {r['parapet_events_per_s']:,} | {r['pysigma_query_seconds']} s (+{r['pysigma_load_seconds']} s load) | {r['pysigma_events_per_s']:,} | {r['ratio']}× | {r['parapet_matches']} / {r['pysigma_matches']} |")
    json.dump(rows, open(os.path.join(a.dir, "results.json"), "w"), indent=1)

if __name__ == "__main__":
    main()
