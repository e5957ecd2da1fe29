"""IAM enforced locally: every AWS call a function makes is checked against that function's role.

One hook at `botocore.client.BaseClient._make_api_call`, installed once per process, sees every call
whatever made the client (PynamoDB, boto3, Powertools each have a session of their own). The function
running is `lambda_runtime.running` (set by the invoker and by the pollers acting for a function);
outside any function (fixtures, the CLI, seeding: the deployer) calls are not checked. A call is mapped
to the actions and resources AWS would check (`actions`), each decided by the function's role
(`policies`, cached per action and resource) and, when one is not allowed, refused before it is sent,
as AWS refuses it: a ClientError `AccessDeniedException` (`AccessDenied` for S3) naming the assumed
role, the action and the resource. shared/local never ships, so none of this runs on AWS.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from shared.local.aws import ACCOUNT
from shared.local.iam import actions
from shared.local.iam.policies import Role, roles_for
from shared.local.lambda_runtime import running

if TYPE_CHECKING:
    from shared.local.aws import EmbeddedAws
    from shared.local.lambda_runtime import LocalFunction

_install_lock = threading.Lock()
_original = None
_roles: dict[str, Role] = {}  # function ARN → its role, for every runtime enforcing in this process
_secret_arns: dict[tuple[str, str], str] = {}
every_role: list[Role] = []  # every role enforced in this process, for the least-privilege report


class Enforcement:
    """The roles of one runtime's functions, checked whenever one of them runs."""

    def __init__(self, aws: EmbeddedAws, functions: dict[str, LocalFunction], template_name: str):
        self.aws, self.functions, self.template_name = aws, functions, template_name
        self.roles: dict[str, Role] = {}

    def apply(self, template: dict, parameters: dict) -> Enforcement:
        """Check the functions against the roles `template` gives them (from now on; replaces earlier ones)."""
        install()
        self.roles = roles_for(template, self.aws, self.functions, parameters, self.template_name)
        for logical_id, fn in self.functions.items():
            _roles[fn.arn] = self.roles[logical_id]
        every_role.extend({id(r): r for r in self.roles.values()}.values())
        return self

    def stop(self) -> None:
        for fn in self.functions.values():
            _roles.pop(fn.arn, None)


def install() -> None:
    """Patch the botocore call once per process (idempotent)."""
    global _original
    from botocore.client import BaseClient

    with _install_lock:
        if _original is not None:
            return
        _original = original = BaseClient._make_api_call

        def _make_api_call(client, operation_name, api_params):
            fn = running.get()
            if fn is not None:
                role = _roles.get(fn.arn)
                if role is not None:
                    check(client, fn, role, operation_name, api_params)
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def check(client, fn: LocalFunction, role: Role, operation: str, params: dict) -> None:
    """Raise the ClientError AWS would answer if `role` may not make this call."""
    service = client.meta.service_model.service_name
    ctx = actions.Context(client.meta.region_name, lambda name: _secret_arn(client, name))
    for action, resource in actions.needs(service, operation, params, ctx):
        if not role.allows(action, resource):
            raise denied(client, operation, principal(role, fn), action, resource)


def principal(role: Role, fn: LocalFunction) -> str:
    """The caller AWS names: the role's session, which Lambda names after the function."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.name}/{fn.arn.rsplit(':', 1)[-1]}"


def denied(client, operation: str, who: str, action: str, resource: str) -> Exception:
    """The error AWS answers for an action no policy of the caller allows."""
    s3 = client.meta.service_model.service_name == "s3"
    code = "AccessDenied" if s3 else "AccessDeniedException"
    message = (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
               f"because no identity-based policy allows the {action} action")
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403 if s3 else 400}}
    return client.exceptions.from_code(code)(response, operation)


def _secret_arn(client, name: str) -> str:
    """A secret named by name is authorised by its ARN (with its random suffix): asked once, as the deployer."""
    key = (client.meta.endpoint_url, name)
    found = _secret_arns.get(key)
    if found is None:
        token = running.set(None)
        try:
            found = client.describe_secret(SecretId=name)["ARN"]
        except client.exceptions.ResourceNotFoundException:
            return f"arn:aws:secretsmanager:{client.meta.region_name}:{ACCOUNT}:secret:{name}"
        finally:
            running.reset(token)
        _secret_arns[key] = found
    return found
