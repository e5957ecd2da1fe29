"""A local gateway over the fixture handlers (tests/fixtures/fixture_handlers), their routes as
`echelonx template` writes them: how the HTTP kinds no domain uses yet (webhooks) are served."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from shared.local.aws import EmbeddedAws, listen
from shared.local.functions import discover
from shared.local.gateway import Gateway
from shared.local.lambda_runtime import functions_from_template
from shared.local.template import load, render

if TYPE_CHECKING:
    from collections.abc import Iterator

FIXTURES, PACKAGE = Path(__file__).resolve().parent / "fixtures", "fixture_handlers"
# The HttpApi around the generated entries: the fixture authorizer guards what is not public.
HEAD = """Globals:
  Function:
    CodeUri: fixture_handlers/
Resources:
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Gate
        Authorizers:
          Gate:
            FunctionArn: !GetAtt GateFunction.Arn
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization], ReauthorizeEvery: 0}
"""


def fixture_gateway(folder: Path) -> Gateway:
    """The gateway of a template written into `folder`: HEAD and the fixture handlers' entries."""
    path = folder / "template.yaml"
    path.write_text(HEAD + render(discover(FIXTURES, PACKAGE)))
    template = load(path)
    aws = EmbeddedAws(stack="fixture-http")  # never started: the fixture handlers call no AWS
    return Gateway(template, functions_from_template(template, aws, lambda uri: uri.strip("/")), aws)


@contextlib.contextmanager
def serving(gateway: Gateway) -> Iterator[str]:
    """The gateway served on a free port, as its base URL."""
    listener = listen(0, "api")
    server = gateway.serve(listener)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.stop()
