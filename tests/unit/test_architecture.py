"""The layering rules of docs/architecture.md, checked on the source."""

import ast
from pathlib import Path

import pytest

COMMERCE = Path(__file__).resolve().parents[2] / "commerce"
DOMAIN_MODULES = sorted(
    path
    for path in COMMERCE.rglob("*.py")
    if path.name
    in {
        "models.py",
        "service.py",
        "errors.py",
        "tasks.py",
        "reactions.py",
        "presenter.py",
        "imports.py",
        "import_files.py",
    }
    and "web" not in path.parts
)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_modules_exist():
    assert len(DOMAIN_MODULES) >= 15


@pytest.mark.parametrize("path", DOMAIN_MODULES, ids=lambda path: str(path.relative_to(COMMERCE)))
def test_domain_does_not_know_flask_or_the_web_edge(path):
    imported = _imported_modules(path)
    offending = sorted(
        name
        for name in imported
        if name == "flask"
        or name.startswith(("flask.", "flask_", "commerce.web", "werkzeug"))
        or name.endswith(".views")
    )
    assert offending == []


def test_only_config_reads_the_environment():
    readers = sorted(
        str(path.relative_to(COMMERCE))
        for path in COMMERCE.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text(encoding="utf-8")
    )
    assert readers == []
