"""The embedded AWS: moto in server mode on 127.0.0.1, with the resources of template.yaml.

Resources are created the way CloudFormation would, from the template's own properties: the table
(keys, GSIs, stream, TTL), queues (redrive resolved), the bucket, the KMS key, the JWT secret and
parameter, and the schedule group. `names` holds what `!Ref` gives, `attrs` what `!GetAtt` gives.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK = "echelonx-local"  # the default stack name; physical names are `<stack>-<LogicalId>`


_clients: dict = {}
_clients_lock = threading.Lock()
_session = None


# How often a local server's accept loop looks for a shutdown request: shutdown() waits up to this long
# (socketserver's default, 0.5 s per server, made Ctrl-C wait for each server in turn).
SHUTDOWN_POLL_S = 0.05


class PortInUse(Exception):
    """A local server could not listen: something else holds its port. `role` says which server."""

    def __init__(self, port: int, role: str):
        super().__init__(f"port {port} is in use")
        self.port, self.role = port, role


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(port: int, role: str) -> socket.socket:
    """A socket listening on 127.0.0.1:`port` (0: a free port), or PortInUse. Binding first, before
    anything is started, lets a busy port end a start at once and with nothing to clean up."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server: TIME_WAIT is no owner
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(port, role) from None
        raise
    sock.listen(128)
    return sock


