"""How the library is laid out: dependencies point down, the lesson stays apart from the engine,
and each formula is written once. Read from the source (``ast``), without running it."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_lib"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The course_lib modules that module ``name`` imports, at its top or inside a function (a
    submodule's import runs its packages' ``__init__`` first, so they count too)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            parts = target.split(".")
            found.update(".".join(parts[:i]) for i in range(2, len(parts) + 1)
                         if ".".join(parts[:i]) in MODULES)
    return found - {name}


def test_no_import_cycle_not_even_through_an_import_inside_a_function():
    graph = {name: imports_of(name) for name in MODULES}
    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in path:
            cycle = [*path[path.index(name):], name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for other in sorted(graph[name]):
            if not (name.startswith(other + ".")):  # a submodule may import its own package
                visit(other)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_trainer_imports_no_widget():
    """The live view attaches from above (a TrainingView): train.py imports no widget code."""
    assert not {m for m in imports_of("course_lib.train") if m.startswith("course_lib.widgets")}


def test_activations_and_initialisation_do_not_import_each_other_both_ways():
    down = "course_lib.activations" in imports_of("course_lib.initialisation")
    up = "course_lib.initialisation" in imports_of("course_lib.activations")
    assert not (down and up)
    assert not up  # initialisation builds on activations, not the other way


def test_the_engine_imports_no_lesson():
    """The engine may use the shared vocabulary (padding, checks), never a lesson module."""
    for name in (m for m in MODULES if m.startswith("course_lib.engine")):
        outside = {m for m in imports_of(name) if not m.startswith("course_lib.engine")}
        assert outside <= {"course_lib", "course_lib._checks", "course_lib.padding"}, name


NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def printed_names() -> list[str]:
    """What the notebooks print with ``inspect.getsource``: ``conv.convolve_naive``, ..."""
    import nbformat

    names = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                names += re.findall(r"inspect\.getsource\(([\w.]+)\)", cell.source)
    return names


def resolve(dotted: str):
    """The library object a notebook names: ``module.function``, ``Class.method`` or a name."""
    first, _, rest = dotted.partition(".")
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if name.rpartition(".")[2] == first and rest:
            return getattr(importlib.import_module(name), rest)
        defined = {node.name for node in tree.body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        if first in defined:
            value = getattr(importlib.import_module(name), first)
            return getattr(value, rest) if rest else value
    raise LookupError(f"no course_lib module defines {dotted}")


def test_the_notebooks_print_whole_public_functions():
    """A notebook prints a whole function (never a slice cut at a line of text), and what it
    prints is public: curriculum is not behind a private name."""
    import nbformat

    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines() if cell.cell_type == "code" else []:
                if "getsource" in line:
                    assert re.fullmatch(r"print\(inspect\.getsource\([\w.]+\)\)", line.strip()), \
                        f"{path.name}: {line.strip()}"
    names = printed_names()
    assert names  # the notebooks do print their lessons
    assert not [name for name in names if any(part.startswith("_") for part in name.split("."))]


def engine_names(function) -> list[str]:
    """The names ``function``'s code uses that are, or come from, the engine."""
    import course_lib.engine

    module = inspect.getmodule(function)
    found = []
    for name in function.__code__.co_names:
        value = getattr(module, name, None)
        origin = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        if value is course_lib.engine or str(origin).startswith("course_lib.engine"):
            found.append(name)
    return found


@pytest.mark.parametrize("dotted", printed_names())
def test_what_the_notebooks_print_uses_nothing_from_the_engine(dotted):
    function = resolve(dotted)
    assert engine_names(function) == []
    assert "Shown in notebook" in (function.__doc__ or ""), "say which notebook shows it"


def test_the_lesson_s_strategies_reach_no_engine_through_the_module_s_helpers():
    """Follow each strategy through the conv module's own functions it calls."""
    from course_lib import conv

    for name in ("convolve_naive", "convolve_flip", "convolve_vectorized", "convolve_separable",
                 "convolve_fft", "pad_image", "separate_kernel"):
        seen, stack = set(), [getattr(conv, name)]
        while stack:
            function = stack.pop()
            if function in seen:
                continue
            seen.add(function)
            assert engine_names(function) == [], f"{name} reaches the engine via {function}"
            stack += [value for n in function.__code__.co_names
                      if inspect.isfunction(value := getattr(conv, n, None))
                      and value.__module__ == "course_lib.conv"]


KERNEL_SIDES = {"k", "kernel", "kernel_size", "ksize", "size_k"}


def formula_sites(path: Path) -> list[str]:
    """Where ``path`` writes an output-size formula (``... // s + 1``) or a kernel's area
    (``k * k``), outside lambdas (exercise mistakes are wrong formulas on purpose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_lambda = {id(node) for lam in ast.walk(tree) if isinstance(lam, ast.Lambda)
                 for node in ast.walk(lam)}
    sites = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp) or id(node) in in_lambda:
            continue
        if (isinstance(node.op, ast.Add) and isinstance(node.left, ast.BinOp)
                and isinstance(node.left.op, ast.FloorDiv)
                and isinstance(node.right, ast.Constant) and node.right.value == 1):
            sites.append(f"{path.name}:{node.lineno} output size")
        if (isinstance(node.op, ast.Mult) and isinstance(node.right, ast.Name)
                and node.right.id in KERNEL_SIDES and isinstance(node.left, ast.BinOp)
                and isinstance(node.left.op, ast.Mult) and isinstance(node.left.right, ast.Name)
                and node.left.right.id == node.right.id):
            sites.append(f"{path.name}:{node.lineno} {node.right.id} * {node.right.id}")
    return sites


def test_output_size_and_parameter_count_are_written_once():
    """models/arithmetic.py is the one place that computes a layer's output size and a
    convolution's parameter count; the rest of the library calls it."""
    elsewhere = [site for name, path in MODULES.items() if name != "course_lib.models.arithmetic"
                 for site in formula_sites(path)]
    assert elsewhere == []
    assert formula_sites(MODULES["course_lib.models.arithmetic"])  # the test sees a formula


def test_the_readme_is_a_front_door():
    """What the course is, the chapters, the two commands, where to go next: well under 150
    lines, and every page it sends a reader to exists."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 150
    for command in ("make lab", "make test"):
        assert f"{command} " in readme, command
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", readme)
    assert {"site/teachers.md", "CONTRIBUTING.md", "site/benchmarks.md"} <= set(links), links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, missing
