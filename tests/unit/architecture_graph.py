"""Static import graph of the ``medcoder`` sources, for the architecture tests.

Pure standard library: every ``.py`` file under ``src/medcoder`` is parsed with :mod:`ast` (never
imported), and every ``import medcoder...``, ``from medcoder... import ...`` and relative import is
collected wherever it appears (module level, ``if TYPE_CHECKING:`` blocks, functions, methods).

Resolution rules:

- ``import medcoder.a.b`` -> module ``medcoder.a.b``;
- ``from medcoder.a import b`` -> ``medcoder.a.b`` when that is a module (file or sub-package), else
  ``medcoder.a`` (the package ``__init__``); one edge per imported name;
- relative imports are made absolute first (``from .x import y`` in ``medcoder/a/m.py`` is
  ``from medcoder.a.x import y``).

Not seen: dynamic imports (``importlib.import_module(name)``), such as the area loop of
``medcoder/cli.py`` and the lazy ``__getattr__`` exports of ``medcoder.terminology`` and
``medcoder.audit``; an import of such a package resolves to its ``__init__`` only.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOP = "medcoder"


@dataclass(frozen=True)
class Edge:
    """One resolved import: ``src`` imports ``dst`` at ``line`` (``in_function``: inside a def)."""

    src: str
    dst: str
    line: int
    in_function: bool


@dataclass(frozen=True)
class ImportStmt:
    """One ``import``/``from ... import`` statement that names at least one medcoder module."""

    module: str
    line: int
    in_function: bool


@dataclass
class ImportGraph:
    """Modules (name -> file), resolved edges and the import statements they came from."""

    src_dir: Path
    files: dict[str, Path]
    edges: list[Edge] = field(default_factory=list)
    statements: list[ImportStmt] = field(default_factory=list)

    def successors(self) -> dict[str, set[str]]:
        """Module adjacency (self-imports dropped), over every module, imported or not."""
        adj: dict[str, set[str]] = {m: set() for m in self.files}
        for e in self.edges:
            if e.src != e.dst:
                adj.setdefault(e.src, set()).add(e.dst)
                adj.setdefault(e.dst, set())
        return adj

    def rel_path(self, module: str) -> str:
        """The module's file relative to the repository root (the parent of ``src``)."""
        return self.files[module].relative_to(self.src_dir.parent).as_posix()


def package_of(module: str) -> str:
    """Top-level package: ``medcoder.routing.fit`` -> ``routing``; ``medcoder.errors`` -> ``errors``;
    ``medcoder`` (the package ``__init__``) -> ``medcoder``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def discover_modules(src_dir: Path, top: str = TOP) -> dict[str, Path]:
    """Every module file under ``src_dir/top``: dotted name -> path (``__init__`` names its package)."""
    modules: dict[str, Path] = {}
    for path in sorted((src_dir / top).rglob("*.py")):
        rel = path.relative_to(src_dir).with_suffix("")
        if "__pycache__" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _absolute_base(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module named by a ``from`` import of ``level`` dots inside ``module``."""
    if level == 0:
        return name or ""
    parts = module.split(".")
    keep = len(parts) - level + (1 if is_package else 0)
    if keep <= 0:
        raise ValueError(f"relative import beyond the top package in {module}")
    base = ".".join(parts[:keep])
    return f"{base}.{name}" if name else base


def _is_ours(name: str, top: str) -> bool:
    """True for ``top`` itself and its sub-modules."""
    return name == top or name.startswith(top + ".")


class _ImportCollector(ast.NodeVisitor):
    """Collects (statement, targets) pairs with their function nesting."""

    def __init__(self, module: str, is_package: bool, known: Mapping[str, Path], top: str) -> None:
        self.module = module
        self.is_package = is_package
        self.known = known
        self.top = top
        self.depth = 0
        self.found: list[tuple[int, bool, list[str]]] = []

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    # ast.NodeVisitor dispatches on these names.
    visit_FunctionDef = _nested
    visit_AsyncFunctionDef = _nested
    visit_Lambda = _nested

    def visit_Import(self, node: ast.Import) -> None:
        targets = [a.name for a in node.names if _is_ours(a.name, self.top)]
        if targets:
            self.found.append((node.lineno, self.depth > 0, targets))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute_base(self.module, self.is_package, node.level, node.module)
        if not _is_ours(base, self.top):
            return
        targets = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            targets.append(sub if alias.name != "*" and sub in self.known else base)
        self.found.append((node.lineno, self.depth > 0, targets))


def module_imports(
    source: str, module: str, is_package: bool, known: Mapping[str, Path], top: str = TOP
) -> list[tuple[int, bool, list[str]]]:
    """``(line, in_function, targets)`` for each medcoder import statement of one module's source."""
    collector = _ImportCollector(module, is_package, known, top)
    collector.visit(ast.parse(source, filename=module))
    return collector.found


def build_graph(src_dir: Path, top: str = TOP) -> ImportGraph:
    """Parse every module under ``src_dir/top`` and resolve its medcoder imports."""
    files = discover_modules(src_dir, top)
    graph = ImportGraph(src_dir=src_dir, files=files)
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        for line, in_fn, targets in module_imports(
            path.read_text(encoding="utf-8"), module, is_package, files, top
        ):
            graph.statements.append(ImportStmt(module, line, in_fn))
            graph.edges.extend(Edge(module, t, line, in_fn) for t in dict.fromkeys(targets))
    return graph


