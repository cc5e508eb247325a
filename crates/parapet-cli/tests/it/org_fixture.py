"""A test AWS Organization on moto for `parapet accounts sync|baseline`.

    python org_fixture.py --port P --analyzer-port Q

Runs moto in-process on 127.0.0.1:P and a small Access Analyzer replay server on
127.0.0.1:Q (either port may be 0 for a free one), prints `{"ready": true, "port": ..,
"analyzer_port": ..}` on stdout, then answers JSON commands read one per line from stdin with
exactly one JSON line each, `{"ok": ...}` or `{"error": "..."}`. EOF or `{"cmd": "quit"}`
stops. Nothing else goes to stdout; logs go to stderr.

Commands:
    {"cmd": "build", "accounts": N}      N >= 50 accounts in all (management included);
                                         answers {"ok": manifest}, see `Fixture.build`;
                                         the same N gives the same ids and states.
    {"cmd": "rename", "id": ID, "name": NEW}
    {"cmd": "move", "id": ID, "ou_path": "Root/Sandbox"}
    {"cmd": "untag", "id": ID, "key": K}
    {"cmd": "close", "id": ID}           CloseAccount, then State CLOSED (moto says SUSPENDED)
    {"cmd": "remove_role", "id": ID}     deletes ParapetAudit in that account
    {"cmd": "plant_posture", "accounts": [ID, ...]}
                                         creates resources, good and bad, in each account
                                         (us-east-1); answers {"ok": {"compared": [check ids],
                                         "failures": [{check, account_id, resource}],
                                         "exempt": [...]}}: every failure the posture checks of
                                         `compared` must report, see `Fixture.plant_posture`
    {"cmd": "plant_network", "account": ID}
                                         builds a two-VPC layout in us-east-1 of that account;
                                         answers {"ok": {"placed": [...], "vpcs": [...],
                                         "subnets": [...]}}, see `Fixture.plant_network`
    {"cmd": "change_network", "account": ID}
                                         terminates the second app instance and starts a
                                         "debug" one behind the bastion's group; answers
                                         {"ok": {"added": [id], "removed": [id]}}
    {"cmd": "deny_nat", "account": ID, "on": true|false}
                                         ec2:DescribeNatGateways answers UnauthorizedOperation
                                         in that account (or again normally)
    {"cmd": "quit"}

What moto lacks, and is patched in-process before the server starts:
  * STS AssumeRole: moto hands out credentials for any role ARN. Here the role must exist in
    the target account's IAM and an Allow statement of its trust policy must accept the
    request's ExternalId (a `StringEquals` `sts:ExternalId` condition must match, no condition
    accepts any); otherwise the answer is AWS's 403 `AccessDenied` in STS's XML error shape.
    Setup enters member accounts through `OrganizationAccountAccessRole`, which moto's
    CreateAccount creates in each new account (trusting the management account), so setup
    passes the same checks as everyone else.
  * Organizations has no API to rename an account: `rename` edits moto's backend.
  * Security Hub `GetEnabledStandards` (POST /standards/get) is not in moto: it is added to
    moto's Security Hub and answers from `STANDARDS` in the shape of the botocore model, or
    401 `InvalidAccessException` when the hub is not enabled in that account and region.
  * IAM Access Analyzer is not in moto at all: `ListAnalyzers` (GET /analyzer) is replayed
    from `ANALYZERS` on the second port, the account found from the SigV4 access key the way
    moto does it, the region from the credential scope.
  * Organizations: moto refuses Security Hub as a delegated-administrator service; AWS has
    it, so it is added to moto's list.
  * S3 `GetBucketVersioning`: moto 5.2 answers with the wrong XML root element; answered here
    as S3 does.
  * CloudTrail: moto shows an organisation trail only to the management account; AWS also
    lists it (as a shadow trail) in every member account, and member accounts may ask its
    status by ARN. `describe_trails` is extended to do the same.
"""

import argparse
import datetime
import io
import json
import logging
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

import boto3
from botocore.config import Config
from moto.cloudtrail.models import CloudTrailBackend, cloudtrail_backends
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.iam.models import get_account_id_from, iam_backends
from moto.moto_api._internal import mock_random
from moto.organizations.models import FakeDelegatedAdministrator, organizations_backends
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import securityhub_backends
from moto.s3.responses import S3Response
from moto.securityhub.responses import SecurityHubResponse
from moto.server import ThreadedMotoServer
from moto.sts.models import STSBackend
from moto.utilities.utils import get_partition
from werkzeug.exceptions import HTTPException

MANAGEMENT = "123456789012"  # moto's default account: what the test credentials map to
REGIONS = ("us-east-1", "eu-west-1")
ROLE = "ParapetAudit"
EXTERNAL_ID = "parapet-test"
SETUP_ROLE = "OrganizationAccountAccessRole"
TAG_KEYS = ("team", "env", "owner", "notification-channel")

def _lambda_zip() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()


# A function's code for CreateFunction (moto stores it; nothing runs it).
LAMBDA_ZIP = _lambda_zip()

# (account id, region) -> Security Hub standards subscription ARNs, answered by GetEnabledStandards.
STANDARDS: dict[tuple[str, str], list[str]] = {}
# (account id, region) -> ListAnalyzers `analyzers` entries.
ANALYZERS: dict[tuple[str, str], list[dict]] = {}


# --- moto patches ---------------------------------------------------------------------------