@dataclass
class EmbeddedAws:
    """One stack's resources. moto keeps its state in process-global backends, shared by every moto
    server in the process, so two runtimes in one process need distinct `stack` names or they clash."""

    port: int = 0
    server: BaseWSGIServer | None = None
    names: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)
    stack: str = STACK

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedAws:
        """moto's WSGI app on a werkzeug server of ours. moto's ThreadedMotoServer would do, but its
        accept loop polls at 0.5 s, it never closes its listening socket, and a busy port ends its
        thread with sys.exit while start() waits for it forever."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from shared.local import moto_patches

        moto_patches.install()
        listener = listen(self.port, "aws")
        try:
            # werkzeug serves a duplicate of the descriptor; ours is closed below either way.
            self.server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True,
                                      request_handler=MotoRequestHandler, fd=listener.fileno())
        finally:
            listener.close()
        self.port = self.server.port
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                                        name="embedded-aws", daemon=True)
        self._thread.start()
        point_sdks_at(self.endpoint)
        return self

    def stop(self) -> None:
        """Stop serving and free the port (moto's state stays: it is process-wide)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(timeout=1)
            self.server = None

    def client(self, service: str):
        """A client of this embedded AWS, one per service and endpoint, shared by all threads.

        Clients are thread-safe once made, but making them from boto3's default session is not (boto3
        #1592), and the pollers' threads ask for clients several times a second: each is made once, under
        a lock, from a session of our own."""
        import boto3

        key = (service, self.endpoint)
        with _clients_lock:
            made = _clients.get(key)
            if made is None:
                global _session
                _session = _session or boto3.session.Session(
                    aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
                made = _clients[key] = _session.client(service, endpoint_url=self.endpoint, region_name=REGION)
            return made

    # --- resources -------------------------------------------------------------------------
    def create_resources(self, template: dict) -> None:
        resources = template["Resources"]
        order = ["AWS::KMS::Key", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::DynamoDB::Table", "AWS::S3::Bucket",
                 "AWS::SecretsManager::Secret", "AWS::SSM::Parameter", "AWS::Scheduler::ScheduleGroup",
                 "AWS::IAM::Role"]
        for rtype in order:
            # Dead-letter queues first, so a redrive policy can name them.
            items = sorted((k, v) for k, v in resources.items() if v["Type"] == rtype)
            items.sort(key=lambda kv: "RedrivePolicy" in kv[1].get("Properties", {}))
            for logical_id, resource in items:
                kind = "queue_policy" if rtype == "AWS::SQS::QueuePolicy" else rtype.split("::")[1].lower()
                getattr(self, "_create_" + kind)(logical_id, resource.get("Properties", {}))

    def physical(self, logical_id: str) -> str:
        return f"{self.stack}-{logical_id}"

    def _create_kms(self, logical_id: str, props: dict) -> None:
        shape = {k: props[k] for k in ("KeySpec", "KeyUsage") if k in props}  # an HMAC key says both
        key = self.client("kms").create_key(Description=props.get("Description", logical_id), **shape)["KeyMetadata"]
        self.names[logical_id], self.attrs[(logical_id, "Arn")] = key["KeyId"], key["Arn"]

    def _create_sqs(self, logical_id: str, props: dict) -> None:
        attributes = {k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
                      if k in props}
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": self.attrs[(target, "Arn")],
                                                      "maxReceiveCount": int(redrive["maxReceiveCount"])})
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=self.physical(logical_id), Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.names[logical_id], self.attrs[(logical_id, "Arn")] = url, arn
        self.attrs[(logical_id, "QueueName")] = self.physical(logical_id)

    def _create_queue_policy(self, logical_id: str, props: dict) -> None:
        """The policy on each queue it names (who may send: S3 for a bucket's notifications)."""
        document = json.dumps(self.resolve(props["PolicyDocument"], {}))
        for queue in props["Queues"]:
            self.client("sqs").set_queue_attributes(QueueUrl=self.resolve(queue, {}), Attributes={"Policy": document})

    def _create_dynamodb(self, logical_id: str, props: dict) -> None:
        ddb, name = self.client("dynamodb"), self.physical(logical_id)
        args = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                                      "StreamSpecification") if k in props}
        if "StreamSpecification" in args:
            args["StreamSpecification"] = {"StreamEnabled": True, **args["StreamSpecification"]}
        table = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self.names[logical_id], self.attrs[(logical_id, "Arn")] = name, table["TableArn"]
        self.attrs[(logical_id, "StreamArn")] = table.get("LatestStreamArn")
        self.attrs[(logical_id, "TtlAttribute")] = (ttl or {}).get("AttributeName")

    def _create_s3(self, logical_id: str, props: dict) -> None:
        name = str(self.resolve(props["BucketName"], {})) if "BucketName" in props else self.physical(logical_id).lower()
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name)
        self.names[logical_id], self.attrs[(logical_id, "Arn")] = name, f"arn:aws:s3:::{name}"
        queues = (props.get("NotificationConfiguration") or {}).get("QueueConfigurations") or []
        if queues:  # moto's S3 then sends the events to SQS itself (shared.local.s3_notifications checks the policy)
            s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"QueueConfigurations": [
                {"QueueArn": self.resolve(q["Queue"], {}), "Events": [q["Event"]],
                 **({"Filter": {"Key": {"FilterRules": q["Filter"]["S3Key"]["Rules"]}}} if "Filter" in q else {})}
                for q in queues]})

    def _create_secretsmanager(self, logical_id: str, props: dict) -> None:
        name = self.physical(logical_id)
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString="{}")["ARN"]
        self.names[logical_id] = arn

    def _create_ssm(self, logical_id: str, props: dict) -> None:
        # CloudFormation names an unnamed parameter without a leading slash (`<stack>-<LogicalId>-<suffix>`),
        # which is what `parameter/${Param}` in a policy's ARN expects.
        name = props.get("Name") or self.physical(logical_id)
        self.client("ssm").put_parameter(Name=name, Type=props.get("Type", "String"), Value=str(props["Value"]))
        self.names[logical_id] = name

    def _create_scheduler(self, logical_id: str, props: dict) -> None:
        name = self.physical(logical_id)
        self.client("scheduler").create_schedule_group(Name=name)
        self.names[logical_id] = name

    def _create_iam(self, logical_id: str, props: dict) -> None:
        # Nothing to create: shared.local.iam reads the role's policies from the template.
        self.attrs[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT}:role/{self.physical(logical_id)}"

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.physical(logical_id)}"

    # --- intrinsic functions ------------------------------------------------------------------
    def resolve(self, value, parameters: dict):
        """!Ref / !GetAtt / !Sub as CloudFormation would resolve them here."""
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return parameters.get(arg, self.names.get(arg, self._pseudo().get(arg, arg)))
            if fn == "Fn::GetAtt":
                logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                if attr == "Arn" and (logical, attr) not in self.attrs:
                    return self.function_arn(logical)
                return self.attrs[(logical, attr)]
            if fn == "Fn::Sub":
                return self._sub(arg, parameters)
            if fn == "Fn::Join":
                separator, parts = arg
                return separator.join(str(self.resolve(part, parameters)) for part in parts)
        if isinstance(value, dict):
            return {k: self.resolve(v, parameters) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, parameters) for v in value]
        return value

    def _pseudo(self) -> dict:
        return {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": self.stack,
                "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

    def _sub(self, text: str, parameters: dict) -> str:
        import re

        pseudo = self._pseudo()

        def one(match):
            name = match.group(1)
            if name in pseudo:
                return pseudo[name]
            if "." in name:
                return str(self.resolve({"Fn::GetAtt": name}, parameters))
            return str(self.resolve({"Ref": name}, parameters))

        return re.sub(r"\$\{([^}]+)\}", one, text)


def forget_cached_clients() -> None:
    """Clients created for an earlier embedded AWS (a second runtime in one process, or a restart)
    keep its endpoint: drop every cached one so the next call makes a fresh client."""
    from aws_lambda_powertools.utilities import parameters

    from shared.core import aws
    from shared.db import tx
    from shared.db.table import Item
    from shared.providers import config
    from shared.security import secrets

    parameters.clear_caches()
    config.reset()  # provider secrets fetched from that embedded AWS
    parameters.base.DEFAULT_PROVIDERS.clear()
    secrets.forget()
    stack = [Item]
    while stack:
        model = stack.pop()
        model._connection = None
        stack.extend(model.__subclasses__())
    tx._conn = None
    aws.forget()


def point_sdks_at(endpoint: str) -> None:
    """Every boto3/botocore client in this process (PynamoDB's too) talks to the embedded AWS."""
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
    })
    os.environ.pop("AWS_PROFILE", None)
    forget_cached_clients()
