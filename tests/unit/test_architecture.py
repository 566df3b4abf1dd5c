"""Architecture checks on the static import graph of ``src/medcoder`` (see unit/architecture_graph.py).

- every package is placed in ``LAYERS`` and imports only packages of strictly lower rank;
- no package-level cycle, no module-level cycle inside a package;
- the share of medcoder imports made inside functions stays under ``MAX_IN_FUNCTION_SHARE``;
- each DVC stage lists, in its ``deps``, every source file its command can import and every
  ``configs/...`` file its command line names.

The graph is built with ``ast`` (nothing under src/ is imported), except that the DVC check imports
``medcoder.cli`` to map each stage's command to the module that implements it.
"""

from __future__ import annotations

import functools
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from unit.architecture_graph import (
    ImportGraph,
    build_graph,
    config_paths,
    covered,
    dep_paths,
    find_callback,
    intra_package_graph,
    layer_violations,
    package_graph,
    package_of,
    reachable,
    resolve_params,
    shortest_cycle,
    strongly_connected_components,
)

# Target layering of the top-level packages; docs/ARCHITECTURE.md explains it. A package may import
# only packages of strictly LOWER rank (or itself). Root modules are their own packages: errors.py ->
# "errors", paths.py -> "paths", cli.py -> "cli", demo.py -> "demo", __init__.py -> "medcoder".
# A new package must be placed here explicitly.
LAYERS: dict[int, tuple[str, ...]] = {
    0: ("errors", "paths"),
    1: ("metrics",),
    2: ("terminology",),
    3: ("data",),
    4: ("nlp", "rules", "audit"),
    5: ("ingest", "routing"),
    6: ("models",),
    7: ("evidence", "training"),
    8: ("evaluation",),
    9: ("coding",),
    10: ("claims",),
    11: ("monitoring", "review"),
    12: ("serving",),
    13: ("cli", "demo", "medcoder"),
}

# Fewer than this share of medcoder import statements may sit inside functions: 38% before the
# architecture clean-up (most of them dodged package cycles), about 30% after it; what remains is
# mostly CLI commands and benchmarks keeping torch / MLflow / BentoML off `medcoder --help`.
MAX_IN_FUNCTION_SHARE = 0.33

