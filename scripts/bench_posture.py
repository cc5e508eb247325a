#!/usr/bin/env python3
"""Posture benchmark: parapet against Cloud Custodian on the same moto organisation, for the
checks both can express, in one run.

The organisation is the test fixture's (crates/parapet-cli/tests/it/org_fixture.py: moto
in-process, 55 accounts, a ParapetAudit role with an external ID in each) with the posture
resources planted in --accounts member accounts (`plant_posture`: good and bad security groups,
instances, volumes, buckets, RDS instances, IAM users, KMS keys, …). parapet reads every
account through the role (`posture scan`, all 42 checks) once; Custodian runs one policy per
overlapping check in each account (`custodian run --assume <role> --external-id …`). Each
tool's failing resources are compared per check; times are wall clock for the whole
organisation. Run through scripts/bench-posture.
"""
import argparse, json, os, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "crates", "parapet-cli", "tests", "it", "org_fixture.py")

# parapet check -> (Custodian policy, how its resources name the resource parapet names)
POLICIES = {
    # (resources tagged parapet:exempt are exempt in parapet: the same filter here)
    "ec2.sg_open_ssh": ({"resource": "security-group", "filters": [{"tag:parapet:exempt": "absent"}, {"or": [
        {"type": "ingress", "Ports": [22], "Cidr": {"value": "0.0.0.0/0"}},
        {"type": "ingress", "Ports": [22], "CidrV6": {"value": "::/0"}}]}]}, "GroupId"),
    "ec2.sg_open_rdp": ({"resource": "security-group", "filters": [{"tag:parapet:exempt": "absent"}, {"or": [
        {"type": "ingress", "Ports": [3389], "Cidr": {"value": "0.0.0.0/0"}},
        {"type": "ingress", "Ports": [3389], "CidrV6": {"value": "::/0"}}]}]}, "GroupId"),
    "ec2.imdsv2_required": ({"resource": "ec2", "filters": [{"MetadataOptions.HttpTokens": "optional"}]}, "InstanceId"),
    "ec2.instance_no_public_ip": ({"resource": "ec2", "filters": [
        {"type": "value", "key": "PublicIpAddress", "value": "present"}]}, "InstanceId"),
    "ec2.instance_type_allowed": ({"resource": "ec2", "filters": [
        {"type": "value", "key": "InstanceType", "op": "regex", "value": "^(?!t3\\.).*"}]}, "InstanceId"),
    "ec2.ebs_volume_encrypted": ({"resource": "ebs", "filters": [{"Encrypted": False}]}, "VolumeId"),
    "rds.instance_not_public": ({"resource": "rds", "filters": [{"PubliclyAccessible": True}]}, "DBInstanceArn"),
    "rds.instance_encrypted": ({"resource": "rds", "filters": [{"StorageEncrypted": False}]}, "DBInstanceArn"),
    "rds.instance_backups": ({"resource": "rds", "filters": [{"BackupRetentionPeriod": 0}]}, "DBInstanceArn"),
    "kms.key_rotation": ({"resource": "kms-key", "filters": [{"KeyManager": "CUSTOMER"}, {"KeyState": "Enabled"},
        {"type": "key-rotation-status", "key": "KeyRotationEnabled", "value": False}]}, "Arn"),
    "iam.user_console_mfa": ({"resource": "iam-user", "filters": [
        {"type": "credential", "key": "password_enabled", "value": True},
        {"type": "credential", "key": "mfa_active", "value": False}]}, "Arn"),
}


