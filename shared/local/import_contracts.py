"""An import-linter contract about what importing a module runs (pyproject.toml: `forbidden_at_import`).

The built-in `forbidden` contract sees every import statement, those inside functions too, so a
handler whose service defers argon2 to the one function that hashes would break it; its only escape,
`allow_indirect_imports`, stops looking past the handler's own imports. This contract follows every
chain, and reads it as Python runs it at import: an import inside a function (deferred to first use)
or under `if TYPE_CHECKING:` runs later or never, so it is left out; a module's package `__init__`
runs before it, so it is followed. `exempt_modules` (handler packages or modules, inside the sources)
are not held to it. tests/unit/test_handler_imports.py checks the same rule in a fresh interpreter.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain import fields
from importlinter.domain.helpers import module_expressions_to_modules

if TYPE_CHECKING:
    from grimp import ImportGraph
    from importlinter.domain.contract import ContractCheck


class ForbiddenAtImportContract(ForbiddenContract):
    """`forbidden`, counting only the imports that run when a module is imported."""

    type_name = "forbidden_at_import"

    exempt_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        if str(self.allow_indirect_imports).lower() == "true":
            raise ValueError("forbidden_at_import follows every chain: allow_indirect_imports has no place here")
        sources = module_expressions_to_modules(graph, self.source_modules)  # type: ignore[arg-type]
        for exempt in module_expressions_to_modules(graph, self.exempt_modules or ()):  # type: ignore[arg-type]
            if not any(exempt.name == s.name or exempt.is_descendant_of(s) for s in sources):
                raise ValueError(f"exempt module {exempt.name} is not inside the contract's sources")
            # Nothing imports a handler, so taking one out of the graph hides no other module's chain.
            for name in graph.find_descendants(exempt.name) | {exempt.name}:
                graph.remove_module(name)
        keep_import_time_imports(graph)
        return super().check(graph, verbose)


def keep_import_time_imports(graph: ImportGraph) -> None:
    """Drop from `graph` the imports made only inside functions or TYPE_CHECKING blocks, and add the
    import of each module's package (its `__init__` runs first)."""
    for importer in sorted(graph.modules):
        if graph.is_module_squashed(importer):
            continue  # an external package: its own imports are not in the graph
        path = _source_of(importer)
        if path is None:
            continue
        lines = _import_time_lines(path)
        for imported in graph.find_modules_directly_imported_by(importer):
            details = graph.get_import_details(importer=importer, imported=imported)
            if details and not any(d["line_number"] in lines for d in details):
                graph.remove_import(importer=importer, imported=imported)
        package = importer.rpartition(".")[0]
        if package in graph.modules:
            graph.add_import(importer=importer, imported=package, line_number=0,
                             line_contents="(the package's __init__ runs first)")


def _source_of(module: str) -> Path | None:
    top, _, rest = module.partition(".")
    base = _package_dir(top)
    if base is None:
        return None
    candidate = base.joinpath(*rest.split(".")) if rest else base
    for path in (candidate.with_suffix(".py"), candidate / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _package_dir(top: str) -> Path | None:
    spec = importlib.util.find_spec(top)  # a top-level name: found without running the package
    locations = spec.submodule_search_locations if spec else None
    return Path(next(iter(locations))) if locations else None


def _import_time_lines(path: Path) -> set[int]:
    """Lines of the import statements that run when the module is imported."""
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # runs when called, not at import
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for branch in child.orelse:
                    visit_one(branch)
                continue
            visit_one(child)

    def visit_one(node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        visit(node)

    visit(ast.parse(path.read_text(), str(path)))
    return lines


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
