"""Access is decided in one place (STYLE.md 3, issue 14): no role comparison and no
ownership comparison anywhere in ``src/alliance`` but ``care/access.py``.

A role comparison compares ``.role`` or a ``Role.X``, or asks membership of a ``*_ROLES``
set. An ownership comparison compares, with ==, != or in, a person's id on a record
(``.client_id``, ``.therapist_id``… ) or the ``.pk``/``.id`` of a variable that names a
person (``user``, ``actor``, ``request.user``…). Comparisons between two things that are
not people (``first.pk == response.pk``) are not access decisions and pass. Everything
else asks ``alliance.care.access`` (``access.is_client(user)``, ``access.audience(…)``,
``access.require_*``…). Pure AST: nothing is imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "alliance"
ACCESS_MODULE = Path("care/access.py")

OWNER_ATTRIBUTES = (
    "client_id",
    "therapist_id",
    "supervisor_id",
    "author_id",
    "sender_id",
    "actor_id",
)
PERSON_NAMES = frozenset({"user", "actor", "viewer", "client", "person", "me"})
OWNERSHIP_OPERATORS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

# (file, enclosing function): the one place outside the access module allowed to compare a
# role. The model defines what each role is, beneath every app (accounts sits under care,
# so its own services cannot ask care/access.py); ``access.is_client`` and the others ask
# it, so that templates (``user.is_client``), accounts and the policy share one definition.
ROLE_DEFINITIONS = (
    "is_client",
    "is_therapist",
    "is_supervisor",
    "is_admin",
    "is_clinician",
    "is_staff_member",
    "is_client_role",
    "is_staff_role",
    "same_person",
)
EXCEPTIONS = frozenset((Path("accounts/models.py"), name) for name in ROLE_DEFINITIONS)


def _operands(node: ast.Compare) -> Iterator[ast.expr]:
    """Both sides, and the items of a tuple/list/set on either side."""
    for operand in (node.left, *node.comparators):
        yield operand
        if isinstance(operand, ast.Tuple | ast.List | ast.Set):
            yield from operand.elts


def _is_role(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Attribute) and expr.attr == "role":
        return True
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        return expr.value.id == "Role"
    return isinstance(expr, ast.Name) and (expr.id == "role" or expr.id.endswith("_ROLES"))


def _names_person(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id in PERSON_NAMES
    # request.user, self.user, self.request.user…
    return isinstance(expr, ast.Attribute) and expr.attr == "user"


def _is_ownership(expr: ast.expr) -> bool:
    if not isinstance(expr, ast.Attribute):
        return False
    if expr.attr.endswith(OWNER_ATTRIBUTES):
        return True
    return expr.attr in ("pk", "id") and _names_person(expr.value)


def _offences(tree: ast.AST) -> Iterator[tuple[int, str, str]]:
    """(line, kind, enclosing function) for each comparison that decides access."""

    def walk(node: ast.AST, function: str) -> Iterator[tuple[int, str, str]]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Compare):
            operands = list(_operands(node))
            if any(_is_role(o) for o in operands):
                yield node.lineno, "role comparison", function
            elif any(isinstance(op, OWNERSHIP_OPERATORS) for op in node.ops) and any(
                _is_ownership(o) for o in operands
            ):
                yield node.lineno, "ownership comparison", function
        if isinstance(node, ast.Match) and _is_role(node.subject):
            yield node.lineno, "match on a role", function
        for child in ast.iter_child_nodes(node):
            yield from walk(child, function)

    yield from walk(tree, "")


def _offenders() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if "migrations" in relative.parts or relative == ACCESS_MODULE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, kind, function in _offences(tree):
            if (relative, function) in EXCEPTIONS:
                continue
            found.append(f"src/alliance/{relative}:{line}: {kind} (ask alliance.care.access)")
    return found


def test_access_is_decided_only_in_the_access_module() -> None:
    offenders = _offenders()
    assert not offenders, "\n".join(offenders)


def _offences_in(source: str) -> list[str]:
    return [kind for _, kind, _ in _offences(ast.parse(source))]


def test_the_walk_finds_each_kind_of_comparison() -> None:
    assert _offences_in("user.role == Role.CLIENT") == ["role comparison"]
    assert _offences_in("x = Role.THERAPIST != r") == ["role comparison"]
    assert _offences_in("if actor.role in STAFF_ROLES: pass") == ["role comparison"]
    assert _offences_in("ok = role in (Role.THERAPIST, Role.SUPERVISOR)") == ["role comparison"]
    assert _offences_in("match user.role:\n    case _: pass") == ["match on a role"]
    assert _offences_in("entry.episode.client_id == actor.pk") == ["ownership comparison"]
    assert _offences_in("actor.pk != thing.author_id") == ["ownership comparison"]
    assert _offences_in("request.user.pk in ids") == ["ownership comparison"]
    assert _offences_in("viewer.id in (e.therapist_id, e.supervisor_id)") == [
        "ownership comparison"
    ]


def test_the_walk_passes_comparisons_that_are_not_about_people() -> None:
    assert _offences_in("first.pk == response.pk") == []
    assert _offences_in("e.pk != episode.pk") == []
    assert _offences_in("episode.supervisor_id is not None") == []
    assert _offences_in("User.objects.filter(role=Role.CLIENT)") == []
