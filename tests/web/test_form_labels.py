"""A field's label never says "(optional)" itself: the form's field template adds it to
every field that is not required, so a label that says it too reads "(optional)
(optional)" (seen on the client's reply to a summary)."""

from __future__ import annotations

import importlib
import pkgutil

from django import forms
from django.utils import translation

import alliance


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for module_info in pkgutil.walk_packages(alliance.__path__, "alliance."):
        if "forms" not in module_info.name.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__name__}"] = value
    return list(found.values())


def test_no_label_says_optional_itself() -> None:
    classes = _form_classes()
    assert len(classes) >= 10
    said = []
    for language in ("en", "es"):
        with translation.override(language):
            for form_class in classes:
                for name, field in getattr(form_class, "base_fields", {}).items():
                    label = str(field.label or "")
                    if "(optional)" in label or "(opcional)" in label:
                        said.append(f"{form_class.__name__}.{name} ({language}): {label}")
    assert said == []