# Root modules a DVC stage need not list in its deps although its command imports them: the package
# __init__ (only __version__), errors.py (exception types), paths.py (repository paths) and cli.py (the
# command dispatcher every stage runs). They are tiny, change rarely and hardly ever change what a
# stage computes; listing them in every stage would rerun the whole pipeline for a new exception class.
# Only these files are exempt: what they import is still checked.
ALWAYS_OK = frozenset(
    {
        "src/medcoder/__init__.py",
        "src/medcoder/errors.py",
        "src/medcoder/paths.py",
        "src/medcoder/cli.py",
    }
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC_DIR = REPO_ROOT / "src"


def rank_of() -> dict[str, int]:
    """Package -> rank, from ``LAYERS``."""
    return {pkg: rank for rank, pkgs in LAYERS.items() for pkg in pkgs}


@functools.cache
def medcoder_graph() -> ImportGraph:
    """The import graph of the current src/medcoder (built once per test session)."""
    return build_graph(SRC_DIR)


def describe_cycle(cycle: list[str], edges: dict[tuple[str, str], list[str]]) -> str:
    """``a -> b -> a`` followed by the module imports behind each step."""
    steps = [
        f"    {src} -> {dst}: {'; '.join(edges[src, dst])}"
        for src, dst in zip(cycle, cycle[1:], strict=False)
    ]
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def package_edge_notes(graph: ImportGraph) -> dict[tuple[str, str], list[str]]:
    """(package, package) -> the module imports that make that package edge, as readable notes."""
    notes: dict[tuple[str, str], list[str]] = {}
    for e in graph.edges:
        key = (package_of(e.src), package_of(e.dst))
        note = f"{e.src} -> {e.dst} (line {e.line}{', in function' if e.in_function else ''})"
        if note not in notes.setdefault(key, []):
            notes[key].append(note)
    return notes


def module_edge_notes(graph: ImportGraph) -> dict[tuple[str, str], list[str]]:
    """(module, module) -> the lines of the import statements between them."""
    notes: dict[tuple[str, str], list[str]] = {}
    for e in graph.edges:
        notes.setdefault((e.src, e.dst), []).append(
            f"line {e.line}{' (in function)' if e.in_function else ''}"
        )
    return notes


# --- the architecture ------------------------------------------------------------------------


def test_layer_map_places_each_package_once() -> None:
    """A package listed at two ranks would make the layering ambiguous."""
    placed = [pkg for pkgs in LAYERS.values() for pkg in pkgs]
    twice = sorted({p for p in placed if placed.count(p) > 1})
    assert not twice, f"placed more than once in LAYERS: {twice}"


def test_every_package_is_placed_in_a_layer() -> None:
    """(a) Every package under src/medcoder has a rank; a new one must be placed explicitly."""
    found = {package_of(m) for m in medcoder_graph().files}
    missing = sorted(found - set(rank_of()))
    assert not missing, "packages missing from LAYERS (place them in test_architecture.py): " + ", ".join(
        missing
    )


def test_imports_resolve_to_existing_modules() -> None:
    """Every medcoder import names a module that exists (guards the analyzer and stale moves)."""
    graph = medcoder_graph()
    dangling = sorted(
        {f"{e.src} -> {e.dst} (line {e.line})" for e in graph.edges if e.dst not in graph.files}
    )
    assert not dangling, "imports of medcoder modules that do not exist:\n" + "\n".join(dangling)


def test_no_upward_or_same_rank_imports() -> None:
    """(b) A package imports only packages of strictly lower rank."""
    bad = layer_violations(medcoder_graph(), rank_of())
    assert not bad, f"{len(bad)} imports break the layering:\n" + "\n".join(bad)


def test_no_package_cycles() -> None:
    """(c) The package graph (from the module edges alone, ignoring LAYERS) is acyclic."""
    graph = medcoder_graph()
    adj = package_graph(graph)
    notes = package_edge_notes(graph)
    report = [
        f"packages {comp}, e.g. " + describe_cycle(shortest_cycle(comp[0], comp, adj), notes)
        for comp in strongly_connected_components(adj)
    ]
    assert not report, "package import cycles:\n" + "\n".join(report)


def test_no_module_cycles_inside_packages() -> None:
    """(d) Inside each package the module graph (module- and function-level imports) is acyclic."""
    graph = medcoder_graph()
    adj = intra_package_graph(graph)
    notes = module_edge_notes(graph)
    report = []
    for comp in strongly_connected_components(adj):
        inner = [
            f"    {s} -> {d}: {', '.join(notes[s, d])}" for s in comp for d in sorted(adj[s]) if d in comp
        ]
        report.append(f"{package_of(comp[0])}: {', '.join(comp)}\n" + "\n".join(inner))
    assert not report, "module import cycles inside packages:\n" + "\n".join(report)


def test_share_of_imports_inside_functions() -> None:
    """(e) Imports hidden in functions hide dependencies; keep their share under the threshold."""
    statements = medcoder_graph().statements
    inside = sum(s.in_function for s in statements)
    share = inside / len(statements)
    assert share < MAX_IN_FUNCTION_SHARE, (
        f"{inside} of {len(statements)} medcoder imports ({share:.1%}) are inside functions; "
        f"the limit is {MAX_IN_FUNCTION_SHARE:.0%}"
    )


# --- DVC stage deps --------------------------------------------------------------------------


def load_params(dvc: dict[str, Any]) -> dict[str, Any]:
    """params.yaml at the repository root, plus any inline ``vars`` mappings of dvc.yaml."""
    path = REPO_ROOT / "params.yaml"
    params: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}
    for entry in dvc.get("vars", []) or []:
        if isinstance(entry, dict):
            params.update(entry)
    return params


def by_folder(files: list[str]) -> str:
    """Files grouped by folder, one indented line per folder: ``    src/medcoder/x/: a.py, b.py``."""
    groups: dict[str, list[str]] = {}
    for f in files:
        folder, _, leaf = f.rpartition("/")
        groups.setdefault(folder, []).append(leaf)
    return "\n".join(f"    {folder}/: {', '.join(leaves)}" for folder, leaves in sorted(groups.items()))


