"""Invoking function modules in-process, as the Lambda runtime would (handler path + context)."""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    timeout_s: int = 10
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    module: str  # importable module name
    attribute: str  # usually "handler"
    arn: str
    memory: int
    timeout: int
    events: dict
    role: str | None = None  # logical id of the execution role (`Role: !GetAtt <Role>.Arn`)
    environment: dict = field(default_factory=dict)  # Globals' variables and its own, as written
    variables: dict[str, str] | None = None  # the same, resolved: all its code can read (resolve_environments)

    def invoke(self, event: dict) -> Any:
        handler = getattr(_import(self.module), self.attribute)
        context = LambdaContext(self.logical_id, self.memory, self.timeout, invoked_function_arn=self.arn)
        with self.acting():
            return handler(event, context)

    @contextlib.contextmanager
    def acting(self):
        """AWS calls made inside are this function's: its own, and those Lambda makes for it under its
        execution role (a poller receiving its messages or reading its stream)."""
        token = running.set(self)
        try:
            yield self
        finally:
            running.reset(token)


# The function whose code (or whose event source) is running in this thread, None outside any.
running: contextvars.ContextVar[LocalFunction | None] = contextvars.ContextVar("running", default=None)


_import_lock = threading.Lock()


def _import(module: str):
    # Imports are serialised: two first requests at once must not race a half-imported module.
    with _import_lock:
        return importlib.import_module(module)


def functions_from_template(template: dict, aws, code_package_of) -> dict[str, LocalFunction]:
    """Every AWS::Serverless::Function, with Globals applied; `code_package_of(CodeUri)` gives the
    package its handlers live in."""
    glob = (template.get("Globals") or {}).get("Function") or {}
    out = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = {**glob, **res["Properties"]}
        path, attribute = props["Handler"].rsplit(".", 1)
        module = code_package_of(props["CodeUri"]) + "." + path.replace("/", ".")
        role = props.get("Role")
        variables = {**((glob.get("Environment") or {}).get("Variables") or {}),
                     **((res["Properties"].get("Environment") or {}).get("Variables") or {})}
        out[logical_id] = LocalFunction(logical_id, module, attribute, aws.function_arn(logical_id),
                                        int(props.get("MemorySize", 128)), int(props.get("Timeout", 3)),
                                        props.get("Events") or {},
                                        _role_of(role), variables)
    return out


def _role_of(role) -> str | None:
    """The role's logical id from `!GetAtt <Role>.Arn` (either spelling); None for a literal ARN."""
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        target = role["Fn::GetAtt"]
        return (target if isinstance(target, list) else target.split(".", 1))[0]
    return None


def resolve_environments(functions: dict[str, LocalFunction], aws, parameters: dict) -> None:
    """Each function's variables as CloudFormation resolves them with these parameter values."""
    for fn in functions.values():
        fn.variables = {name: str(aws.resolve(value, parameters)) for name, value in fn.environment.items()}


def global_environment(template: dict, aws, parameters: dict) -> dict[str, str]:
    """Globals' variables, resolved: what every function has (the libraries read them from the process)."""
    glob = (template.get("Globals") or {}).get("Function") or {}
    return {name: str(aws.resolve(value, parameters))
            for name, value in ((glob.get("Environment") or {}).get("Variables") or {}).items()}


def parameter_defaults(template: dict) -> dict:
    return {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}
