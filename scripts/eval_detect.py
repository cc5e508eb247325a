#!/usr/bin/env python3
"""Precision and recall of the built-in rules against the simulator's ground truth, at a size
the end-to-end test does not reach.

Simulates an organisation (CloudTrail, VPC flow logs, Resolver query logs), ingests it with
detection on (one run, so findings are written as at ingest), then reads `truth.jsonl` and the
findings store (`state.db`):

- recall, per scenario: a truth line is found when a finding of one of the scenario's rules
  (testdata/scenario_rules.json), in the same account, holds its evidence: one of its CloudTrail
  event ids, or (flow and DNS records have no id) the address or domain every record of it
  carries, in the finding's key or its events' excerpts;
- precision, per scenario rule: the share of its findings that hold some truth line's evidence.
  Rules no scenario maps to (the CIS alarms on AccessDenied and failed sign-ins, which fire on
  background noise by design) are counted apart.

Usage: scripts/eval_detect.py --parapet target/release/parapet [--accounts 60 --days 7 --events 2000]
"""
import argparse, json, os, shutil, sqlite3, subprocess, sys, time
from collections import defaultdict

TABLES = ("cloudtrail", "vpc_flow", "route53_resolver")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--dir", default=os.path.expanduser("~/.cache/parapet-bench/eval"))
    ap.add_argument("--accounts", type=int, default=60)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    sim, data = os.path.join(a.dir, "sim"), os.path.join(a.dir, "data")
    subprocess.run([a.parapet, "-q", "simulate", "--seed", str(a.seed), "--sources", ",".join(TABLES),
                    "--accounts", str(a.accounts), "--days", str(a.days),
                    "--events-per-account-day", str(a.events), "--out", sim], check=True)
    t = time.perf_counter()
    p = subprocess.run([a.parapet, "-q", "--data-dir", data, "ingest", "--json", os.path.join(sim, "logs")],
                       check=True, stdout=subprocess.PIPE)
    ingest_s = time.perf_counter() - t
    report = json.loads(p.stdout)[0]

    rules_of = {k: v for k, v in json.load(open(os.path.join(root, "testdata/scenario_rules.json"))).items()
                if not k.startswith("_")}
    scenario_rules = {r for rs in rules_of.values() for r in rs}
    truth = [json.loads(l) for l in open(os.path.join(sim, "truth.jsonl"))]
    truth = [t for t in truth if t["table"] in TABLES]

    db = sqlite3.connect(os.path.join(data, "state.db"))
    findings = {}
    for fid, rule, account, key in db.execute("SELECT id, rule_id, account_id, dedup_key FROM findings"):
        findings[fid] = {"rule": rule, "account": account, "text": key, "uids": set()}
    for fid, uid, excerpt in db.execute("SELECT finding_id, event_uid, excerpt FROM finding_events"):
        findings[fid]["uids"].add(uid)
        findings[fid]["text"] += excerpt

    def shows(f, t):
        if f["account"] != t["account_id"]:
            return False
        if t["table"] == "cloudtrail":
            return not f["uids"].isdisjoint(t["event_ids"])
        return bool(t.get("indicator")) and t["indicator"] in f["text"]

    by_account = defaultdict(list)
    for f in findings.values():
        by_account[f["account"]].append(f)
    recall = defaultdict(lambda: [0, 0])
    missed = []
    for t in truth:
        rules = rules_of[t["scenario"]]
        ok = any(f["rule"] in rules and shows(f, t) for f in by_account[t["account_id"]])
        recall[(t["scenario"], t["table"])][0] += ok
        recall[(t["scenario"], t["table"])][1] += 1
        if not ok:
            missed.append(t)
    precision = defaultdict(lambda: [0, 0])
    other = defaultdict(int)
    unexplained = []
    for f in findings.values():
        if f["rule"] not in scenario_rules:
            other[f["rule"]] += 1
            continue
        ok = any(shows(f, t) for t in truth if t["account_id"] == f["account"])
        precision[f["rule"]][0] += ok
        precision[f["rule"]][1] += 1
        if not ok:
            unexplained.append(f)

    events = report.get("detection", {}).get("events", 0)
    print(f"{a.accounts} accounts x {a.days} days, {events:,} records scanned at ingest "
          f"({report.get('objects_ingested', '?')} objects), ingest + detection {ingest_s:.1f} s\n")
    print("| scenario | log | injected | found | recall |\n|---|---|---|---|---|")
    for (s, table), (ok, n) in sorted(recall.items()):
        print(f"| {s} | {table} | {n} | {ok} | {ok / n:.0%} |")
    print("\n| rule | findings | holding a scenario's evidence | precision |\n|---|---|---|---|")
    for r, (ok, n) in sorted(precision.items()):
        print(f"| {r} | {n} | {ok} | {ok / n:.0%} |")
    print("\nfindings of rules no scenario maps to: " + ", ".join(f"{r} {n}" for r, n in sorted(other.items())))
    for t in missed[:20]:
        print("missed:", json.dumps(t)[:300], file=sys.stderr)
    for f in unexplained[:20]:
        print("unexplained:", f["rule"], f["account"], f["text"][:300], file=sys.stderr)
    tot_ok = sum(ok for ok, _ in recall.values()); tot = sum(n for _, n in recall.values())
    p_ok = sum(ok for ok, _ in precision.values()); p_n = sum(n for _, n in precision.values())
    print(f"\nrecall {tot_ok}/{tot}, precision {p_ok}/{p_n}")
    return 0 if not missed and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
