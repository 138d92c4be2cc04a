"""The layering rules of docs/architecture.md, checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMERCE = ROOT / "commerce"
# The web edge: the application factory, the commands, every area's views, web/ and pages/.
EDGE = {"__init__.py", "cli.py"}


def _is_edge(path: Path) -> bool:
    relative = path.relative_to(COMMERCE)
    return (
        relative.parts[0] in ("web", "pages")
        or relative.name == "views.py"
        or "views" in relative.parts[:-1]
        or str(relative) in EDGE
    )


DOMAIN_MODULES = sorted(path for path in COMMERCE.rglob("*.py") if not _is_edge(path))
SOURCE_MODULES = sorted([*COMMERCE.rglob("*.py"), *(ROOT / "integrations").rglob("*.py")])
# Module-level containers that hold no settings: statements built from code alone, keyed by the
# database kind (or by engine, weakly), the same for every application in the process.
STATEMENT_CACHES = {
    ("commerce/sql.py", "_PREBUILT"),
    ("commerce/db.py", "_WRITER_TURNS"),
}
# Building any of these at import time would tie a module to one deployment's settings.
PER_DEPLOYMENT = {"Settings", "Database", "Deployment", "Passwords", "PasswordHasher", "create_engine", "Client"}
MUTABLE = {"dict", "list", "set", "defaultdict", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary"}


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
    names = {str(path.relative_to(COMMERCE)) for path in DOMAIN_MODULES}
    assert {"customs/writing.py", "inventory/reservations.py", "rebates/claims.py", "sql.py"} <= names
    assert len(DOMAIN_MODULES) >= 90
    assert not names & {"__init__.py", "cli.py", "pages/sessions.py", "web/auth.py", "catalog/views.py"}


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


def _called_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        function = node.func
        return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return None


def _module_state(source: str, relative: str) -> list[str]:
    """What a module keeps at module level that an application could set or fill."""
    tree = ast.parse(source)
    found = [f"global {', '.join(node.names)}" for node in ast.walk(tree) if isinstance(node, ast.Global)]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [target.id for target in targets if isinstance(target, ast.Name)]
        mutable = isinstance(value, ast.Dict | ast.List | ast.Set) or _called_name(value) in MUTABLE
        if mutable and value_is_empty(value):
            found.extend(f"{name} (an empty container)" for name in names if (relative, name) not in STATEMENT_CACHES)
        if _called_name(value) in PER_DEPLOYMENT:
            found.extend(f"{name} = {_called_name(value)}(...)" for name in names)
    return found


def value_is_empty(value: ast.expr) -> bool:
    """An empty literal or a container built with nothing in it: something meant to be filled later."""
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List | ast.Set):
        return not value.elts
    return isinstance(value, ast.Call) and not value.args and not value.keywords


@pytest.mark.parametrize("path", SOURCE_MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_module_keeps_an_applications_state(path):
    assert _module_state(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))) == []


def test_the_module_state_check_finds_what_it_looks_for():
    source = (
        "from argon2 import PasswordHasher\n"
        "_hasher = PasswordHasher()\n"
        "_factory: list = []\n"
        "_clients = dict()\n"
        "TABLE = {'a': 1}\n"
        "def configure():\n"
        "    global _hasher\n"
    )
    assert _module_state(source, "commerce/accounts/passwords.py") == [
        "global _hasher",
        "_hasher = PasswordHasher(...)",
        "_factory (an empty container)",
        "_clients (an empty container)",
    ]
    # The statement caches are known by their module and name.
    assert _module_state("_PREBUILT: dict = {}\n", "commerce/sql.py") == []
    assert _module_state("_PREBUILT: dict = {}\n", "commerce/orders/service.py") == ["_PREBUILT (an empty container)"]


# Simulators are independent witnesses: written from the counterpart's published rules, they use
# nothing of the project's (message builders, field lists, code tables, signing) or of the client
# they judge.
SINGLE_WINDOW_CLIENT = {
    "integrations.customs",
    "integrations.single_window.dxp",
    "integrations.single_window.folders",
    "integrations.single_window.receipts",
}
INDEPENDENT_SIMULATORS = {
    ROOT / "integrations" / "single_window" / "simulator.py": SINGLE_WINDOW_CLIENT,
    ROOT / "integrations" / "single_window" / "office.py": SINGLE_WINDOW_CLIENT,
    ROOT / "integrations" / "single_window" / "office_rules.py": SINGLE_WINDOW_CLIENT,
    ROOT / "integrations" / "single_window" / "office_receipts.py": SINGLE_WINDOW_CLIENT,
    ROOT / "integrations" / "fx" / "simulator.py": {"integrations.fx.client"},
    ROOT / "integrations" / "signing_agent.py": set(),
    ROOT / "integrations" / "douyin" / "simulator.py": {"integrations.douyin.client"},
    ROOT / "integrations" / "douyin" / "simulator_money.py": {"integrations.douyin.client"},
    ROOT / "integrations" / "tiktok_shop" / "simulator.py": {"integrations.tiktok_shop.client"},
    ROOT / "integrations" / "tiktok_shop" / "simulator_money.py": {"integrations.tiktok_shop.client"},
    **{
        ROOT / "integrations" / "shopify" / f"{name}.py": {"integrations.shopify.client"}
        for name in (
            "simulator",
            "simulator_ids",
            "simulator_orders",
            "simulator_payments",
            "simulator_uploads",
            "simulator_webhooks",
        )
    },
    ROOT / "integrations" / "shopify" / "query_cost.py": {"integrations.shopify.client"},
    ROOT / "integrations" / "simulation.py": set(),
    ROOT / "integrations" / "market_store.py": set(),
    ROOT / "integrations" / "market_money.py": set(),
}


@pytest.mark.parametrize("path", list(INDEPENDENT_SIMULATORS), ids=lambda path: str(path.relative_to(ROOT)))
def test_a_simulator_imports_nothing_of_the_project_or_its_client(path):
    client = INDEPENDENT_SIMULATORS[path]
    imported = _imported_modules(path)
    assert (
        sorted(name for name in imported if name.startswith("commerce") or name.endswith(".client") or name in client)
        == []
    )


def test_the_independence_check_sees_a_nested_import(tmp_path):
    probe = tmp_path / "simulator.py"
    probe.write_text("def f():\n    from commerce.customs import messages\n    from integrations.fx.client import X\n")
    assert sorted(_imported_modules(probe)) == ["commerce.customs", "integrations.fx.client"]


STAND_INS = (
    "integrations.simulation",
    "integrations.market_store",
    "integrations.market_money",
    "integrations.stand_ins",
    "integrations.fake",
)


def _is_stand_in(module: str) -> bool:
    """A simulator (or one of its parts, ``simulator_*``), a fake, or what they share."""
    return module in STAND_INS or module.endswith(".fake") or module.rpartition(".")[2].startswith("simulator")


@pytest.mark.parametrize(
    "path",
    [
        path
        for path in SOURCE_MODULES
        if not _is_stand_in(".".join(path.relative_to(ROOT).with_suffix("").parts)) and path.name != "cli.py"
    ],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_production_code_imports_no_fake_or_simulator(path):
    """Simulators and fakes are for demos and tests (``integrations.stand_ins``); the CLI's demo
    commands read them only when they run."""
    assert sorted(name for name in _imported_modules(path) if _is_stand_in(name)) == []


def test_the_architecture_page_shows_the_areas_as_the_code_has_them():
    """docs/architecture.md shows what ``python docs/areas.py`` prints, read from the source now."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("areas", ROOT / "docs" / "areas.py")
    areas = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(areas)
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"```\n{areas.picture()}\n```" in page
