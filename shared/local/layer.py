"""What the Lambda layer ships (`make package`): the runtime dependencies, less what no function imports.

Lambda allows 250 MB unzipped for a function and its layers together; we hold the layer to 200 MB so
that domains can be added without meeting that wall during a deployment. pip installs whole
distributions, so three kinds of dead weight are removed after it:
- botocore's service models for services our code never calls (botocore loads a model only when a
  client for its service is made; about 440 of the 450 are never made);
- distributions only an unused part of a dependency imports (twilio's asyncio client, sendgrid's
  inbound-parse Flask app);
- test suites and stub files shipped inside packages.
Phone numbers use `phonenumberslite` (the same `phonenumbers` module without the 38 MB geocoding
data, which we never ask for).
"""

from __future__ import annotations

import shutil
from importlib.metadata import distributions
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

LIMIT_MB = 200

# Every AWS service shipped code makes a client for: shared.core.aws / boto3 clients, PynamoDB
# (dynamodb), Powertools parameters (ssm, secretsmanager). tests/unit/test_layer.py holds the code to it.
SERVICES = frozenset({"dynamodb", "kms", "s3", "scheduler", "secretsmanager", "sqs", "ssm"})

# Distributions no shipped code path imports, and the only importer of each.
UNUSED = {
    "aiohttp": "twilio.http.async_http_client (we use twilio's synchronous client)",
    "aiohttp-retry": "twilio.http.async_http_client",
    "aiohappyeyeballs": "aiohttp", "aiosignal": "aiohttp", "frozenlist": "aiohttp",
    "multidict": "aiohttp", "propcache": "aiohttp", "yarl": "aiohttp",
    "werkzeug": "sendgrid.helpers.inbound (a Flask app for SendGrid's inbound parse; our webhooks are functions)",
    "markupsafe": "werkzeug",
}


def prune(root: Path) -> list[str]:
    """Remove from the installed tree at `root` what no function imports; the removed names, for the log."""
    removed = []
    for dist in distributions(path=[str(root)]):
        name = dist.metadata["Name"].lower()
        if name in UNUSED:
            for file in dist.files or ():
                path = root / file
                if path.is_file():
                    path.unlink()
            removed.append(name)
    data = root / "botocore" / "data"
    for service in sorted(p for p in data.iterdir() if p.is_dir()) if data.is_dir() else ():
        if service.name not in SERVICES:
            shutil.rmtree(service)
    for junk in [*root.glob("*/tests"), *root.glob("*/test"), root / "test", *root.rglob("*.pyi")]:
        if junk.is_dir():
            shutil.rmtree(junk)
        elif junk.exists():
            junk.unlink()
    _remove_empty_dirs(root)
    return removed


def _remove_empty_dirs(root: Path) -> None:
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(path.iterdir()):
            path.rmdir()


def size_table(root: Path, rows: int = 12) -> tuple[str, float]:
    """The largest top-level entries and the total, in MB (unzipped, as Lambda counts)."""
    sizes: dict[str, int] = {}
    for path in root.rglob("*"):
        if path.is_file():
            top = path.relative_to(root).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    total = sum(sizes.values()) / 1e6
    lines = ["| package | MB |", "|---|---:|"]
    lines += [f"| {name} | {size / 1e6:.1f} |" for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:rows]]
    lines.append(f"| **layer total** (limit {LIMIT_MB}) | **{total:.1f}** |")
    return "\n".join(lines), total
