"""The `forbidden_at_import` contract reads a graph as Python runs it at import time."""

from __future__ import annotations

import grimp

from shared.local.import_contracts import keep_import_time_imports


def _package(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_only_the_imports_that_run_at_import_make_a_chain(tmp_path, monkeypatch):
    _package(tmp_path, {
        "atimport/__init__.py": "",
        "atimport/heavy.py": "",
        "atimport/handler.py": "from atimport import deferred, typed\n",
        "atimport/deferred.py": "def send():\n    from atimport import heavy\n    return heavy\n",
        "atimport/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from atimport import heavy\n",
        "atimport/eager.py": "import json\nfrom atimport import (\n    heavy,\n)\n",
        "atimport/sdk/client.py": "",
        "atimport/sdk/__init__.py": "from atimport import heavy\n",  # a package whose __init__ loads it
        "atimport/uses_sdk.py": "from atimport.sdk import client\n",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("atimport")
    assert graph.find_shortest_chain(importer="atimport.handler", imported="atimport.heavy")  # as the linter sees it
    keep_import_time_imports(graph)
    assert graph.find_shortest_chain(importer="atimport.handler", imported="atimport.heavy") is None
    assert graph.find_shortest_chain(importer="atimport.eager", imported="atimport.heavy")  # multi-line import
    assert graph.find_shortest_chain(importer="atimport.uses_sdk", imported="atimport.heavy") == (
        "atimport.uses_sdk", "atimport.sdk.client", "atimport.sdk", "atimport.heavy")