def stage_problems(name: str, stage: dict[str, Any], params: dict[str, Any], app: typer.Typer) -> list[str]:
    """What one DVC stage's deps miss: code its ``medcoder`` command can import, configs it names."""
    graph = medcoder_graph()
    deps = dep_paths(stage.get("deps", []) or [])
    raw = stage.get("cmd", [])
    problems: list[str] = []
    for cmd in [raw] if isinstance(raw, str) else list(raw):
        try:
            cmd = resolve_params(" ".join(cmd.split()), params)
        except (KeyError, ValueError) as exc:
            problems.append(f"stage {name!r}: {exc}")
            continue
        missing_cfg = [c for c in config_paths(cmd) if not covered(c, deps)]
        if missing_cfg:
            problems.append(f"stage {name!r}: configs not in deps: {', '.join(missing_cfg)}")
        words = shlex.split(cmd)
        if words[:1] != ["medcoder"]:
            continue
        callback = find_callback(app, words[1:])
        if callback is None:
            problems.append(f"stage {name!r}: no medcoder command matches {cmd!r}")
            continue
        module = callback.__module__
        if module not in graph.files:
            problems.append(f"stage {name!r}: command module {module} is not under src/medcoder")
            continue
        files = sorted(graph.rel_path(m) for m in reachable(graph, module) if m in graph.files)
        missing = [f for f in files if f not in ALWAYS_OK and not covered(f, deps)]
        if missing:
            problems.append(
                f"stage {name!r} ({module}): {len(missing)} imported files not in deps:\n"
                + by_folder(missing)
            )
    return problems


def test_dvc_stage_deps_cover_imported_code_and_configs() -> None:
    """Each stage's deps cover every file its command can import (statically, transitively, with
    function-level imports) and every configs/ path on its command line, so `dvc repro` reruns it."""
    from medcoder.cli import app

    dvc = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())
    params = load_params(dvc)
    problems = [p for name, stage in dvc["stages"].items() for p in stage_problems(name, stage, params, app)]
    assert not problems, "DVC stage deps are incomplete:\n" + "\n".join(problems)


# --- the analyzer itself, on a synthetic tree ------------------------------------------------

SYNTHETIC = {
    "medcoder/__init__.py": "",
    "medcoder/errors.py": "",
    "medcoder/a/__init__.py": "from medcoder.a.x import X\n",
    "medcoder/a/x.py": (
        "from __future__ import annotations\n"  # 1
        "from typing import TYPE_CHECKING\n"  # 2
        "import numpy\n"  # 3
        "import medcoder.errors\n"  # 4
        "from medcoder.a import helper, y\n"  # 5
        "if TYPE_CHECKING:\n"  # 6
        "    from medcoder.b.z import Z\n"  # 7
        "class K:\n"  # 8
        "    def m(self):\n"  # 9
        "        from ..b import z\n"  # 10
        "        from .y import f\n"  # 11
        "X = 1\n"
    ),
    "medcoder/a/y.py": "def f():\n    from .x import K\n",
    "medcoder/b/__init__.py": "",
    "medcoder/b/z.py": "from medcoder import errors\nasync def g():\n    import medcoder.a\n",
}


@pytest.fixture
def synthetic_graph(tmp_path: Path) -> ImportGraph:
    """The graph of ``SYNTHETIC`` written under ``tmp_path/src``."""
    for rel, text in SYNTHETIC.items():
        path = tmp_path / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return build_graph(tmp_path / "src")


