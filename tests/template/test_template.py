"""template.yaml: lint-clean, transforms, stays within the resource budget, matches the decorators."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.local.functions import discover
from shared.local.template import generate, load

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
RESOURCE_LIMIT = 450
STREAM_ARN_FORMAT = "arn:*:dynamodb:*:*:table/*/stream/*"


class _NoManagedPolicies:
    """The transform asks IAM for managed policy ARNs only for policy templates we do not use."""

    def load(self):
        return {}


@pytest.fixture(scope="module")
def transformed():
    from samtranslator.translator.transform import transform

    template = load(TEMPLATE)
    # As `sam package` does: local code paths become S3 locations before the transform.
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/functions.zip"
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::LayerVersion":
            res["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    return transform(template, {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                                      "AWS::Partition": "aws"}, _NoManagedPolicies())


def test_cfn_lint_reports_no_errors():
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    run = subprocess.run([str(cfn_lint), "--format", "parseable", str(TEMPLATE)], capture_output=True, text=True)
    assert run.returncode in (0, 4, 8, 12), run.stderr  # 2 = errors; 4 warnings, 8 informational
    errors = [line for line in run.stdout.splitlines() if ":E" in line]
    assert not errors, run.stdout


def test_template_matches_the_decorators():
    current, fresh = generate(TEMPLATE, ROOT)
    assert current == fresh, "template.yaml has drifted: run `echelonx template`"


def test_the_authorizer_may_be_invoked_by_api_gateway(transformed):
    perms = [r for r in transformed["Resources"].values()
             if r["Type"] == "AWS::Lambda::Permission" and "AuthorizerFunction" in str(r["Properties"]["FunctionName"])]
    assert perms and all(p["Properties"]["Principal"] == "apigateway.amazonaws.com" for p in perms)
    api = next(r for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    scheme = api["Properties"]["Body"]["components"]["securitySchemes"]["JwtLambda"]
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request" and authorizer["enableSimpleResponses"] is True
    assert authorizer["authorizerResultTtlInSeconds"] <= 60  # revocations bite within a minute


# The operations the finished product has, one function each, counted once in entities.md (and the
# seed document it names) so that this test reads nothing outside the repository: 84 in the
# "Operations (N)" lists of sections 6-15, 91 in the seed's sections 1-5, 8 auth operations of
# section 1 and 6 "beyond the seed" (eraseMember, exportMember, four webhook-endpoint operations)
# make 189 names; verifyEmail and enableTwoFactor are both seed and auth names (187 distinct), and
# two seed names are no function of their own: updateLastLogin is done inside login, resetPassword
# is requestPasswordReset + confirmPasswordReset. Count again when entities.md changes.
PLANNED_OPERATIONS = 185
PLANNED_DOMAINS = 18


def test_the_stack_stays_under_450_resources_with_every_operation(transformed):
    resources = transformed["Resources"]
    functions = [k for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"]
    per_function = sum(1 for k in resources if any(k.startswith(f) for f in functions)) / len(functions)
    fixed = len(resources) - per_function * len(functions)
    # A role and a log group per domain: those of the domains present are in `fixed` already, so only
    # the domains still to come are added (the first slice had 2 and planned 16 more).
    present = {json.dumps(resources[f]["Properties"]["Role"], sort_keys=True) for f in functions}
    projected = fixed + per_function * PLANNED_OPERATIONS + 2 * max(0, PLANNED_DOMAINS - len(present))
    print(f"\nresources now: {len(resources)}; per function: {per_function:.2f}; "
          f"projected with {PLANNED_OPERATIONS} operations: {projected:.0f}")
    assert per_function <= 2.0
    assert projected <= RESOURCE_LIMIT


def test_every_function_has_a_sample_event():
    for fn in discover(ROOT):
        event = ROOT / "events" / fn.domain / f"{fn.path.stem}.json"
        assert event.exists(), f"{fn.spec.name}: no sample event at {event.relative_to(ROOT)}"


def test_functions_have_per_kind_sizing_and_a_domain_log_group():
    template = load(TEMPLATE)
    for fn in discover(ROOT):
        props = template["Resources"][fn.logical_id]["Properties"]
        assert props["LoggingConfig"]["LogGroup"] == {"Ref": f"{fn.role_domain}LogGroup"}
        assert props["Role"] == {"Fn::GetAtt": [f"{fn.role_domain}Role", "Arn"]}
        assert props["MemorySize"] >= 512


def test_bulk_search_and_export_routes_carry_their_own_throttle_in_the_stage(transformed):
    """Each costs far more than a read: its route is held below the stage default on API Gateway."""
    stage = next(r["Properties"] for r in transformed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage")
    default = stage["DefaultRouteSettings"]
    costly = [fn.spec for fn in discover(ROOT) if fn.spec.kind == "api"
              and fn.spec.name.startswith(("bulk", "search", "export"))]
    assert {s.name for s in costly} >= {"bulkUpdateUsers", "bulkUpdateClients", "searchUsers", "searchClients",
                                        "exportClientData"}
    for spec in costly:
        assert spec.throttle is not None, f"{spec.name} declares no throttle="
        settings = stage["RouteSettings"].get(f"{spec.method} {spec.route}")
        assert settings == {"ThrottlingBurstLimit": spec.throttle[0], "ThrottlingRateLimit": spec.throttle[1]}, spec.name
        assert settings["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]
        assert settings["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]


def test_a_scheduled_function_adds_no_role_of_its_own(tmp_path):
    """A ScheduleV2 event without RoleArn makes SAM add an IAM role per function (3 resources each, over
    the budget); ours name the one SchedulerRole, and carry their time zone and input."""
    from samtranslator.translator.transform import transform

    from shared.api.triggers import scheduled
    from shared.local.functions import FunctionModule
    from shared.local.template import BEGIN, render

    @scheduled("nightlyDigest", "cron(0 2 * * ? *)", timezone="Europe/Paris", input={"job": "digest"})
    def handler(event, context):
        return event

    fn = FunctionModule(Path("functions/jobs/nightly_digest.py"), "users", "functions.jobs.nightly_digest",
                        "jobs/nightly_digest.handler", handler.spec)
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE.read_text().replace(BEGIN, BEGIN + render([fn])))
    template = load(path)
    template["Globals"]["Function"]["CodeUri"] = "s3://artifacts/functions.zip"
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::LayerVersion":
            res["Properties"]["ContentUri"] = "s3://artifacts/layer.zip"
    out = transform(template, {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
                               "AWS::Partition": "aws"}, _NoManagedPolicies())["Resources"]
    own = {k: v["Type"] for k, v in out.items() if k.startswith("NightlyDigestFunction")}
    assert sorted(own.values()) == ["AWS::Lambda::Function", "AWS::Scheduler::Schedule"], own
    schedule = next(out[k]["Properties"] for k, t in own.items() if t == "AWS::Scheduler::Schedule")
    assert schedule["Target"]["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert json.loads(schedule["Target"]["Input"]) == {"job": "digest"}


def test_a_schedule_aws_would_refuse_is_refused_by_echelonx_template():
    from shared.api.triggers import scheduled
    from shared.local.functions import FunctionModule
    from shared.local.template import render

    @scheduled("badZone", "cron(0 2 * * ? *)", timezone="Mars/Olympus")
    def handler(event, context):
        return event

    fn = FunctionModule(Path("functions/jobs/bad.py"), "users", "functions.jobs.bad", "jobs/bad.handler", handler.spec)
    with pytest.raises(ValueError, match="badZone"):
        render([fn])


def test_the_stream_consumer_parks_what_it_cannot_apply_in_a_bucket_its_role_may_write(transformed):
    """After its bounded retries Lambda writes the failed batch, records and images, to an S3 destination
    under the function's role; an SQS one would hold only sequence numbers of records gone within 24 h."""
    resources = transformed["Resources"]
    mapping, = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"
                and "StreamArn" in str(r["Properties"]["EventSourceArn"])]
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10
    bucket = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert resources[bucket]["Type"] == "AWS::S3::Bucket"
    function = resources[mapping["FunctionName"]["Ref"]]
    role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    granted = {(a, str(s["Resource"])) for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str)
                                                                     else s["Action"])}
    assert ("s3:PutObject", str({"Fn::Sub": f"${{{bucket}.Arn}}/aws/lambda/*"})) in granted
    assert ("s3:ListBucket", str({"Fn::GetAtt": [bucket, "Arn"]})) in granted


