"""The execution roles of a template, as IAM would hold them once CloudFormation has made them.

A role's inline `Policies` and `ManagedPolicyArns` (the AWS-managed Lambda policies, by their published
documents) are resolved against the embedded AWS (`EmbeddedAws.resolve`), split into grants (one
action pattern on one resource pattern) and evaluated by moto's policy evaluator. A function without
a `Role` gets the role SAM would generate for it: the basic execution policy, the managed policy of its
SQS or DynamoDB event source, and its own inline `Policies` statements.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from moto.iam.access_control import IAMPolicyStatement, PermissionResult

from shared.local.aws import ACCOUNT

if TYPE_CHECKING:
    from shared.local.aws import EmbeddedAws

# The documents AWS publishes for the managed policies Lambda functions use.
MANAGED = {
    "AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"}],
    "AWSLambdaSQSQueueExecutionRole": [
        {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": "*"}],
    "AWSLambdaDynamoDBExecutionRole": [
        {"Effect": "Allow", "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                       "dynamodb:ListStreams", "logs:CreateLogGroup", "logs:CreateLogStream",
                                       "logs:PutLogEvents"],
         "Resource": "*"}],
}
# The managed policy SAM attaches to a generated role for an event source of this type.
_EVENT_SOURCE_POLICY = {"SQS": "AWSLambdaSQSQueueExecutionRole", "DynamoDB": "AWSLambdaDynamoDBExecutionRole"}


class UnsupportedPolicy(Exception):
    """A policy uses what the local evaluation does not model (conditions, NotResource, SAM policy
    templates): refused when the runtime starts rather than evaluated wrongly."""


@dataclass(frozen=True)
class Grant:
    """One action pattern on one resource pattern of one statement, as the template writes them."""

    policy: str  # the inline policy's name, or the managed policy's
    action: str
    resource: str  # the template's expression, e.g. `!GetAtt Table.Arn`
    managed: bool = False


@dataclass
class Role:
    """A role's grants, resolved; `allows` answers (and remembers) whether an action on a resource is allowed."""

    logical_id: str
    arn: str
    template: str  # the template file's name, so a report can tell two templates' roles apart
    grants: list[tuple[Grant, str, IAMPolicyStatement]] = field(default_factory=list)  # with the resolved resource
    decisions: dict[tuple[str, str], tuple[Grant, ...] | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def allows(self, action: str, resource: str) -> bool:
        """Whether this role may do `action` on `resource`: an explicit Deny wins, else any Allow."""
        key = (action, resource)
        found = self.decisions.get(key, False)
        if found is False:
            found = self._evaluate(action, resource)
            with self._lock:
                self.decisions[key] = found
        return found is not None

    def _evaluate(self, action: str, resource: str) -> tuple[Grant, ...] | None:
        # IAM matches actions case-insensitively; moto's matcher does not, so both sides are lower-cased.
        allowed = []
        for grant, _, statement in self.grants:
            result = statement.is_action_permitted(action.lower(), resource)
            if result == PermissionResult.DENIED:
                return None
            if result == PermissionResult.PERMITTED:
                allowed.append(grant)
        return tuple(allowed) or None

    def used(self) -> set[Grant]:
        """The grants some allowed call has needed so far."""
        with self._lock:
            return {g for grants in self.decisions.values() if grants for g in grants}


def roles_for(template: dict, aws: EmbeddedAws, functions: dict, parameters: dict,
              template_name: str = "template.yaml") -> dict[str, Role]:
    """The role of each function (by the function's logical id), from the template's roles or SAM's."""
    resources = template["Resources"]
    made: dict[str, Role] = {}
    out = {}
    for logical_id, fn in functions.items():
        if fn.role is not None:
            if fn.role not in made:
                props = resources[fn.role].get("Properties") or {}
                made[fn.role] = _role(fn.role, aws.attrs[(fn.role, "Arn")], props.get("Policies") or [],
                                      props.get("ManagedPolicyArns") or [], aws, parameters, template_name)
            out[logical_id] = made[fn.role]
        else:
            out[logical_id] = _generated_role(logical_id, resources[logical_id], aws, parameters, template_name)
    return out


def _generated_role(function_id: str, resource: dict, aws: EmbeddedAws, parameters: dict, template_name: str) -> Role:
    """The role SAM makes for a function without `Role`: `<Function>Role`."""
    props = resource.get("Properties") or {}
    managed = ["AWSLambdaBasicExecutionRole"]
    for event in (props.get("Events") or {}).values():
        if event.get("Type") in _EVENT_SOURCE_POLICY:
            managed.append(_EVENT_SOURCE_POLICY[event["Type"]])
    policies = list(_destination_policies(props))
    written = props.get("Policies") or []
    policies += [written] if isinstance(written, (str, dict)) else written
    inline = []
    for n, policy in enumerate(policies):
        if isinstance(policy, str):
            managed.append(policy)
        elif isinstance(policy, dict) and "Statement" in policy:
            inline.append({"PolicyName": f"{function_id}RolePolicy{n}", "PolicyDocument": policy})
        else:
            raise UnsupportedPolicy(f"{function_id}: SAM policy templates ({policy}) are not evaluated locally; "
                                    "write the statements instead")
    logical = f"{function_id}Role"
    arn = f"arn:aws:iam::{ACCOUNT}:role/{aws.physical(logical)}"
    return _role(logical, arn, inline, managed, aws, parameters, template_name)


def _destination_policies(props: dict):
    """What SAM adds for an event source's on-failure destination given with `Type: S3` (without
    `Type` it adds nothing, and Lambda cannot write there)."""
    for event in (props.get("Events") or {}).values():
        failure = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
        if failure.get("Type") == "S3":
            bucket = failure["Destination"]
            yield {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": {"Fn::Join": ["/", [bucket, "*"]]}},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket}]}


def _role(logical_id: str, arn: str, inline: list, managed: list, aws: EmbeddedAws, parameters: dict,
          template_name: str) -> Role:
    role = Role(logical_id, arn, template_name)
    for entry in managed:
        name = str(aws.resolve(entry, parameters)).rsplit("/", 1)[-1]
        if name not in MANAGED:
            raise UnsupportedPolicy(f"{logical_id}: managed policy {name} is not known locally (known: {sorted(MANAGED)})")
        for statement in MANAGED[name]:
            _add(role, name, statement, statement, managed=True)
    for policy in inline:
        document = policy["PolicyDocument"]
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        for written in statements:
            _add(role, policy["PolicyName"], written, aws.resolve(copy.deepcopy(written), parameters))
    return role


def _add(role: Role, policy: str, written: dict, resolved: dict, managed: bool = False) -> None:
    unsupported = {"Condition", "NotResource", "NotAction", "Principal", "NotPrincipal"} & set(written)
    if unsupported:
        raise UnsupportedPolicy(f"{role.logical_id}/{policy}: {sorted(unsupported)} are not evaluated locally")
    for action, resource, resolved_resource in _pairs(written, resolved):
        grant = Grant(policy, action, expression(resource), managed)
        statement = IAMPolicyStatement({"Effect": resolved["Effect"], "Action": action.lower(),
                                        "Resource": resolved_resource})
        role.grants.append((grant, resolved_resource, statement))


def _pairs(written: dict, resolved: dict):
    actions = written["Action"] if isinstance(written["Action"], list) else [written["Action"]]
    resources = written["Resource"] if isinstance(written["Resource"], list) else [written["Resource"]]
    resolved_resources = resolved["Resource"] if isinstance(resolved["Resource"], list) else [resolved["Resource"]]
    for action in actions:
        for resource, resolved_resource in zip(resources, resolved_resources, strict=True):
            yield action, resource, str(resolved_resource)


def expression(value) -> str:
    """A resource as the template writes it: `!GetAtt Table.Arn`, `!Sub "${Table.Arn}/index/*"`, `*`."""
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::GetAtt":
            return "!GetAtt " + (".".join(arg) if isinstance(arg, list) else arg)
        if fn == "Ref":
            return f"!Ref {arg}"
        if fn == "Fn::Sub":
            return f'!Sub "{arg}"'
        if fn == "Fn::Join":
            return f"!Join {[arg[0], [expression(part) for part in arg[1]]]}"
    return str(value)
