"""Template tags only word and format (issue 14): no query, and no question of who may
see what. Those belong to selectors and ``care/access.py``, asked by the view or a
presenter, where a page's queries can be counted and its access decisions tested.

Pure AST over ``web/templatetags``: an import of the access module, of a selectors module
or of a model manager call (``X.objects``), or a queryset call on anything, fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

TAGS = Path(__file__).resolve().parents[2] / "src" / "alliance" / "web" / "templatetags"

FORBIDDEN_MODULES = ("alliance.care.access",)
# The policy's vocabulary (which part, which sharing choice) may be named; its functions not.
POLICY_TYPES = frozenset({"alliance.care.access.Part", "alliance.care.access.Sharing"})
FORBIDDEN_MODULE_PARTS = ("selectors",)
QUERY_METHODS = frozenset(
    {
        "filter",
        "exclude",
        "select_related",
        "prefetch_related",
        "annotate",
        "aggregate",
        "values_list",
    }
)


def _forbidden(name: str) -> bool:
    if any(name == module or name.startswith(module + ".") for module in FORBIDDEN_MODULES):
        return True
    return any(part in name.split(".") for part in FORBIDDEN_MODULE_PARTS)


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                if name in POLICY_TYPES:
                    continue
                if _forbidden(name):
                    found.append(f"{path.name}:{node.lineno} imports {name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _forbidden(alias.name):
                    found.append(f"{path.name}:{node.lineno} imports {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{path.name}:{node.lineno} uses a model manager")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "register")
        ):
            found.append(f"{path.name}:{node.lineno} calls .{node.func.attr}()")
    return found


def test_template_tags_run_no_query_and_ask_no_access_question() -> None:
    paths = sorted(TAGS.glob("*.py"))
    assert len(paths) >= 5
    findings = [finding for path in paths for finding in _findings(path)]
    assert findings == []


def test_the_check_catches_a_query_and_an_access_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from alliance.care import access\n"
        "from alliance.plans.selectors import current\n"
        "from alliance.care.access import same_person\n"
        "def tag(v):\n    return v.goals.filter(done=True)\n"
        "def other(v):\n    return Goal.objects.all()\n",
        encoding="utf-8",
    )
    found = _findings(bad)
    assert any(f.endswith("imports alliance.care.access") for f in found)
    assert any("same_person" in f for f in found)
    assert any("selectors" in f for f in found)
    assert any("model manager" in f for f in found)
    assert any(".filter()" in f for f in found)