def strongly_connected_components(adj: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); returns the components with more than one node, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(adj):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(adj.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adj.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                if len(comp) > 1:
                    result.append(sorted(comp))
    return sorted(result)


def shortest_cycle(start: str, members: Iterable[str], adj: Mapping[str, Iterable[str]]) -> list[str]:
    """A shortest cycle ``[start, ..., start]`` through ``start`` using only ``members`` (BFS)."""
    allowed = set(members)
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(adj.get(node, ())):
            if nxt not in allowed:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return []


def package_graph(graph: ImportGraph) -> dict[str, set[str]]:
    """Package adjacency built from the module edges (imports within a package dropped)."""
    adj: dict[str, set[str]] = {package_of(m): set() for m in graph.files}
    for e in graph.edges:
        src, dst = package_of(e.src), package_of(e.dst)
        if src != dst:
            adj.setdefault(src, set()).add(dst)
            adj.setdefault(dst, set())
    return adj


def intra_package_graph(graph: ImportGraph) -> dict[str, set[str]]:
    """Module adjacency keeping only edges whose two ends lie in the same top-level package
    (an edge into that package's own ``__init__`` included)."""
    adj: dict[str, set[str]] = {m: set() for m in graph.files}
    for src, dsts in graph.successors().items():
        adj.setdefault(src, set()).update(d for d in dsts if package_of(d) == package_of(src))
    return adj


def reachable(graph: ImportGraph, start: str, with_parents: bool = True) -> set[str]:
    """Modules reachable from ``start`` (itself included). ``with_parents``: also the ``__init__`` of
    every package above a reached module, since Python runs those first when it imports it."""
    adj = graph.successors()
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(adj.get(node, ()))
        if with_parents:
            parts = node.split(".")
            todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
    return seen


# --- DVC helpers -----------------------------------------------------------------------------

_PARAM = re.compile(r"\$\{\s*([\w.-]+)\s*\}")
_CONFIG_PATH = re.compile(r"(?<![\w./-])configs/[\w./-]*[\w-]")


def resolve_params(cmd: str, params: Mapping[str, object]) -> str:
    """Replace every ``${key}`` / ``${a.b.c}`` in ``cmd`` with its value from ``params``."""

    def lookup(match: re.Match[str]) -> str:
        value: object = params
        for key in match.group(1).split("."):
            if not isinstance(value, Mapping) or key not in value:
                raise KeyError(f"${{{match.group(1)}}} is not in params.yaml")
            value = value[key]
        if isinstance(value, (Mapping, list)):
            raise ValueError(f"${{{match.group(1)}}} is not a scalar")
        return str(value)

    return _PARAM.sub(lookup, cmd)


def config_paths(cmd: str) -> list[str]:
    """The ``configs/...`` paths a (resolved) command line mentions, in order, without repeats."""
    return list(dict.fromkeys(_CONFIG_PATH.findall(cmd)))


def dep_paths(deps: Iterable[object]) -> list[str]:
    """DVC ``deps`` entries as plain normalized paths (an entry may be ``{path: options}``)."""
    out: list[str] = []
    for dep in deps:
        names = list(dep) if isinstance(dep, Mapping) else [dep]
        out.extend(str(n).removeprefix("./").rstrip("/") for n in names)
    return out


def covered(path: str, deps: Iterable[str]) -> bool:
    """True when ``path`` is one of ``deps`` or lies inside a dep folder."""
    return any(path == d or path.startswith(d + "/") for d in deps)


# --- layering and CLI helpers ----------------------------------------------------------------


def layer_violations(graph: ImportGraph, rank: Mapping[str, int]) -> list[str]:
    """Every cross-package edge whose target package does not have a strictly lower rank, as
    ``src -> dst (p rank i imports q rank j)`` followed by the import lines. Unplaced packages are
    skipped (a separate check names them)."""
    lines: dict[tuple[str, str], list[str]] = {}
    for e in graph.edges:
        sp, dp = package_of(e.src), package_of(e.dst)
        if sp != dp and sp in rank and dp in rank and rank[dp] >= rank[sp]:
            lines.setdefault((e.src, e.dst), []).append(
                f"{e.line}{' (in function)' if e.in_function else ''}"
            )
    return [
        f"{src} -> {dst} ({package_of(src)} rank {rank[package_of(src)]} imports "
        f"{package_of(dst)} rank {rank[package_of(dst)]})  # line {', '.join(at)}"
        for (src, dst), at in sorted(lines.items())
    ]


def _command_name(info: Any) -> str:
    """A typer command's name: its explicit name, else the callback's name with ``_`` -> ``-``."""
    name = getattr(info, "name", None)
    if isinstance(name, str) and name:
        return name
    return info.callback.__name__.lower().replace("_", "-")


def _group_name(info: Any) -> str | None:
    """A typer group's name: the ``add_typer`` name, else the sub-app's own name (else None)."""
    for name in (getattr(info, "name", None), getattr(info.typer_instance.info, "name", None)):
        if isinstance(name, str) and name:
            return name
    return None


def find_callback(app: Any, words: list[str]) -> Any | None:
    """The callback a command line (the words after ``medcoder``) runs in a typer app, walking
    ``registered_groups`` and ``registered_commands``; options before a command word are skipped."""
    current = app
    for word in words:
        if word.startswith("-"):
            continue
        for command in current.registered_commands:
            if _command_name(command) == word:
                return command.callback
        group = next((g for g in current.registered_groups if _group_name(g) == word), None)
        if group is None:
            return None
        current = group.typer_instance
    return None
