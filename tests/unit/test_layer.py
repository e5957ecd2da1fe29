"""The layer's pruning (`make package`): it keeps everything a function imports and nothing else."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

from shared.local.layer import SERVICES, UNUSED, prune

ROOT = Path(__file__).resolve().parents[2]


def _shipped_files():
    yield from (p for p in (ROOT / "shared").rglob("*.py") if "local" not in p.relative_to(ROOT / "shared").parts)
    yield from (ROOT / "functions").rglob("*.py")


def test_the_kept_service_models_cover_every_client_shipped_code_makes():
    called = {"dynamodb"}  # PynamoDB's connection
    for path in _shipped_files():
        source = path.read_text()
        if "aws_lambda_powertools.utilities import parameters" in source:
            called |= {"ssm", "secretsmanager"}
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                called.add(node.args[0].value)
    assert called <= SERVICES, f"botocore models pruned from the layer but used: {sorted(called - SERVICES)}"


def _top_level_modules(dist_name: str) -> set[str]:
    files = distribution(dist_name).files or ()
    return {f.parts[0].removesuffix(".py") for f in files
            if not f.parts[0].endswith((".dist-info", ".data")) and f.parts[0] not in ("..", "__pycache__")}


def test_every_shipped_module_imports_without_the_pruned_distributions():
    blocked = set().union(*(_top_level_modules(name) for name in UNUSED))
    assert {"aiohttp", "werkzeug"} <= blocked
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in _shipped_files()]
    modules = [m.removesuffix(".__init__") for m in modules]
    script = f"""
import importlib, sys
class Pruned:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {sorted(blocked)!r}:
            raise ImportError(name + " is not in the layer")
sys.meta_path.insert(0, Pruned())
for m in {modules!r}:
    importlib.import_module(m)
from twilio.rest import Client
Client("AC" + "0" * 32, "token").api.v2010.account.messages  # the synchronous client, as our adapter uses it
import phonenumbers
assert phonenumbers.format_number(phonenumbers.parse("+14155550100"), phonenumbers.PhoneNumberFormat.E164)
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


def test_prune_removes_unused_distributions_models_and_tests_and_keeps_the_rest(tmp_path):
    def install(name: str, files: dict[str, str]) -> None:
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD"]
        (info / "RECORD").write_text("".join(f"{r},,\n" for r in record))

    install("aiohttp", {"aiohttp/__init__.py": "", "aiohttp/web.py": ""})
    install("pydantic", {"pydantic/__init__.py": "", "pydantic/main.pyi": "", "pydantic/tests/test_x.py": ""})
    for service in ("dynamodb", "ec2", "sqs"):
        (tmp_path / "botocore" / "data" / service / "2012-08-10").mkdir(parents=True)
        (tmp_path / "botocore" / "data" / service / "2012-08-10" / "service-2.json.gz").write_text("{}")
    (tmp_path / "botocore" / "data" / "endpoints.json").write_text("{}")

    assert prune(tmp_path) == ["aiohttp"]

    left = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert not any(p.startswith(("aiohttp", "botocore/data/ec2")) for p in left)
    assert {"pydantic/__init__.py", "botocore/data/endpoints.json",
            "botocore/data/dynamodb/2012-08-10/service-2.json.gz", "botocore/data/sqs/2012-08-10/service-2.json.gz",
            "pydantic-1.0.dist-info/METADATA"} <= left
    assert "pydantic/main.pyi" not in left and "pydantic/tests/test_x.py" not in left