def _grants(resources: dict, role: str) -> set[tuple[str, str]]:
    statements = [s for p in resources[role]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    return {(a, str(r)) for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}


def test_attachments_sit_in_a_private_encrypted_expiring_bucket_only_create_writes_and_the_sender_reads(transformed):
    from shared.communications.attachments import RETENTION_DAYS

    resources = transformed["Resources"]
    bucket = resources["AttachmentBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", RETENTION_DAYS)
    objects = str({"Fn::Sub": "${AttachmentBucket.Arn}/attachments/*"})
    holders = {name: {a for a, r in _grants(resources, name) if "AttachmentBucket" in r}
               for name, res in resources.items() if res["Type"] == "AWS::IAM::Role" and "Policies" in res["Properties"]}
    assert {name: actions for name, actions in holders.items() if actions} == {
        "CommunicationsRole": {"s3:PutObject"}, "SenderRole": {"s3:GetObject"}}
    assert ("s3:PutObject", objects) in _grants(resources, "CommunicationsRole")
    assert ("s3:GetObject", objects) in _grants(resources, "SenderRole")


def test_role_policies_pass_parliament(local):
    """Every role's inline policies, intrinsics resolved as the stack would (the local runtime's ARNs), linted
    by parliament: unknown actions (there is no dynamodb:TransactWriteItems), actions no resource of the
    statement can take, malformed ARNs."""
    from parliament import analyze_policy_string

    from shared.local.lambda_runtime import parameter_defaults

    template = load(TEMPLATE)
    parameters = parameter_defaults(template)
    findings, linted = [], 0
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in res["Properties"].get("Policies") or []:
            document = local.aws.resolve(policy["PolicyDocument"], parameters)
            linted += 1
            for finding in analyze_policy_string(json.dumps(document)).findings:
                detail = finding.detail
                if finding.issue == "RESOURCE_MISMATCH":
                    # parliament splits an ARN at every colon, and a stream's label (a timestamp) has
                    # colons, on AWS as here: it cannot match a stream ARN to its stream actions.
                    detail = [d for d in detail if d["required_format"] != STREAM_ARN_FORMAT]
                if detail:
                    findings.append(f"{logical_id}/{policy['PolicyName']}: {finding.issue} {detail}")
    assert linted >= 7 and not findings, findings