def test_analyzer_resolves_edges(synthetic_graph: ImportGraph) -> None:
    """Absolute, relative, TYPE_CHECKING and in-function imports, module vs name targets."""
    got = {(e.src, e.dst, e.line, e.in_function) for e in synthetic_graph.edges}
    assert got == {
        ("medcoder.a", "medcoder.a.x", 1, False),
        ("medcoder.a.x", "medcoder.errors", 4, False),
        ("medcoder.a.x", "medcoder.a", 5, False),  # helper is a name in the package __init__
        ("medcoder.a.x", "medcoder.a.y", 5, False),  # y is a module
        ("medcoder.a.x", "medcoder.b.z", 7, False),  # TYPE_CHECKING counts, at module level
        ("medcoder.a.x", "medcoder.b.z", 10, True),
        ("medcoder.a.x", "medcoder.a.y", 11, True),
        ("medcoder.a.y", "medcoder.a.x", 2, True),
        ("medcoder.b.z", "medcoder.errors", 1, False),
        ("medcoder.b.z", "medcoder.a", 3, True),
    }
    assert len(synthetic_graph.statements) == 9
    assert sum(s.in_function for s in synthetic_graph.statements) == 4
    assert synthetic_graph.rel_path("medcoder.a") == "src/medcoder/a/__init__.py"
    assert {package_of(m) for m in synthetic_graph.files} == {"medcoder", "errors", "a", "b"}


def test_analyzer_finds_cycles_and_layer_breaks(synthetic_graph: ImportGraph) -> None:
    """Package cycle a <-> b, module cycle through a's __init__, and the one upward import."""
    pkg_adj = package_graph(synthetic_graph)
    assert strongly_connected_components(pkg_adj) == [["a", "b"]]
    assert shortest_cycle("a", ["a", "b"], pkg_adj) == ["a", "b", "a"]
    assert strongly_connected_components(intra_package_graph(synthetic_graph)) == [
        ["medcoder.a", "medcoder.a.x", "medcoder.a.y"]
    ]
    assert layer_violations(synthetic_graph, {"errors": 0, "b": 1, "a": 2, "medcoder": 3}) == [
        "medcoder.b.z -> medcoder.a (b rank 1 imports a rank 2)  # line 3 (in function)"
    ]
    assert reachable(synthetic_graph, "medcoder.a.y", with_parents=False) == {
        "medcoder.a.y", "medcoder.a.x", "medcoder.a", "medcoder.errors", "medcoder.b.z",
    }  # fmt: skip
    assert reachable(synthetic_graph, "medcoder.a.y") == set(synthetic_graph.files)


def test_dvc_helpers() -> None:
    """Params interpolation, configs/ extraction, dep coverage and typer command lookup."""
    params = {"cfg": "configs/model/x.yaml", "a": {"b": 3}}
    assert resolve_params("run --c ${cfg} --n ${a.b}", params) == "run --c configs/model/x.yaml --n 3"
    with pytest.raises(KeyError):
        resolve_params("run ${a.c}", params)
    assert config_paths("--config configs/m/l.yaml --r=configs/routing.yaml configs/m/l.yaml") == [
        "configs/m/l.yaml",
        "configs/routing.yaml",
    ]
    deps = dep_paths(["./configs/m/", {"src/x.py": {"cache": False}}])
    assert deps == ["configs/m", "src/x.py"]
    assert covered("configs/m/l.yaml", deps) and covered("src/x.py", deps)
    assert not covered("configs/mx/l.yaml", deps) and not covered("src/x.pyc", deps)

    def do_thing() -> None: ...

    def prep() -> None: ...

    root, group = typer.Typer(), typer.Typer()
    root.command()(do_thing)
    group.command("prepare")(prep)
    root.add_typer(group, name="data")
    assert find_callback(root, ["do-thing", "--x", "1"]) is do_thing
    assert find_callback(root, ["-v", "data", "prepare", "--n", "3"]) is prep
    assert find_callback(root, ["nope"]) is None


def test_import_linter_keeps_the_layers_contract() -> None:
    """An independent check of the same layering: import-linter's contract in pyproject.toml.

    It follows indirect chains too (a lower package reaching a higher one through a third)."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("lint-imports")
    assert exe.exists(), "import-linter is a dev dependency: make install"
    res = subprocess.run(
        [str(exe), "--no-cache", "--config", str(REPO_ROOT / "pyproject.toml")],
        cwd=REPO_ROOT / "src",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert "1 kept, 0 broken" in res.stdout
