"""Invoking function modules in-process, as the Lambda runtime would (handler path + context)."""

from __future__ import annotations

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

    def invoke(self, event: dict) -> Any:
        handler = getattr(_import(self.module), self.attribute)
        context = LambdaContext(self.logical_id, self.memory, self.timeout, invoked_function_arn=self.arn)
        return handler(event, context)


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
        out[logical_id] = LocalFunction(logical_id, module, attribute, aws.function_arn(logical_id),
                                        int(props.get("MemorySize", 128)), int(props.get("Timeout", 3)),
                                        props.get("Events") or {})
    return out


def environment(template: dict, aws, parameters: dict) -> dict[str, str]:
    """The union of the functions' environment variables, resolved (functions share one process)."""
    env = {}
    glob = (template.get("Globals") or {}).get("Function") or {}
    sources = [glob] + [r["Properties"] for r in template["Resources"].values()
                        if r["Type"] == "AWS::Serverless::Function"]
    for props in sources:
        for name, value in ((props.get("Environment") or {}).get("Variables") or {}).items():
            env[name] = str(aws.resolve(value, parameters))
    return env


def parameter_defaults(template: dict) -> dict:
    return {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}