class Fixture:
    def __init__(self, python):
        self.p = subprocess.Popen([python, FIXTURE, "--port", "0", "--analyzer-port", "0"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = json.loads(self.p.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{ready['port']}"
        self.analyzer = f"http://127.0.0.1:{ready['analyzer_port']}"

    def cmd(self, **command):
        self.p.stdin.write(json.dumps(command) + "\n")
        self.p.stdin.flush()
        answer = json.loads(self.p.stdout.readline())
        if "error" in answer:
            sys.exit(f"fixture: {command['cmd']}: {answer['error']}")
        return answer["ok"]

    def stop(self):
        self.p.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parapet", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--custodian", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--accounts", type=int, default=24)
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)

    fx = Fixture(args.python)
    try:
        manifest = fx.cmd(cmd="build", accounts=max(55, args.accounts + 5))
        members = [a["id"] for a in manifest["accounts"] if a["has_role"] and a["id"] != manifest["management"]]
        accounts = members[: args.accounts]
        t = time.time()
        fx.cmd(cmd="plant_posture", accounts=accounts)
        plant_s = time.time() - t
        env = dict(os.environ, AWS_ENDPOINT_URL=fx.endpoint, AWS_ENDPOINT_URL_ACCESSANALYZER=fx.analyzer,
                   AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
                   AWS_DEFAULT_REGION="us-east-1")
        env.pop("AWS_PROFILE", None)
        config = os.path.join(args.dir, "parapet.toml")
        with open(config, "w") as f:
            f.write('version = 1\n[accounts]\nrole_name = "ParapetAudit"\nexternal_id = "parapet-test"\n'
                    'regions = ["us-east-1"]\nconcurrency = 6\n[posture]\nallowed_instance_types = ["t3.*"]\n')
        base = [args.parapet, "--quiet", "-c", config, "--data-dir", os.path.join(args.dir, "data")]
        subprocess.run(base + ["accounts", "sync"], env=env, check=True)
        t = time.time()
        out = subprocess.run(base + ["posture", "scan", "--account", ",".join(accounts), "--json"], env=env,
                             capture_output=True, text=True)
        parapet_s = time.time() - t
        report = json.loads(out.stdout)
        parapet_fail = {}
        for v in report["failures"]:
            parapet_fail.setdefault(v["check"], set()).add((v["account_id"], v["resource"]))

        policies = {"policies": [dict(name=check.replace(".", "-").replace("_", "-"), **p)
                                 for check, (p, _) in POLICIES.items()]}
        policy_file = os.path.join(args.dir, "custodian.json")
        json.dump(policies, open(policy_file, "w"))
        custodian_fail = {}
        t = time.time()
        for account in accounts:
            out_dir = os.path.join(args.dir, "custodian", account)
            r = subprocess.run([args.custodian, "run", "-s", out_dir, "--region", "us-east-1",
                                "--assume", f"arn:aws:iam::{account}:role/ParapetAudit",
                                "--external-id", "parapet-test", policy_file], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"custodian failed in {account}:\n{r.stderr[-2000:]}")
            for check, (_, key) in POLICIES.items():
                name = check.replace(".", "-").replace("_", "-")
                path = os.path.join(out_dir, name, "resources.json")
                for res in json.load(open(path)) if os.path.exists(path) else []:
                    custodian_fail.setdefault(check, set()).add((account, res.get(key) or res.get("KeyArn")))
        custodian_s = time.time() - t
    finally:
        fx.stop()

    rows, agree = [], True
    for check in POLICIES:
        p, c = parapet_fail.get(check, set()), custodian_fail.get(check, set())
        same = p == c
        agree &= same
        rows.append({"check": check, "parapet": len(p), "custodian": len(c), "both": len(p & c),
                     "only_parapet": sorted(p - c)[:3], "only_custodian": sorted(c - p)[:3], "same": same})
    summary = {
        "accounts": len(accounts), "plant_s": round(plant_s, 1),
        "parapet_s": round(parapet_s, 2), "parapet_checks": report["checks"], "parapet_verdicts": report["verdicts"],
        "custodian_s": round(custodian_s, 2), "custodian_policies": len(POLICIES),
        "ratio_custodian_over_parapet": round(custodian_s / parapet_s, 1), "all_same": agree, "checks": rows,
    }
    print(json.dumps(summary, indent=1))
    print(f"\n| check | parapet fails | Custodian fails | same |\n|---|---|---|---|", file=sys.stderr)
    for r in rows:
        print(f"| `{r['check']}` | {r['parapet']} | {r['custodian']} | {'yes' if r['same'] else 'NO'} |", file=sys.stderr)
    print(f"\n{len(accounts)} accounts: parapet {parapet_s:.1f} s for {report['checks']} checks "
          f"({report['verdicts']} verdicts); Custodian {custodian_s:.1f} s for {len(POLICIES)} policies "
          f"({custodian_s / parapet_s:.1f}x)", file=sys.stderr)
    sys.exit(0 if agree else 1)


if __name__ == "__main__":
    main()
