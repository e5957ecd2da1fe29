"""IAM enforced locally: each AWS call a function makes is checked against its role in template.yaml.

The mapping from a call to what IAM checks, per kind of call; a denied call failing as AWS fails it;
one permission taken from a role (a copy of the template) making the operation that needs it fail;
and the least-privilege report's arithmetic.
"""

from __future__ import annotations

import copy
import logging
import re

import pytest
from botocore.exceptions import ClientError

from shared.local.aws import ACCOUNT, REGION, EmbeddedAws
from shared.local.functions import ROOT
from shared.local.iam import actions, usage
from shared.local.iam.policies import roles_for
from shared.local.lambda_runtime import LocalFunction, parameter_defaults
from shared.local.template import load
from tests.eventually import eventually

TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/T"
CTX = actions.Context(REGION, lambda name: f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf")


def needs(service, operation, **params):
    return actions.needs(service, operation, params, CTX)


# --- the mapping, per kind of call -----------------------------------------------------------------

def test_dynamodb_items_queries_and_indexes():
    assert needs("dynamodb", "GetItem", TableName="T", Key={}) == [("dynamodb:GetItem", TABLE)]
    assert needs("dynamodb", "Query", TableName="T") == [("dynamodb:Query", TABLE)]
    assert needs("dynamodb", "Query", TableName="T", IndexName="GSI1") == [("dynamodb:Query", TABLE + "/index/GSI1")]
    assert needs("dynamodb", "Scan", TableName="T", IndexName="GSI2") == [("dynamodb:Scan", TABLE + "/index/GSI2")]
    assert needs("dynamodb", "PutItem", TableName=TABLE, Item={}) == [("dynamodb:PutItem", TABLE)]  # an ARN as name


def test_dynamodb_batches_are_checked_per_table():
    other = TABLE.replace("table/T", "table/U")
    got = needs("dynamodb", "BatchGetItem", RequestItems={"T": {"Keys": []}, "U": {"Keys": []}})
    assert got == [("dynamodb:BatchGetItem", TABLE), ("dynamodb:BatchGetItem", other)]
    assert needs("dynamodb", "BatchWriteItem", RequestItems={"T": []}) == [("dynamodb:BatchWriteItem", TABLE)]


def test_transactions_are_authorised_item_by_item():
    items = [{"ConditionCheck": {"TableName": "T"}}, {"Delete": {"TableName": "T"}},
             {"Put": {"TableName": "U"}}, {"Update": {"TableName": "T"}}]
    assert needs("dynamodb", "TransactWriteItems", TransactItems=items) == [
        ("dynamodb:ConditionCheckItem", TABLE), ("dynamodb:DeleteItem", TABLE),
        ("dynamodb:PutItem", TABLE.replace("table/T", "table/U")), ("dynamodb:UpdateItem", TABLE)]
    assert needs("dynamodb", "TransactGetItems", TransactItems=[{"Get": {"TableName": "T"}}]) == [
        ("dynamodb:GetItem", TABLE)]


def test_stream_reads_name_the_stream():
    stream = TABLE + "/stream/2026-12-01T00:00:00.000"
    assert needs("dynamodbstreams", "DescribeStream", StreamArn=stream) == [("dynamodb:DescribeStream", stream)]
    assert needs("dynamodbstreams", "GetShardIterator", StreamArn=stream, ShardId="s", ShardIteratorType="LATEST") == [
        ("dynamodb:GetShardIterator", stream)]
    assert needs("dynamodbstreams", "GetRecords", ShardIterator=stream + "|1|AAAAopaque") == [
        ("dynamodb:GetRecords", stream)]


def test_queue_urls_become_queue_arns_and_batches_their_single_action():
    url = "http://127.0.0.1:5123/123456789012/stack-SendQueue"
    arn = f"arn:aws:sqs:{REGION}:123456789012:stack-SendQueue"
    assert needs("sqs", "SendMessageBatch", QueueUrl=url, Entries=[]) == [("sqs:SendMessage", arn)]
    assert needs("sqs", "DeleteMessageBatch", QueueUrl=url, Entries=[]) == [("sqs:DeleteMessage", arn)]
    assert needs("sqs", "ReceiveMessage", QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/stack-SendQueue") \
        == [("sqs:ReceiveMessage", arn)]


def test_s3_objects_and_multipart_uploads():
    obj = "arn:aws:s3:::bucket/exports/a/b.jsonl"
    for operation in ("CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutObject"):
        assert needs("s3", operation, Bucket="bucket", Key="exports/a/b.jsonl") == [("s3:PutObject", obj)]
    assert needs("s3", "ListParts", Bucket="bucket", Key="exports/a/b.jsonl") == [("s3:ListMultipartUploadParts", obj)]
    assert needs("s3", "AbortMultipartUpload", Bucket="bucket", Key="exports/a/b.jsonl") == [
        ("s3:AbortMultipartUpload", obj)]
    assert needs("s3", "HeadObject", Bucket="bucket", Key="k") == [("s3:GetObject", "arn:aws:s3:::bucket/k")]


def test_kms_decrypt_without_a_key_id_is_checked_on_the_key_that_encrypted(local):
    kms = local.aws.client("kms")
    blob = kms.encrypt(KeyId=local.aws.names["FieldKey"], Plaintext=b"secret")["CiphertextBlob"]
    key_arn = local.aws.attrs[("FieldKey", "Arn")]
    assert needs("kms", "Decrypt", CiphertextBlob=blob) == [("kms:Decrypt", key_arn)]
    assert needs("kms", "GenerateDataKey", KeyId=local.aws.names["FieldKey"], KeySpec="AES_256") == [
        ("kms:GenerateDataKey", key_arn)]


def test_parameters_and_secrets_by_their_arns(local):
    ssm = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
    assert needs("ssm", "GetParameter", Name="stack-JwtPublicKeys") == [("ssm:GetParameter", ssm + "/stack-JwtPublicKeys")]
    assert needs("ssm", "GetParameter", Name="/app/keys") == [("ssm:GetParameter", ssm + "/app/keys")]
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:jwt-AbCdEf"
    assert needs("secretsmanager", "GetSecretValue", SecretId="jwt") == [("secretsmanager:GetSecretValue", secret)]
    assert needs("secretsmanager", "GetSecretValue", SecretId=secret) == [("secretsmanager:GetSecretValue", secret)]


def test_the_local_parameter_has_the_name_the_policy_expects(local):
    # CloudFormation names an unnamed parameter without a leading slash; `parameter/${JwtPublicKeys}` says so.
    name = local.aws.names["JwtPublicKeys"]
    assert not name.startswith("/")
    role = local.iam.roles["AuthorizerFunction"]
    (action, resource), = needs("ssm", "GetParameter", Name=name)
    assert role.allows(action, resource)


def test_schedules_pass_their_role():
    target = {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "RoleArn": "arn:aws:iam::123456789012:role/r"}
    assert needs("scheduler", "CreateSchedule", Name="s", GroupName="g", Target=target, ScheduleExpression="rate(1 hour)",
                 FlexibleTimeWindow={"Mode": "OFF"}) == [
        ("scheduler:CreateSchedule", f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/g/s"),
        ("iam:PassRole", "arn:aws:iam::123456789012:role/r")]


def test_a_call_without_a_mapping_fails_loudly(local):
    with pytest.raises(actions.Unmapped, match="dynamodb.ListTables"):
        needs("dynamodb", "ListTables")
    with local.functions["GetClientsFunction"].acting(), pytest.raises(actions.Unmapped):
        local.aws.client("dynamodb").list_tables()


# --- a denied call, as AWS answers it --------------------------------------------------------------------

def test_a_call_the_role_does_not_allow_is_refused_as_aws_refuses_it(local):
    fn = local.functions["AuthorizerFunction"]
    queue = local.aws.names["ExportQueue"]
    with fn.acting(), pytest.raises(ClientError) as denied:
        local.aws.client("sqs").send_message(QueueUrl=queue, MessageBody="{}")
    error = denied.value.response["Error"]
    queue_arn = local.aws.attrs[("ExportQueue", "Arn")]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{local.aws.physical('AuthorizerRole')}/"
        f"{local.aws.physical('AuthorizerFunction')} is not authorized to perform: sqs:SendMessage on resource: "
        f"{queue_arn} because no identity-based policy allows the sqs:SendMessage action")
    with fn.acting(), pytest.raises(ClientError) as s3:
        local.aws.client("s3").put_object(Bucket=local.aws.names["ExportBucket"], Key="exports/x", Body=b"x")
    assert s3.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_outside_any_function_calls_are_the_deployers_and_pass(local):
    sqs = local.aws.client("sqs")
    queue = local.aws.names["ExportDeadLetterQueue"]
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]


# --- one permission removed: the operation that needs it fails ---------------------------------------------

@pytest.fixture
def template_without(local):
    """template_without(role, action, resource=None): run with a copy of template.yaml whose `role` lacks
    `action` (on `resource`, as written, or everywhere); the template's own roles come back after."""
    template = load(ROOT / "template.yaml")
    parameters = parameter_defaults(template)

    def apply(role: str, action: str, resource: str | None = None):
        changed = copy.deepcopy(template)
        for policy in changed["Resources"][role]["Properties"]["Policies"]:
            statements = policy["PolicyDocument"]["Statement"]
            for statement in statements:
                written = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if resource is None or resource in str(statement["Resource"]):
                    statement["Action"] = [a for a in written if a != action]
            policy["PolicyDocument"]["Statement"] = [s for s in statements if s["Action"]]
        local.iam.apply(changed, parameters)

    yield apply
    local.iam.apply(template, parameters)


def _logged_denial(caplog, action: str) -> str:
    text = logging.Formatter().formatException
    lines = [r.getMessage() + (text(r.exc_info) if r.exc_info else "") for r in caplog.records]
    found = [line for line in lines if f"is not authorized to perform: {action}" in line]
    assert found, f"no AccessDenied for {action} was logged"
    return found[0]


def _reset_token(api, local, email: str) -> str:
    assert api.post("/auth/password-reset", json={"email": email}).status_code == 202

    def mail():
        mails = [m for m in local.provider_fakes.outbox("sendgrid") if m.get("to") == email and "Reset" in m["subject"]]
        return mails[-1] if mails else None

    return re.search(r"token=([\w.\-]+)", eventually(mail)["body"]).group(1)


def _new_user(api, admin) -> dict:
    from shared.ids import new_id

    body = {"email": f"iam-{new_id().lower()}@example.com", "role": "user", "password": "correct-horse-battery",
            "first_name": "Ida", "last_name": "Mendel"}
    r = api.post("/users", token=admin["access_token"], json=body)
    assert r.status_code == 201, r.text
    return {**r.json(), "password": body["password"]}


def test_confirm_password_reset_revokes_every_session_under_the_auth_role(api, local, admin):
    """AuthRole once could not Query GSI1: confirmPasswordReset (revoking a user's sessions) failed on AWS."""
    user = _new_user(api, admin)
    session = api.post("/auth/login", json={"email": user["email"], "password": user["password"]}).json()
    token = _reset_token(api, local, user["email"])
    r = api.post("/auth/password-reset/confirm", json={"token": token, "new_password": "fresh-password-22"})
    assert r.status_code == 200, r.text
    assert api.post("/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_without_the_sessions_index_confirm_password_reset_is_denied(api, local, admin, template_without, caplog):
    user = _new_user(api, admin)
    token = _reset_token(api, local, user["email"])
    template_without("AuthRole", "dynamodb:Query", resource="index/GSI1")
    caplog.set_level(logging.INFO)
    r = api.post("/auth/password-reset/confirm", json={"token": token, "new_password": "fresh-password-22"})
    assert r.status_code == 500, r.text
    line = _logged_denial(caplog, "dynamodb:Query")
    assert "AccessDeniedException" in line and f"{local.aws.names['Table']}/index/GSI1" in line
    assert "assumed-role/" + local.aws.physical("AuthRole") + "/" + local.aws.physical("ConfirmPasswordResetFunction") in line


def test_without_send_message_an_export_is_not_queued(api, local, admin, template_without, caplog):
    template_without("ClientsRole", "sqs:SendMessage")
    caplog.set_level(logging.INFO)
    r = api.post(f"/clients/{admin['user']['client_id']}/export", token=admin["access_token"])
    assert r.status_code == 500, r.text
    assert local.aws.attrs[("ExportQueue", "Arn")] in _logged_denial(caplog, "sqs:SendMessage")


def test_the_pollers_receive_under_the_consumers_role(local, template_without):
    template_without("ExportsRole", "sqs:ReceiveMessage")
    before = len(local.poller.errors)
    local.poller.settle("sqs")
    denied = [e for e in local.poller.errors[before:] if "AccessDeniedException" in e]
    assert denied and "assumed-role/" + local.aws.physical("ExportsRole") + "/" in denied[0]
    assert f"sqs:ReceiveMessage on resource: {local.aws.attrs[('ExportQueue', 'Arn')]}" in denied[0]


# --- least privilege ---------------------------------------------------------------------------------------------

def test_the_report_lists_the_grants_no_call_used():
    aws = EmbeddedAws(stack="report")
    aws.attrs[("R", "Arn")] = f"arn:aws:iam::{ACCOUNT}:role/report-R"
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
        "PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": TABLE},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}}],
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]}}}}
    fn = LocalFunction("F", "m", "handler", "arn:aws:lambda:us-east-1:1:function:report-F", 128, 3, {}, "R")
    role = roles_for(template, aws, {"F": fn}, {}, "t.yaml")["F"]
    assert role.allows("dynamodb:GetItem", TABLE) and role.allows("DynamoDB:getitem", TABLE)  # actions ignore case
    assert not role.allows("dynamodb:GetItem", TABLE.replace("table/T", "table/U"))
    first = usage.snapshot([role])
    role.allows("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")  # another process used this one
    second = usage.snapshot([role])
    assert usage.unused([first]) == {"t.yaml R": [["p", "dynamodb:PutItem", TABLE], ["p", "sqs:SendMessage", "*"]]}
    assert usage.unused([first, second]) == {"t.yaml R": [["p", "dynamodb:PutItem", TABLE]]}
    report = usage.render([first, second])
    assert report.splitlines() == ["IAM least privilege: 1 of 3 granted permissions were used by no call of this run",
                                   f"  t.yaml R  dynamodb:PutItem  on {TABLE}  (policy p)"]
