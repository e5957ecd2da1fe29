"""`echelonx dev`: the whole backend in one process on 127.0.0.1.

moto server (the embedded AWS) with template.yaml's resources, the provider fakes, the gateway
and the pollers. Functions run in-process, each with exactly the environment template.yaml gives it:
while one runs, a setting read (shared.core.settings) sees its variables and no others. The fakes
reach the functions as a deployment would give them: their URLs as parameter overrides, their keys
as the values of the template's secrets.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import ChainMap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.core import settings
from shared.local import keys, persistence
from shared.local.aws import EmbeddedAws, listen
from shared.local.functions import ROOT
from shared.local.gateway import Gateway
from shared.local.iam import Enforcement
from shared.local.lambda_runtime import (
    functions_from_template,
    global_environment,
    parameter_defaults,
    resolve_environments,
    running,
)
from shared.local.pollers import Pollers
from shared.local.template import load

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from shared.local.gateway import _Server


# Parameter overrides of the local runtime beyond the fakes': a receiver on this machine may get webhooks
# (shared.webhooks.targets; README "Outbound webhooks").
LOCAL_PARAMETERS = {"WebhookAllowLoopback": "true"}

_silenced: list[int] = []  # the functions' log level while a stopped runtime's passes finish


@dataclass
class Runtime:
    template_path: Path = ROOT / "template.yaml"
    port: int = 0
    aws_port: int = 0
    data_file: Path | None = None
    fakes: bool = True
    pollers: bool = True
    aws: EmbeddedAws = field(default_factory=EmbeddedAws)
    state: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)  # template parameter overrides (the fault run's short timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Runtime:
        """Start everything; if any part fails (a port in use: aws.PortInUse), what had started is stopped
        and os.environ given back before the error is raised."""
        env_before = dict(os.environ)
        from shared.core.log import logger

        if _silenced:  # a runtime stopped earlier in this process silenced the functions' logger
            logger.setLevel(_silenced.pop())
            logging.getLogger("werkzeug").setLevel(logging.NOTSET)
        try:
            self._start()
        except BaseException:
            self._remember_env(env_before)
            self.stop()
            raise
        self._remember_env(env_before)
        return self

    def _remember_env(self, before: dict) -> None:
        # What this runtime changed in os.environ (SDK endpoint, TABLE_NAME, ...), so that stop() can put
        # it back: another runtime in this process (a test fixture's) must not inherit this one's values.
        self._env_changes = {k: (before.get(k), os.environ.get(k)) for k in before.keys() | os.environ.keys()
                             if before.get(k) != os.environ.get(k)}

    def _start(self) -> None:
        # The gateway's port first: if it is taken, nothing else has been started.
        listener = listen(self.port, "api")
        self.port = listener.getsockname()[1]
        template = load(self.template_path)
        root = self.template_path.resolve().parent
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        self.aws.port = self.aws_port
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server request lines
        self.aws.start()
        self.aws.create_resources(template)
        parameters = parameter_defaults(template)
        # Libraries (Powertools, pydantic) read Globals' variables from the process: the same for every function.
        os.environ.update(global_environment(template, self.aws, parameters))
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no EMF lines on a terminal
        restored = persistence.load(self.data_file, self.aws) if self.data_file else None
        if "JwtSigningKey" in self.aws.names:
            keys.install(self.aws, pair=(restored or {}).get("jwt"))
        if self.fakes:
            parameters.update(self._start_fakes(template))
            self.provider_fakes.api_url = self.url
        if "PublicBaseUrl" in (template.get("Parameters") or {}):
            parameters["PublicBaseUrl"] = self.url  # what the fakes call back and Twilio's signatures cover
        parameters.update({k: v for k, v in LOCAL_PARAMETERS.items() if k in (template.get("Parameters") or {})})
        parameters.update(self.parameters)
        functions = functions_from_template(template, self.aws, lambda code_uri: code_uri.strip("/").replace("/", "."))
        resolve_environments(functions, self.aws, parameters)
        self._read_settings_of(functions)
        # Every AWS call a function makes from here on is checked against its role, as on AWS.
        self.iam: Enforcement | None = Enforcement(self.aws, functions, _shown(self.template_path)).apply(
            template, parameter_defaults(template))
        self.gateway = Gateway(template, functions, self.aws)
        from shared.local import control

        control.mount(self)
        self.server: _Server | None = self.gateway.serve(listener)
        self.poller = Pollers(self.aws, template, functions).start() if self.pollers else None
        self.functions = functions
        # names: what !Ref gives each resource (the table, the parked-records bucket), for the operator commands.
        self.state = {"url": self.url, "aws_endpoint": self.aws.endpoint, "env": dict(self.stack_settings),
                      "names": dict(self.aws.names), "jwt_secret": self.aws.names.get("JwtSigningKey", ""),
                      "jwt_public_keys": self.aws.names.get("JwtPublicKeys", "")}
        self._started = True

    def _start_fakes(self, template: dict) -> dict[str, str]:
        """Start the provider fakes; put their keys into the template's secrets and return their settings
        as parameter overrides (as `sam deploy --parameter-overrides` would pass them). A setting whose
        parameter or secret the template lacks is read by no function, and is left out."""
        from shared.local.configuration import target
        from shared.local.fakes import ProviderFakes

        self.provider_fakes = ProviderFakes()
        self.fakes_url = self.provider_fakes.start()
        declared, params = settings.declared(), template.get("Parameters") or {}
        for name, value in self.provider_fakes.secrets().items():
            secret = target(declared[name])
            if secret in self.aws.names:
                self.aws.client("secretsmanager").put_secret_value(SecretId=self.aws.names[secret], SecretString=value)
        return {target(declared[name]): value for name, value in self.provider_fakes.settings().items()
                if target(declared[name]) in params}

    def _read_settings_of(self, functions: dict) -> None:
        """From now on a setting read inside a function sees its variables only. Outside any function (the
        seed, tests, the CLI: an operator with the stack's outputs) it sees the process environment, then
        every variable this stack declares."""
        self.stack_settings = {k: v for fn in functions.values() for k, v in (fn.variables or {}).items()}
        _outside.insert(0, self.stack_settings)
        settings.use(_in_effect)

    def stop(self) -> None:
        """Stop in the order that loses nothing: no more requests (open connections closed), the pollers
        (a bounded wait), the data file saved, then the fakes and the embedded AWS. About 0.2 s, plus the
        data file's save, whatever has run before (shared.local.moto_tracking)."""
        # Each part is there only if _start got that far.
        server: _Server | None = getattr(self, "server", None)
        if server:
            server.stop()
            self.server = None
        poller: Pollers | None = getattr(self, "poller", None)
        if poller:
            poller.stop()  # kept: its errors stay readable after the stop
            # A pass still running on its daemon thread (a stream backlog) now loses its settings and
            # table mid-batch: what it logs from here on is the stop, not an error of the function.
            from shared.core.log import logger

            _silenced.append(logger.log_level)
            logger.setLevel(logging.CRITICAL)  # nothing of ours logs at CRITICAL
            logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # their calls to the stopping moto server
        enforcement: Enforcement | None = getattr(self, "iam", None)
        if enforcement:
            enforcement.stop()
            self.iam = None
        if self.data_file and getattr(self, "_started", False):  # never a half-started table over the file
            persistence.save(self.data_file, self.aws)
        self._started = False
        if getattr(self, "provider_fakes", None):
            self.provider_fakes.stop()
        self.aws.stop()
        self._restore_env()
        self._stop_reading_settings()
        from shared.local.aws import forget_cached_clients

        forget_cached_clients()  # clients made for this runtime must not serve another one

    def _restore_env(self) -> None:
        """Undo this runtime's changes to os.environ, except a variable someone has set since."""
        for name, (before, after) in getattr(self, "_env_changes", {}).items():
            if os.environ.get(name) != after:
                continue
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before
        self._env_changes = {}

    def _stop_reading_settings(self) -> None:
        """This stack's settings leave the outside view; with no runtime left, reads see os.environ alone."""
        mine = getattr(self, "stack_settings", None)
        _outside[:] = [m for m in _outside if m is not mine]
        if not _outside:
            settings.use(None)

    def write_state(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in self.state.items()}, indent=2))


# The stack settings of each running runtime, newest first: what code outside any function sees.
_outside: list[dict[str, str]] = []


def _in_effect() -> Mapping[str, str]:
    """What a setting read sees: the running function's variables, or outside any function the process
    environment, then the running stacks' settings."""
    fn = running.get()
    if fn is not None and fn.variables is not None:
        return fn.variables
    return ChainMap(os.environ, *_outside)


def _shown(path: Path) -> str:
    """A template's path as a report names it: from the repository's root when it is inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)
