"""Least privilege: which of its grants each role needed, and the ones nothing needed.

Each process that enforced roles writes what its roles were granted and what their allowed calls used
(`write`); a report over several processes (a test run's workers) lists the grants no call used
(`unused`, `render`). Only the template's own policies are reported: a managed policy is AWS's.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from shared.local.iam.policies import Role


def snapshot(roles: list[Role]) -> dict[str, dict[str, list]]:
    """Per `<template> <role>`: its inline grants and those used, as [policy, action, resource] rows."""
    out: dict[str, dict[str, list]] = {}
    for role in roles:
        entry = out.setdefault(f"{role.template} {role.logical_id}", {"granted": [], "used": []})
        for grant, _, _ in role.grants:
            row = [grant.policy, grant.action, grant.resource]
            if not grant.managed and row not in entry["granted"]:
                entry["granted"].append(row)
        for grant in role.used():
            row = [grant.policy, grant.action, grant.resource]
            if not grant.managed and row not in entry["used"]:
                entry["used"].append(row)
    return out


def write(path: Path, roles: list[Role]) -> None:
    """This process's snapshot, as JSON (nothing when no role was enforced)."""
    if roles:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(snapshot(roles)))


def unused(snapshots: list[dict]) -> dict[str, list[list[str]]]:
    """Per role, the grants that no process used, in the template's order."""
    used: dict[str, set[tuple[str, ...]]] = {}
    for snap in snapshots:
        for role, entry in snap.items():
            used.setdefault(role, set()).update(tuple(row) for row in entry["used"])
    return {role: [row for row in rows if tuple(row) not in used[role]] for role, rows in _granted(snapshots).items()}


def _granted(snapshots: list[dict]) -> dict[str, list[list[str]]]:
    granted: dict[str, list[list[str]]] = {}
    for snap in snapshots:
        for role, entry in snap.items():
            rows = granted.setdefault(role, [])
            rows += [row for row in entry["granted"] if row not in rows]
    return granted


def read(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def render(snapshots: list[dict]) -> str:
    """The report: how many grants were used, then each unused one as `role  action  on resource`."""
    left = unused(snapshots)
    total = sum(len(rows) for rows in _granted(snapshots).values())
    count = sum(len(rows) for rows in left.values())
    lines = [f"IAM least privilege: {count} of {total} granted permissions were used by no call of this run"]
    for role, rows in sorted(left.items()):
        for policy, action, resource in rows:
            lines.append(f"  {role}  {action}  on {resource}  (policy {policy})")
    return "\n".join(lines)