class StsAccessDenied(HTTPException):
    """AssumeRole refused, as STS answers it: 403 and a query-protocol XML error.

    A moto `ServiceException` would go out as 400 (STS's model has no AccessDenied shape),
    and moto's `RESTError` nests the error in `<Errors>`, where the Rust SDK finds no code.
    moto fills in the request id."""

    code = 403

    def __init__(self, caller_arn: str, role_arn: str):
        message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        super().__init__(
            description='<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        )

    def get_headers(self, *args, **kwargs):
        return [("Content-Type", "text/xml")]


def trust_accepts(policy_document: str, external_id: str | None) -> bool:
    """Whether an Allow statement for sts:AssumeRole accepts `external_id`."""
    statements = json.loads(policy_document)["Statement"]
    for st in statements if isinstance(statements, list) else [statements]:
        actions = st.get("Action", [])
        if st.get("Effect") != "Allow" or "sts:AssumeRole" not in (actions if isinstance(actions, list) else [actions]):
            continue
        equals = {k.lower(): v for k, v in st.get("Condition", {}).get("StringEquals", {}).items()}
        wanted = equals.get("sts:externalid")
        if wanted is None or external_id in (wanted if isinstance(wanted, list) else [wanted]):
            return True
    return False


_moto_assume_role = STSBackend.assume_role


def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
    target = re.match(r"arn:[\w-]+:iam::(\d{12}):role/", role_arn or "")
    roles = iam_backends[target.group(1)][get_partition(region_name)].get_roles() if target else []
    role = next((r for r in roles if r.arn == role_arn), None)
    if role is None or not trust_accepts(role.assume_role_policy_document, external_id):
        # The backend does not know the caller's name; its account is right.
        raise StsAccessDenied(f"arn:aws:iam::{self.account_id}:user/moto", role_arn)
    return _moto_assume_role(
        self,
        region_name=region_name,
        role_session_name=role_session_name,
        role_arn=role_arn,
        policy=policy,
        duration=duration,
        external_id=external_id,
    )


def standards_arn(subscription_arn: str) -> str:
    """arn:aws:securityhub:R:ACCOUNT:subscription/X -> arn:aws:securityhub:R::standards/X"""
    return re.sub(r"^(arn:[\w-]+:securityhub:[\w-]+):\d{12}:subscription/", r"\1::standards/", subscription_arn)


def get_enabled_standards(self) -> str:
    account, region = self.current_account, self.region
    if not securityhub_backends[account][region].enabled:
        # moto's own DescribeHub raises this (401 from the model), without the account id AWS names.
        raise SecurityHubClientError("InvalidAccessException", f"Account {account} is not subscribed to AWS Security Hub")
    wanted = json.loads(self.body or "{}").get("StandardsSubscriptionArns")
    subscriptions = [
        {
            "StandardsSubscriptionArn": arn,
            "StandardsArn": standards_arn(arn),
            "StandardsInput": {},
            "StandardsStatus": "READY",
            "StandardsControlsUpdatable": "READY_FOR_UPDATES",
        }
        for arn in STANDARDS.get((account, region), [])
        if not wanted or arn in wanted
    ]
    return json.dumps({"StandardsSubscriptions": subscriptions})


_moto_describe_trails = CloudTrailBackend.describe_trails


def describe_trails(self, include_shadow_trails: bool):
    trails = list(_moto_describe_trails(self, include_shadow_trails))
    management = organizations_backends.master_accounts.get(self.account_id, (self.account_id,))[0]
    if include_shadow_trails and management != self.account_id:
        for backend in cloudtrail_backends[management].values():
            trails += [
                t
                for t in backend.trails.values()
                if t.is_org_trail and (t.is_multi_region or t.region_name == self.region_name)
            ]
    return trails


def get_bucket_versioning(self):
    """moto 5.2 wraps this answer in a `GetBucketVersioningResponse` root; S3's root (and the
    Rust SDK's expectation) is `VersioningConfiguration`."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    return 200, {}, body


# Accounts whose ec2:DescribeNatGateways is refused (`deny_nat`), as an SCP or a narrow role
# would: a list that fails while the rest of the account reads.
DENIED_NAT: set[str] = set()
_moto_describe_nat_gateways = NatGatewayBackend.describe_nat_gateways


def describe_nat_gateways(self, filters, nat_gateway_ids):
    if self.account_id in DENIED_NAT:
        raise EC2ClientError("UnauthorizedOperation", "You are not authorized to perform this operation.")
    return _moto_describe_nat_gateways(self, filters, nat_gateway_ids)


def patch_moto() -> None:
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways
    STSBackend.assume_role = assume_role
    S3Response.get_bucket_versioning = get_bucket_versioning
    SecurityHubResponse.get_enabled_standards = get_enabled_standards
    securityhub_urls.url_paths["{0}/standards/get$"] = SecurityHubResponse.dispatch
    CloudTrailBackend.describe_trails = describe_trails
    FakeDelegatedAdministrator.SUPPORTED_SERVICES.append("securityhub.amazonaws.com")


# --- Access Analyzer replay -----------------------------------------------------------------


class AnalyzerHandler(BaseHTTPRequestHandler):
    """ListAnalyzers (rest-json, GET /analyzer?type=...) from `ANALYZERS`; anything else 404."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/analyzer":
            return self.not_found()
        scope = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", self.headers.get("Authorization", ""))
        if not scope:
            return self.reply(403, {"message": "Missing Authentication Token"}, "AccessDeniedException")
        account, region = get_account_id_from(scope.group(1)), scope.group(2)
        kind = parse_qs(url.query).get("type", [None])[0]
        analyzers = [a for a in ANALYZERS.get((account, region), []) if kind in (None, a["type"])]
        self.reply(200, {"analyzers": analyzers})

    def do_POST(self):
        self.not_found()

    do_PUT = do_DELETE = do_PATCH = do_POST

    def not_found(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.reply(404, {"message": f"No operation at {self.command} {urlparse(self.path).path}"}, "ResourceNotFoundException")

    def reply(self, status: int, body: dict, error_type: str | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


def analyzer(account: str, region: str, name: str, kind: str) -> dict:
    return {
        "arn": f"arn:aws:access-analyzer:{region}:{account}:analyzer/{name}",
        "name": name,
        "type": kind,
        "createdAt": "2024-05-02T09:30:00Z",
        "status": "ACTIVE",
        "tags": {},
    }


# --- the organisation -------------------------------------------------------------------------

# OU paths below Root and their tags (what accounts without their own tag inherit).
OUS = [
    ("Security", {"team": "security", "owner": "secops@example.com"}),
    ("Infrastructure", {"team": "platform"}),
    ("Workloads", {"notification-channel": "#alerts-workloads"}),
    ("Workloads/Prod", {"env": "prod"}),
    ("Workloads/Prod/Payments", {"team": "payments"}),
    ("Workloads/Prod/Web", {"team": "web"}),
    ("Workloads/NonProd", {"env": "nonprod"}),
    ("Sandbox", {"team": "sandbox-team", "env": "sandbox"}),
    ("Suspended", {}),
]
# Named accounts first, then the families in turn: (name or prefix, OU path, team, env).
FIXED = [
    ("audit", "Security", "security", "prod"),
    ("log-archive", "Security", "security", "prod"),
    ("network", "Infrastructure", "platform", "prod"),
    ("shared-services", "Infrastructure", "platform", "prod"),
    ("legacy-01", "Suspended", "legacy", "prod"),
]
FAMILIES = [
    ("payments-prod", "Workloads/Prod/Payments", "payments", "prod"),
    ("web-prod", "Workloads/Prod/Web", "web", "prod"),
    ("payments-dev", "Workloads/NonProd", "payments", "dev"),
    ("web-staging", "Workloads/NonProd", "web", "staging"),
    ("sandbox", "Sandbox", "sandbox-team", "sandbox"),
]
MISSING_ROLE = ("web-staging-01", "sandbox-01")
PARTIAL_BPA = "payments-prod-02"  # the one account with S3 Block Public Access partly on
MANAGEMENT_TAGS = {
    "team": "platform",
    "env": "prod",
    "owner": "cloud-admins@example.com",
    "notification-channel": "#alerts-platform",
}


def member_specs(members: int) -> list[dict]:
    """Name, OU and own tags of each member account; `i` (1..) drives every variation."""
    counters: dict[str, int] = {}
    specs = []
    for i in range(1, members + 1):
        if i <= len(FIXED):
            name, ou, team, env = FIXED[i - 1]
        else:
            prefix, ou, team, env = FAMILIES[(i - len(FIXED) - 1) % len(FAMILIES)]
            counters[prefix] = counters.get(prefix, 0) + 1
            name = f"{prefix}-{counters[prefix]:02d}"
        tags = {"team": team, "env": env, "owner": f"{team}-lead@example.com", "notification-channel": f"#alerts-{team}"}
        # Some accounts lack a tag and inherit it from the nearest tagged OU (or have none).
        for key, drop in (("team", i % 4 == 2), ("env", i % 5 == 3), ("owner", i % 9 == 5), ("notification-channel", i % 6 == 4)):
            if drop:
                del tags[key]
        if i % 7 == 0:  # downstream matches keys case-insensitively
            tags = {key.title(): value for key, value in tags.items()}
        specs.append({"name": name, "ou": f"Root/{ou}", "tags": tags})
    return specs


def expected_tags(own: dict[str, str], ou_path: str) -> dict[str, str]:
    """Account tag (any key case) wins, else the nearest OU's, else ""."""
    own = {k.lower(): v for k, v in own.items()}
    ou_tags = {f"Root/{path}": tags for path, tags in OUS}
    chain = [ou_path.rsplit("/", n)[0] for n in range(ou_path.count("/"))]  # deepest first
    out = {}
    for key in TAG_KEYS:
        found = [own[key]] if key in own else [ou_tags[p][key] for p in chain if key in ou_tags[p]]
        out[key] = found[0] if found else ""
    return out


def region_profile(i: int, r: int) -> dict:
    """What is switched on in account number `i`, region number `r`."""
    return {
        "config": ("none", "stopped", "on", "on", "on", "on")[(i + r + 2) % 6],
        "guardduty": ("none", "disabled", "on", "on", "on")[(2 * i + r + 3) % 5],
        "securityhub": ("off", "no-standards", "fsbp", "fsbp+cis", "fsbp")[(i + 3 * r + 2) % 5],
        "ebs": (i + r) % 3 == 0,
        "account_analyzer": r == 1 and i % 6 == 4,
    }


def tag_list(tags: dict[str, str]) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class Fixture:
    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        # One session, so service models are loaded once for the hundreds of clients below.
        self.session = boto3.Session(region_name="us-east-1")
        self.base = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        self.org = self.client("organizations")
        self.ou_ids: dict[str, str] = {}

    def client(self, service: str, region: str = "us-east-1", creds: dict | None = None):
        client = self.session.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            config=Config(retries={"max_attempts": 1}),
            **(creds or self.base),
        )
        if service == "s3control":
            # Its endpoint rules put the account id in front of the host name.
            client.meta.events.register("before-sign.s3-control.*", self.as_is_endpoint)
        return client

    def as_is_endpoint(self, request, **kwargs) -> None:
        request.url = f"{self.endpoint}/{request.url.split('/', 3)[3]}"

    def enter(self, account: str) -> dict:
        """Credentials inside `account`, through the role Organizations created there."""
        role_arn = f"arn:aws:iam::{account}:role/{SETUP_ROLE}"
        c = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="org-fixture")["Credentials"]
        return {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"],
        }

    def build(self, n: int) -> dict:
        """Creates the organisation and its baseline; returns the manifest:

        management, organization_id, ous [{id, name, path}], accounts [{id, name, email,
        ou_path, team, env, owner, channel, has_role}] (management first, its OU path "Root"),
        missing_role [ids], delegated_administrators [{account_id, services}], baseline
        [{account_id, region, control, state}] for the management account and every member
        with the role: per region cloudtrail, config_recorder, config_delivery_channel,
        guardduty, securityhub, securityhub_standards, access_analyzer, ebs_encryption; once
        per account (region "") s3_block_public_access. States are "on" or "off"."""
        if self.ou_ids:
            raise ValueError("already built")
        if n < 50:
            raise ValueError("accounts must be at least 50")
        mock_random.seed(n)  # same ids for the same N
        org_id = self.org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        root = self.org.list_roots()["Roots"][0]["Id"]
        self.ou_ids["Root"] = root
        ous = [{"id": root, "name": "Root", "path": "Root"}]
        for path, tags in OUS:
            parent, _, name = f"Root/{path}".rpartition("/")
            ou = self.org.create_organizational_unit(ParentId=self.ou_ids[parent], Name=name, Tags=tag_list(tags))
            self.ou_ids[f"Root/{path}"] = ou["OrganizationalUnit"]["Id"]
            ous.append({"id": ou["OrganizationalUnit"]["Id"], "name": name, "path": f"Root/{path}"})
        self.org.tag_resource(ResourceId=MANAGEMENT, Tags=tag_list(MANAGEMENT_TAGS))

        management = self.org.describe_account(AccountId=MANAGEMENT)["Account"]
        accounts = [self.manifest_account(MANAGEMENT, management["Name"], management["Email"], "Root", MANAGEMENT_TAGS, True)]
        sessions = {MANAGEMENT: self.base}
        audit = None
        for spec in member_specs(n - 1):
            email = f"aws+{spec['name']}@example.com"
            status = self.org.create_account(Email=email, AccountName=spec["name"], Tags=tag_list(spec["tags"]))
            account = status["CreateAccountStatus"]["AccountId"]
            self.org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=self.ou_ids[spec["ou"]])
            has_role = spec["name"] not in MISSING_ROLE
            accounts.append(self.manifest_account(account, spec["name"], email, spec["ou"], spec["tags"], has_role))
            audit = account if spec["name"] == "audit" else audit
            if has_role:
                sessions[account] = self.enter(account)
                self.create_audit_role(sessions[account])

        services = ["access-analyzer.amazonaws.com", "guardduty.amazonaws.com", "securityhub.amazonaws.com"]
        for service in services:
            self.org.enable_aws_service_access(ServicePrincipal=service)
            self.org.register_delegated_administrator(AccountId=audit, ServicePrincipal=service)

        baseline = self.baseline(accounts, sessions, audit)
        return {
            "management": MANAGEMENT,
            "organization_id": org_id,
            "ous": ous,
            "accounts": accounts,
            "missing_role": [a["id"] for a in accounts if not a["has_role"]],
            "delegated_administrators": [{"account_id": audit, "services": services}],
            "baseline": baseline,
        }

    @staticmethod
    def manifest_account(account, name, email, ou_path, tags, has_role) -> dict:
        want = expected_tags(tags, ou_path)
        return {
            "id": account,
            "name": name,
            "email": email,
            "ou_path": ou_path,
            "team": want["team"],
            "env": want["env"],
            "owner": want["owner"],
            "channel": want["notification-channel"],
            "has_role": has_role,
        }

    def create_audit_role(self, creds: dict) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
                }
            ],
        }
        read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "access-analyzer:List*",
                        "cloudtrail:Describe*",
                        "cloudtrail:GetTrailStatus",
                        "config:Describe*",
                        "ec2:GetEbsEncryptionByDefault",
                        "guardduty:Get*",
                        "guardduty:List*",
                        "s3:GetAccountPublicAccessBlock",
                        "securityhub:Describe*",
                        "securityhub:Get*",
                        # posture
                        "ec2:Describe*",
                        "elasticloadbalancing:Describe*",
                        "iam:GenerateCredentialReport",
                        "iam:Get*",
                        "iam:List*",
                        "kms:Describe*",
                        "kms:GetKeyRotationStatus",
                        "kms:List*",
                        "lambda:GetPolicy",
                        "lambda:List*",
                        "rds:Describe*",
                        "s3:GetBucket*",
                        "s3:GetEncryptionConfiguration",
                        "s3:ListAllMyBuckets",
                    ],
                    "Resource": "*",
                }
            ],
        }
        iam = self.client("iam", creds=creds)
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName=ROLE, PolicyName="ParapetAuditRead", PolicyDocument=json.dumps(read))

    def baseline(self, accounts: list[dict], sessions: dict[str, dict], audit: str) -> list[dict]:
        """Switches controls on per `region_profile`, through each account's own credentials."""
        trail_bucket, config_bucket = f"org-trail-{MANAGEMENT}", f"org-config-{MANAGEMENT}"
        s3 = self.client("s3")
        for bucket in (trail_bucket, config_bucket):
            s3.create_bucket(Bucket=bucket)
        trail = self.client("cloudtrail")
        trail.create_trail(Name="org-trail", S3BucketName=trail_bucket, IsMultiRegionTrail=True, IsOrganizationTrail=True)
        trail.start_logging(Name="org-trail")
        ANALYZERS[(audit, "us-east-1")] = [analyzer(audit, "us-east-1", "org-analyzer", "ORGANIZATION")]
        # An organisation analyzer covers every account in its region.
        org_analyzer_regions = {"us-east-1"}

        out = []

        def state(account, region, control, on):
            out.append({"account_id": account, "region": region, "control": control, "state": "on" if on else "off"})

        for i, entry in enumerate(accounts):
            account, creds = entry["id"], sessions.get(entry["id"])
            if creds is None:
                continue
            for r, region in enumerate(REGIONS):
                p = region_profile(i, r)
                if p["config"] != "none":
                    config = self.client("config", region, creds)
                    config.put_configuration_recorder(
                        ConfigurationRecorder={
                            "name": "default",
                            "roleARN": f"arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": r == 0},
                        }
                    )
                    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": config_bucket})
                    if p["config"] == "on":
                        config.start_configuration_recorder(ConfigurationRecorderName="default")
                if p["guardduty"] != "none":
                    self.client("guardduty", region, creds).create_detector(Enable=p["guardduty"] == "on")
                if p["securityhub"] != "off":
                    self.client("securityhub", region, creds).enable_security_hub(EnableDefaultStandards=False)
                    names = {
                        "no-standards": [],
                        "fsbp": ["aws-foundational-security-best-practices/v/1.0.0"],
                        "fsbp+cis": ["aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/1.4.0"],
                    }[p["securityhub"]]
                    STANDARDS[(account, region)] = [f"arn:aws:securityhub:{region}:{account}:subscription/{s}" for s in names]
                if p["ebs"]:
                    self.client("ec2", region, creds).enable_ebs_encryption_by_default()
                if p["account_analyzer"]:
                    ANALYZERS[(account, region)] = [analyzer(account, region, "account-analyzer", "ACCOUNT")]

                state(account, region, "cloudtrail", True)
                state(account, region, "config_recorder", p["config"] == "on")
                state(account, region, "config_delivery_channel", p["config"] != "none")
                state(account, region, "guardduty", p["guardduty"] == "on")
                state(account, region, "securityhub", p["securityhub"] != "off")
                state(account, region, "securityhub_standards", p["securityhub"] not in ("off", "no-standards"))
                state(account, region, "access_analyzer", p["account_analyzer"] or region in org_analyzer_regions)
                state(account, region, "ebs_encryption", p["ebs"])

            partial = entry["name"] == PARTIAL_BPA
            if partial or i % 4 != 2:
                self.client("s3control", creds=creds).put_public_access_block(
                    AccountId=account,
                    PublicAccessBlockConfiguration={
                        "BlockPublicAcls": True,
                        "IgnorePublicAcls": True,
                        "BlockPublicPolicy": not partial,
                        "RestrictPublicBuckets": not partial,
                    },
                )
            state(account, "", "s3_block_public_access", not partial and i % 4 != 2)
        return out

    # --- posture ---

    def plant_posture(self, accounts: list[str]) -> dict:
        """In us-east-1 of each account (entered through its setup role), per its index i:

        security groups: "web" (443 from anywhere: fine) everywhere, and one bad group by i % 4:
        SSH from 0.0.0.0/0, RDP from ::/0, every port from 0.0.0.0/0, MySQL from 0.0.0.0/0;
        account 5 also has SSH open on a group tagged parapet:exempt. The default group keeps
        its rules (moto's: all egress, ingress from itself) when i is odd. A flow log on the
        default VPC when i % 3 == 0. One instance: even i, t3.micro in a new subnet without a
        public address, IMDSv2 required, encrypted root volume; odd i, m5.large in the default
        subnet (public address), IMDSv1 allowed, root volume unencrypted unless the region
        encrypts by default. Odd i, where the region does not encrypt by default, an extra
        unencrypted volume. A bucket with every protection (versioning, encryption, TLS-only
        policy, Block Public Access); odd i a second one with a public policy and a public-read
        ACL (public unless the account's Block Public Access stops it), no encryption setting,
        no TLS-only policy, no versioning. An RDS instance: even i private, encrypted, 7 days of
        backups; odd i the opposite. IAM: a password policy (14 characters, 24 remembered) for
        even i; user "dev" with a console password, without MFA for odd i; user "ci" with an
        access key, 200 days old when i % 3 == 0; a managed policy attached to "dev" directly
        when i % 4 == 0; a policy granting "*" on "*" attached to a role when i % 5 == 0; a role
        created 400 days ago and never used when i % 5 == 1. A KMS key, rotated for even i. A
        Lambda function callable by anyone when i % 3 == 2, else only by S3 from one bucket. An
        application load balancer whose HTTP listener redirects to HTTPS for even i, answers in
        plain HTTP for odd i. A trail of its own, logging when i % 4 == 3, never started when
        i % 4 == 1.

        Checks moto's defaults decide (root MFA, which moto cannot set; the services; S3 access
        logging) are not compared."""
        region = "us-east-1"
        compared = [
            "ec2.sg_open_ssh", "ec2.sg_open_rdp", "ec2.sg_open_all_ports", "ec2.sg_open_high_risk_port",
            "ec2.default_sg_closed", "ec2.vpc_flow_logs", "ec2.imdsv2_required", "ec2.instance_no_public_ip",
            "ec2.instance_type_allowed", "ec2.ebs_volume_encrypted", "s3.bucket_block_public_access",
            "s3.bucket_not_public", "s3.bucket_tls_only", "s3.bucket_versioning", "rds.instance_not_public",
            "rds.instance_encrypted", "rds.instance_backups", "iam.password_policy", "iam.user_console_mfa",
            "iam.access_key_rotated", "iam.credentials_unused", "iam.user_no_direct_policies",
            "iam.policy_no_full_admin", "iam.role_unused", "kms.key_rotation", "lambda.function_not_public",
            "elb.listener_tls", "cloudtrail.trail_logging", "cloudtrail.tamper_permissions",
        ]
        failures, exempt = [], []

        def fail(check, account, resource, into=failures):
            into.append({"check": check, "account_id": account, "resource": resource})

        for i, account in enumerate(accounts):
            creds = self.enter(account)
            ec2 = self.client("ec2", region, creds)
            vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            default_subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]

            def group(name, permissions, tags=None):
                g = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                if tags:
                    ec2.create_tags(Resources=[g], Tags=tag_list(tags))
                ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=permissions)
                return g

            s3 = self.client("s3", region, creds)

            def protected_bucket(name):
                """A bucket with every protection the checks look for."""
                s3.create_bucket(Bucket=name)
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
                s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
                s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
                s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
                return name

            world4 = [{"CidrIp": "0.0.0.0/0"}]
            group("web", [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": world4}])
            kind = i % 4
            if kind == 0:
                g = group("ssh", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": world4}])
                fail("ec2.sg_open_ssh", account, g)
            elif kind == 1:
                g = group("rdp", [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
                fail("ec2.sg_open_rdp", account, g)
            elif kind == 2:
                g = group("all", [{"IpProtocol": "-1", "IpRanges": world4}])
                for check in ("ec2.sg_open_ssh", "ec2.sg_open_rdp", "ec2.sg_open_all_ports"):
                    fail(check, account, g)
            else:
                g = group("mysql", [{"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "IpRanges": world4}])
                fail("ec2.sg_open_high_risk_port", account, g)
            if i == 5:
                g = group("bastion", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": world4}], {"parapet:exempt": "true"})
                fail("ec2.sg_open_ssh", account, g, exempt)

            default_group = ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
            )["SecurityGroups"][0]
            if i % 2 == 0:
                if default_group["IpPermissions"]:
                    ec2.revoke_security_group_ingress(GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissions"])
                if default_group["IpPermissionsEgress"]:
                    ec2.revoke_security_group_egress(GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissionsEgress"])
            elif default_group["IpPermissions"] or default_group["IpPermissionsEgress"]:
                fail("ec2.default_sg_closed", account, default_group["GroupId"])
            if i % 3 == 0:
                protected_bucket(f"flow-logs-{account}")
                ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                                     LogDestinationType="s3", LogDestination=f"arn:aws:s3:::flow-logs-{account}")
            else:
                fail("ec2.vpc_flow_logs", account, vpc)

            kms = self.client("kms", region, creds)
            key_meta = kms.create_key(Description="data")["KeyMetadata"]
            if i % 2 == 0:
                kms.enable_key_rotation(KeyId=key_meta["KeyId"])
            else:
                fail("kms.key_rotation", account, key_meta["Arn"])

            encrypts = ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]
            image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
            if i % 2 == 0:
                subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"172.31.{200 + i % 50}.0/24")["Subnet"]["SubnetId"]
                inst = ec2.run_instances(
                    ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                    MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
                    BlockDeviceMappings=[{"DeviceName": "/dev/sda1",
                                          "Ebs": {"VolumeSize": 8, "Encrypted": True, "KmsKeyId": key_meta["KeyId"]}}],
                )["Instances"][0]
            else:
                inst = ec2.run_instances(
                    ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.large", SubnetId=default_subnet["SubnetId"],
                    MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
                    BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8, "Encrypted": False}}],
                )["Instances"][0]
                for check in ("ec2.imdsv2_required", "ec2.instance_no_public_ip", "ec2.instance_type_allowed"):
                    fail(check, account, inst["InstanceId"])
                # (moto keeps the root volume as asked, even where the region encrypts by default.)
                described = ec2.describe_instances(InstanceIds=[inst["InstanceId"]])["Reservations"][0]["Instances"][0]
                for mapping in described.get("BlockDeviceMappings", []):
                    fail("ec2.ebs_volume_encrypted", account, mapping["Ebs"]["VolumeId"])
                if not encrypts:
                    extra = ec2.create_volume(AvailabilityZone=f"{region}a", Size=10, Encrypted=False)["VolumeId"]
                    fail("ec2.ebs_volume_encrypted", account, extra)

            good = protected_bucket(f"posture-good-{account}")
            if i % 2 == 1:
                bad = f"posture-open-{account}"
                s3.create_bucket(Bucket=bad, ACL="public-read")
                s3.put_bucket_policy(Bucket=bad, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bad}/*"}]}))
                arn = f"arn:aws:s3:::{bad}"
                for check in ("s3.bucket_block_public_access", "s3.bucket_tls_only", "s3.bucket_versioning"):
                    fail(check, account, arn)
                try:
                    bpa = self.client("s3control", creds=creds).get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
                except Exception:
                    bpa = {}
                if not (bpa.get("RestrictPublicBuckets") and bpa.get("IgnorePublicAcls")):
                    fail("s3.bucket_not_public", account, arn)

            rds = self.client("rds", region, creds)
            # The encrypted instance (and volume above) use the key above: moto would make a
            # customer key of its own, where AWS uses the AWS managed aws/rds (aws/ebs) key.
            encryption = {"StorageEncrypted": True, "KmsKeyId": key_meta["KeyId"]} if i % 2 == 0 else {"StorageEncrypted": False}
            db = rds.create_db_instance(
                DBInstanceIdentifier=f"db{i}", DBInstanceClass="db.t3.micro", Engine="postgres",
                MasterUsername="admin", MasterUserPassword="not-a-secret-0", AllocatedStorage=20,
                PubliclyAccessible=i % 2 == 1, BackupRetentionPeriod=7 if i % 2 == 0 else 0, **encryption,
            )["DBInstance"]
            if i % 2 == 1:
                for check in ("rds.instance_not_public", "rds.instance_encrypted", "rds.instance_backups"):
                    fail(check, account, db["DBInstanceArn"])

            iam = self.client("iam", creds=creds)
            if i % 2 == 0:
                iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24,
                                                   RequireSymbols=True, RequireNumbers=True,
                                                   RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
            else:
                fail("iam.password_policy", account, f"arn:aws:iam::{account}:root")
            dev = iam.create_user(UserName="dev")["User"]["Arn"]
            iam.create_login_profile(UserName="dev", Password="not-a-secret-0")
            if i % 2 == 0:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="dev")["VirtualMFADevice"]["SerialNumber"]
                iam.enable_mfa_device(UserName="dev", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")
            else:
                fail("iam.user_console_mfa", account, dev)
            # The console password was never used: fine while the user is new.
            ci = iam.create_user(UserName="ci")["User"]["Arn"]
            key = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
            if i % 3 == 0:
                backend = iam_backends[account]["aws"]
                old = backend.users["ci"].access_keys[0]
                old.create_date = old.create_date - datetime.timedelta(days=200)
                fail("iam.access_key_rotated", account, f"{ci}/access-key/{key}")
                fail("iam.credentials_unused", account, ci)
            if i % 4 == 0:
                read = iam.create_policy(PolicyName="dev-read", PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}))["Policy"]["Arn"]
                iam.attach_user_policy(UserName="dev", PolicyArn=read)
                fail("iam.user_no_direct_policies", account, dev)
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            lambda_role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            if i % 5 == 0:
                admin = iam.create_policy(PolicyName="everything", PolicyDocument=json.dumps(
                    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
                iam.attach_role_policy(RoleName="fn-role", PolicyArn=admin)
                fail("iam.policy_no_full_admin", account, admin)
                # "*" includes cloudtrail:StopLogging and friends.
                fail("cloudtrail.tamper_permissions", account, admin)
            if i % 5 == 1:
                legacy = iam.create_role(RoleName="legacy-deployer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
                role = iam_backends[account]["aws"].get_role("legacy-deployer")
                role.create_date = role.create_date - datetime.timedelta(days=400)
                fail("iam.role_unused", account, legacy)

            fn = self.client("lambda", region, creds).create_function(
                FunctionName="thumbnails", Runtime="python3.12", Role=lambda_role, Handler="app.handler",
                Code={"ZipFile": LAMBDA_ZIP},
            )["FunctionArn"]
            lam = self.client("lambda", region, creds)
            if i % 3 == 2:
                lam.add_permission(FunctionName="thumbnails", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")
                fail("lambda.function_not_public", account, fn)
            else:
                lam.add_permission(FunctionName="thumbnails", StatementId="s3", Action="lambda:InvokeFunction",
                                   Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{good}", SourceAccount=account)

            elb = self.client("elbv2", region, creds)
            subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
            lb = elb.create_load_balancer(Name=f"web{i}", Subnets=subnets[:2], Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
            if i % 2 == 0:
                action = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            else:
                action = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "ok"}}
                fail("elb.listener_tls", account, lb)
            elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[action])

            # A trail of the account's own: logging for i % 4 == 3, created and never started
            # for i % 4 == 1.
            if i % 4 in (1, 3):
                trail = self.client("cloudtrail", region, creds)
                trail.create_trail(Name="local", S3BucketName=protected_bucket(f"trail-{account}"))
                if i % 4 == 3:
                    trail.start_logging(Name="local")
                else:
                    fail("cloudtrail.trail_logging", account, "local")
        return {"compared": compared, "failures": failures, "exempt": exempt}

    # --- network layout (diagrams) ---

    def plant_network(self, account: str) -> dict:
        """In us-east-1 of `account`: VPC "core" 10.20.0.0/16 with public subnets in a and b
        (route 0.0.0.0/0 to an internet gateway), private subnets in a and b (0.0.0.0/0 to a NAT
        gateway in public a), and a transit gateway attachment on the private subnets; VPC
        "shared" 10.30.0.0/16 with one subnet in c, peered with "core". Security groups:
        "bastion" SSH from 0.0.0.0/0, "alb" 443 from 0.0.0.0/0 and 80 from ::/0, "app" 8080
        from "alb" only. Instances: bastion (public a, "bastion"), app-1 (private a) and app-2
        (private b) with "app", tools (shared) with no group rule. An internet-facing ALB in
        both public subnets ("alb"), a private RDS instance on the private subnets ("app"), a
        Lambda function in the private subnets ("app").

        Answers what a diagram must show: `placed` [{kind, id, region, vpc, az, subnet,
        public, exposed}] (`subnet`, `az` and `public` are null for what sits on a VPC's edge;
        `exposed` the world-open ports, sorted), and every VPC and subnet of the account in
        the region (moto's default VPC included) as `vpcs` [id] and `subnets` [{id, vpc, az}]."""
        region = "us-east-1"
        creds = self.enter(account)
        ec2 = self.client("ec2", region, creds)
        placed = []

        def place(kind, id_, vpc, az=None, subnet=None, public=None, exposed=()):
            placed.append({"kind": kind, "id": id_, "region": region, "vpc": vpc, "az": az,
                           "subnet": subnet, "public": public, "exposed": sorted(exposed)})

        def vpc(cidr, name):
            v = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
            ec2.create_tags(Resources=[v], Tags=tag_list({"Name": name}))
            return v

        def subnet(v, cidr, az, name):
            s = ec2.create_subnet(VpcId=v, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
            ec2.create_tags(Resources=[s], Tags=tag_list({"Name": name}))
            return s

        core, shared = vpc("10.20.0.0/16", "core"), vpc("10.30.0.0/16", "shared")
        pub_a = subnet(core, "10.20.0.0/24", "us-east-1a", "public-a")
        pub_b = subnet(core, "10.20.1.0/24", "us-east-1b", "public-b")
        priv_a = subnet(core, "10.20.10.0/24", "us-east-1a", "private-a")
        priv_b = subnet(core, "10.20.11.0/24", "us-east-1b", "private-b")
        tools_net = subnet(shared, "10.30.0.0/24", "us-east-1c", "tools")
        home = {pub_a: ("us-east-1a", True), pub_b: ("us-east-1b", True),
                priv_a: ("us-east-1a", False), priv_b: ("us-east-1b", False), tools_net: ("us-east-1c", False)}

        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=core)
        place("internet_gateway", igw, core)
        public_rt = ec2.create_route_table(VpcId=core)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for s in (pub_a, pub_b):
            ec2.associate_route_table(RouteTableId=public_rt, SubnetId=s)
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=pub_a, AllocationId=eip)["NatGateway"]["NatGatewayId"]
        place("nat_gateway", nat, core, "us-east-1a", pub_a, True)
        private_rt = ec2.create_route_table(VpcId=core)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        for s in (priv_a, priv_b):
            ec2.associate_route_table(RouteTableId=private_rt, SubnetId=s)

        tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
        attachment = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=core, SubnetIds=[priv_a, priv_b])["TransitGatewayVpcAttachment"]
        place("transit_gateway_attachment", attachment["TransitGatewayAttachmentId"], core)
        peering = ec2.create_vpc_peering_connection(VpcId=core, PeerVpcId=shared)["VpcPeeringConnection"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])
        place("peering", peering["VpcPeeringConnectionId"], core)
        place("peering", peering["VpcPeeringConnectionId"], shared)

        def group(name, v, permissions):
            g = ec2.create_security_group(GroupName=name, Description=name, VpcId=v)["GroupId"]
            if permissions:
                ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=permissions)
            return g

        bastion_sg = group("bastion", core, [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                              "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        alb_sg = group("alb", core, [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        ])
        app_sg = group("app", core, [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                                      "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
        tools_sg = group("tools", shared, [])
        self.network = {"ec2": ec2, "subnets": {"private-b": priv_b}, "bastion_sg": bastion_sg}

        def instance(name, s, sg, exposed=()):
            i = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  SubnetId=s, SecurityGroupIds=[sg],
                                  TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list({"Name": name})}],
                                  )["Instances"][0]["InstanceId"]
            az, public = home[s]
            place("instance", i, core if s != tools_net else shared, az, s, public, exposed)
            return i

        instance("bastion", pub_a, bastion_sg, ["22"])
        instance("app-1", priv_a, app_sg)
        self.network["app-2"] = instance("app-2", priv_b, app_sg)
        instance("tools", tools_net, tools_sg)

        elb = self.client("elbv2", region, creds)
        lb = elb.create_load_balancer(Name="front", Subnets=[pub_a, pub_b], SecurityGroups=[alb_sg],
                                      Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        place("load_balancer", lb, core, "us-east-1a", pub_a, True, ["443", "80"])

        rds = self.client("rds", region, creds)
        rds.create_db_subnet_group(DBSubnetGroupName="core-private", DBSubnetGroupDescription="private",
                                   SubnetIds=[priv_a, priv_b])
        db = rds.create_db_instance(
            DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="postgres",
            MasterUsername="admin", MasterUserPassword="not-a-secret-0", AllocatedStorage=20,
            DBSubnetGroupName="core-private", VpcSecurityGroupIds=[app_sg], PubliclyAccessible=False,
        )["DBInstance"]
        place("rds", db["DbiResourceId"], core, "us-east-1a", priv_a, False)

        iam = self.client("iam", creds=creds)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        role = iam.create_role(RoleName="network-fn", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        self.client("lambda", region, creds).create_function(
            FunctionName="resize", Runtime="python3.12", Role=role, Handler="app.handler",
            Code={"ZipFile": LAMBDA_ZIP}, VpcConfig={"SubnetIds": [priv_a, priv_b], "SecurityGroupIds": [app_sg]},
        )
        place("lambda", "resize", core, "us-east-1a", priv_a, False)

        vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
        subnets = [{"id": s["SubnetId"], "vpc": s["VpcId"], "az": s["AvailabilityZone"]}
                   for s in ec2.describe_subnets()["Subnets"]]
        return {"placed": placed, "vpcs": sorted(vpcs), "subnets": subnets}

    def change_network(self, account: str) -> dict:
        """After `plant_network` in `account`: app-2 terminated, "debug" started in private b
        behind the bastion's group (SSH open to the world)."""
        n = getattr(self, "network", None)
        if n is None:
            raise ValueError("plant_network first")
        ec2 = n["ec2"]
        ec2.terminate_instances(InstanceIds=[n["app-2"]])
        debug = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  SubnetId=n["subnets"]["private-b"], SecurityGroupIds=[n["bastion_sg"]],
                                  )["Instances"][0]["InstanceId"]
        return {"added": [debug], "removed": [n["app-2"]]}

    # --- changes between two syncs ---

    def rename(self, account: str, name: str) -> bool:
        organizations_backends[MANAGEMENT]["aws"].get_account_by_id(account).name = name
        return True

    def move(self, account: str, ou_path: str) -> bool:
        if ou_path not in self.ou_ids:
            raise ValueError(f"no OU at {ou_path}; known: {sorted(self.ou_ids)}")
        source = self.org.list_parents(ChildId=account)["Parents"][0]["Id"]
        self.org.move_account(AccountId=account, SourceParentId=source, DestinationParentId=self.ou_ids[ou_path])
        return True

    def untag(self, account: str, key: str) -> bool:
        self.org.untag_resource(ResourceId=account, TagKeys=[key])
        return True

    def close(self, account: str) -> bool:
        self.org.close_account(AccountId=account)
        # moto leaves State at SUSPENDED (AWS's word for an account AWS suspended); a closed
        # account settles at CLOSED (its Status, still sent, stays SUSPENDED as in AWS).
        organizations_backends[MANAGEMENT]["aws"].get_account_by_id(account).state = "CLOSED"
        return True

    def remove_role(self, account: str) -> bool:
        iam = self.client("iam", creds=self.enter(account))
        for policy in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
            iam.delete_role_policy(RoleName=ROLE, PolicyName=policy)
        iam.delete_role(RoleName=ROLE)
        return True

    def run(self, command: dict):
        cmd = command.get("cmd")
        if cmd == "build":
            return self.build(int(command["accounts"]))
        if not self.ou_ids:
            raise ValueError("build first")
        if cmd == "rename":
            return self.rename(command["id"], command["name"])
        if cmd == "move":
            return self.move(command["id"], command["ou_path"])
        if cmd == "untag":
            return self.untag(command["id"], command["key"])
        if cmd == "close":
            return self.close(command["id"])
        if cmd == "remove_role":
            return self.remove_role(command["id"])
        if cmd == "plant_posture":
            return self.plant_posture(command["accounts"])
        if cmd == "plant_network":
            return self.plant_network(command["account"])
        if cmd == "change_network":
            return self.change_network(command["account"])
        if cmd == "deny_nat":
            (DENIED_NAT.add if command["on"] else DENIED_NAT.discard)(command["account"])
            return True
        raise ValueError(f"unknown command {cmd!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--analyzer-port", type=int, required=True)
    args = parser.parse_args()

    # Only protocol lines go to stdout; anything else printed lands on stderr.
    out, sys.stdout = sys.stdout, sys.stderr

    def say(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    # Account ids come from the access keys, never from the host's environment or profile.
    for var in ("MOTO_ACCOUNT_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    patch_moto()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    moto.start()
    port = moto.get_host_and_port()[1]
    analyzers = ThreadingHTTPServer(("127.0.0.1", args.analyzer_port), AnalyzerHandler)
    threading.Thread(target=analyzers.serve_forever, daemon=True).start()
    fixture = Fixture(f"http://127.0.0.1:{port}")
    say({"ready": True, "port": port, "analyzer_port": analyzers.server_address[1]})

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            command = json.loads(line)
            if command.get("cmd") == "quit":
                break
            say({"ok": fixture.run(command)})
        except Exception as e:  # one bad command must not stop the fixture
            say({"error": f"{type(e).__name__}: {e}"})
    analyzers.shutdown()
    moto.stop()
    sys.stderr.flush()
    os._exit(0)  # tearing down moto's state at interpreter exit takes seconds


if __name__ == "__main__":
    main()
