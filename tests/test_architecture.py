"""The import direction the package docstrings declare, checked on every module.

Each server package (or top-level module) ends its docstring with ``Imports: a, b`` naming
the server packages it may use; a module belongs to the nearest package that declares one.
The client never imports the server, ``shared`` imports neither, the engine never Textual.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER = "auralis_server"
_IMPORTS_LINE = re.compile(r"^Imports:\s*(.*?)\.?\s*$", re.M)


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    reason: str

    def __str__(self) -> str:
        return f"{self.module} imports {self.imported}: {self.reason}"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(root: Path, path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, wherever in the file; ``from p import m`` counts p.m."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                as_path = root / candidate.replace(".", "/")
                is_module = (
                    as_path.with_suffix(".py").exists() or (as_path / "__init__.py").exists()
                )
                found.add(candidate if is_module else base)
    return found


def _declared_units(root: Path) -> dict[str, set[str]]:
    """unit -> the server units it may import, from the ``Imports:`` docstring lines."""
    units: dict[str, set[str]] = {}
    for path in sorted((root / SERVER).rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        line = _IMPORTS_LINE.search(docstring)
        if line is None:
            continue
        allowed = {name.strip() for name in line.group(1).split(",") if name.strip()}
        allowed.discard("(none)")
        unit = _module_name(root, path)[len(SERVER) + 1 :]
        units[unit] = allowed
    return units


def _unit_of(module: str, units: dict[str, set[str]]) -> str | None:
    """The nearest declaring unit of a server module (None for the bare package)."""
    parts = module.split(".")[1:]
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in units:
            return candidate
    return None


def violations(root: Path) -> list[Violation]:
    units = _declared_units(root)
    found: list[Violation] = []
    for top in (SERVER, "auralis_tui", "shared"):
        for path in sorted((root / top).rglob("*.py")):
            module = _module_name(root, path)
            for imported in sorted(_imports(root, path, module)):
                head = imported.split(".")[0]
                if top == "shared" and head in (SERVER, "auralis_tui"):
                    found.append(
                        Violation(
                            module, imported, "shared/ is the contract; it imports neither side"
                        )
                    )
                elif top == "auralis_tui" and head == SERVER:
                    found.append(Violation(module, imported, "the client never imports the server"))
                elif module.startswith("auralis_tui.engine") and head == "textual":
                    found.append(Violation(module, imported, "the engine stays free of Textual"))
                elif top == SERVER and head == "auralis_tui":
                    found.append(Violation(module, imported, "the server never imports the client"))
                elif top == SERVER and head == SERVER and imported != SERVER:
                    mine, theirs = _unit_of(module, units), _unit_of(imported, units)
                    if mine is None:
                        found.append(
                            Violation(module, imported, "module is in no declared package")
                        )
                    elif theirs is None or (theirs != mine and theirs not in units[mine]):
                        found.append(
                            Violation(
                                module, imported, f"{mine} may import only {sorted(units[mine])}"
                            )
                        )
    return found


def test_every_import_follows_the_declared_direction() -> None:
    assert [str(v) for v in violations(ROOT)] == []


def test_every_server_package_declares_what_it_may_import() -> None:
    units = _declared_units(ROOT)
    packages = {
        _module_name(ROOT, init)[len(SERVER) + 1 :]
        for init in (ROOT / SERVER).rglob("__init__.py")
        if init.parent != ROOT / SERVER and init.parent.name != "routes"
    }
    assert packages <= set(units)
    for unit, allowed in units.items():
        assert allowed <= set(units), f"{unit} names unknown packages {allowed - set(units)}"


def test_declared_imports_form_no_cycle() -> None:
    units = _declared_units(ROOT)
    state: dict[str, str] = {}

    def visit(unit: str, trail: tuple[str, ...]) -> None:
        assert state.get(unit) != "open", f"cycle: {' -> '.join((*trail, unit))}"
        if state.get(unit) == "done":
            return
        state[unit] = "open"
        for below in units[unit]:
            visit(below, (*trail, unit))
        state[unit] = "done"

    for unit in units:
        visit(unit, ())


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for top in ("auralis_tui", "shared"):
        (tmp_path / top).mkdir(exist_ok=True)
    return tmp_path


_LAYERS = {
    "auralis_server/__init__.py": '"""Root."""\n',
    "auralis_server/audio/__init__.py": '"""Audio.\n\nImports: (none).\n"""\n',
    "auralis_server/audio/source.py": '"""Decoding."""\n',
    "auralis_server/mastering/__init__.py": '"""Mastering.\n\nImports: audio.\n"""\n',
    "auralis_server/mastering/plan.py": "from auralis_server.audio import source\n",
}


@pytest.mark.parametrize(
    "upward",
    [
        "from auralis_server.mastering import plan\n",
        "import auralis_server.mastering.plan\n",
        "def late():\n    from auralis_server.mastering.plan import x\n",
        "from ..mastering import plan\n",
    ],
)
def test_an_upward_import_is_reported(tmp_path: Path, upward: str) -> None:
    root = _tree(tmp_path, {**_LAYERS, "auralis_server/audio/bad.py": upward})
    assert [v.module for v in violations(root)] == ["auralis_server.audio.bad"]


def test_the_allowed_direction_passes(tmp_path: Path) -> None:
    assert violations(_tree(tmp_path, _LAYERS)) == []


def test_client_importing_server_and_engine_importing_textual_are_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            **_LAYERS,
            "auralis_tui/api.py": "from auralis_server.audio import source\n",
            "auralis_tui/engine/player.py": "import textual.app\n",
        },
    )
    assert sorted(v.module for v in violations(root)) == [
        "auralis_tui.api",
        "auralis_tui.engine.player",
    ]


def test_the_architecture_page_names_only_paths_that_exist_and_every_package() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = set(
        re.findall(r"\b((?:auralis_server|auralis_tui|shared|rust-dsp|proto)/[\w/.-]*\w)", page)
    )
    assert named and sorted(path for path in named if not (ROOT / path).exists()) == []
    packages = {
        init.parent.relative_to(ROOT / SERVER).as_posix()
        for init in (ROOT / SERVER).rglob("__init__.py")
        if init.parent != ROOT / SERVER and "stubs" not in init.parts
    }
    assert sorted(p for p in packages if f"{p.rsplit('/', 1)[-1]}/" not in page) == []
