"""Print the areas of the service and which areas each one's code imports, read from the source.

    python docs/areas.py

An area is a package of ``commerce`` (or ``integrations``); the shared modules at the top of
``commerce`` (db, sql, errors, validation...) are one area, ``core``. The edge (each area's
views, ``web``, ``pages``, the CLI and the application factory) is left out: it may import any
area, and no area imports it. Areas come in layers: each imports only areas of the layers below
it; areas that import one another (directly or round about) share a line. ``docs/architecture.md``
shows this output, and a test keeps the two the same.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDGE_AREAS = {"web", "pages"}
EDGE_MODULES = {"__init__.py", "cli.py", "demo.py", "scheduler.py", "models.py", "deployment.py"}


def area_of(module: str) -> str | None:
    """The area a dotted module name belongs to (None for modules outside the project)."""
    parts = module.split(".")
    if parts[0] == "integrations":
        return "integrations"
    if parts[0] != "commerce":
        return None
    if len(parts) == 1 or not (ROOT / "commerce" / parts[1]).is_dir():
        return "core"
    return parts[1]


def _is_edge(path: Path) -> bool:
    relative = path.relative_to(ROOT / "commerce")
    if relative.parts[0] == "__init__.py":
        return True
    return (
        relative.parts[0] in EDGE_AREAS
        or relative.name == "views.py"
        or "views" in relative.parts[:-1]
        or (len(relative.parts) == 1 and relative.name in EDGE_MODULES)
    )


def dependencies() -> dict[str, set[str]]:
    """Each area and the other areas its code imports."""
    found: dict[str, set[str]] = defaultdict(set)
    sources = [path for path in (ROOT / "commerce").rglob("*.py") if not _is_edge(path)]
    sources += sorted((ROOT / "integrations").rglob("*.py"))
    for path in sources:
        area = area_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found[area]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                other = area_of(name)
                if other is not None and other != area:
                    found[area].add(other)
    return found


def groups(found: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The areas that import one another (directly or round about) grouped, every group after the
    groups it imports (Tarjan's strongly connected components, which come out in that order)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    result: list[tuple[str, ...]] = []

    def visit(area: str) -> None:
        index[area] = low[area] = len(index)
        stack.append(area)
        for other in sorted(found[area]):
            if other not in index:
                visit(other)
                low[area] = min(low[area], low[other])
            elif other in stack:
                low[area] = min(low[area], index[other])
        if low[area] == index[area]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == area:
                    break
            result.append(tuple(sorted(group)))

    for area in sorted(found):
        if area not in index:
            visit(area)
    return result


def picture() -> str:
    """One line per group of areas, lowest first: the layer (one above the highest group it
    imports), its areas, and the areas outside it that they import."""
    found = dependencies()
    layer_of: dict[str, int] = {}
    rows = []
    for group in groups(found):
        imported = sorted(set().union(*(found[area] for area in group)) - set(group))
        layer = 1 + max((layer_of[other] for other in imported), default=-1)
        for area in group:
            layer_of[area] = layer
        rows.append((layer, " + ".join(group), ", ".join(imported) or "-"))
    width = max(len(areas) for _layer, areas, _imports in rows)
    lines = [f"layer  {'area':<{width}}  imports"]
    lines += [f"{layer:>5}  {areas:<{width}}  {imports}" for layer, areas, imports in sorted(rows)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(picture() + "\n")
