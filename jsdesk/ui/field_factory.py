"""Choose the input for a variable from its type, source, domain and widget hint."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from jsdesk.domain.code_domains import MUNICIPALITIES, OSLO_BYDELER, choice_domain
from jsdesk.domain.period import Period
from jsdesk.forms import Role
from jsdesk.ui.fields import (
    RADIO_MAX_CODES,
    ChoiceField,
    ComboField,
    DateField,
    Field,
    FnrField,
    MultiCodeField,
    NumberField,
    RadioField,
    ReadOnlyField,
    TextField,
)
from jsdesk.ui.group_table import GroupTableField

if TYPE_CHECKING:
    from jsdesk.forms import Variable


def domain_choices(
    variable: Variable,
    period: Period | None = None,
    *,
    installation: str | None = None,
    bydeler: Collection[str] | None = None,
) -> dict[str, str] | None:
    """What the caseworker may pick for a string variable with a named domain.

    Asked of the domain object for the participation's ``period`` (today when not
    given); None when the domain has no choices (or the variable no domain). The
    project municipality (``role: municipality``) of an installation offers only the
    numbers the installation's municipality (``installation``) had in the period, and
    the bydel only the ``bydeler`` a shared database's login is granted (when given).
    """

    found = choice_domain(variable.domain)
    if found is None:
        return None
    chosen = period or Period.day(date.today())
    if variable.role is Role.MUNICIPALITY and found is MUNICIPALITIES and installation:
        offered = MUNICIPALITIES.choices(chosen, installation=installation)
    else:
        offered = found.choices(chosen)
    if found is OSLO_BYDELER and bydeler:
        offered = tuple(choice for choice in offered if choice.value in bydeler)
    return {choice.value: choice.label for choice in offered}


def make_field(
    variable: Variable, label_text: str, parent: QWidget, *, derived: bool = False
) -> Field:
    """``derived``: the form computes the value (a ``derive`` rule), so it is shown only."""
    kind = str(variable.type)
    if kind == "group":
        return GroupTableField(variable, label_text, parent)
    if derived or not variable.is_input or kind == "uuid":
        return ReadOnlyField(variable, label_text, parent)
    if kind == "code":
        hint = variable.widget
        use_radio = hint == "radio" or (hint != "combo" and len(variable.codes) <= RADIO_MAX_CODES)
        return (RadioField if use_radio else ComboField)(variable, label_text, parent)
    if kind == "multicode":
        return MultiCodeField(variable, label_text, parent)
    if kind == "date":
        return DateField(variable, label_text, parent)
    if kind in ("integer", "year"):
        return NumberField(variable, label_text, parent)
    if kind == "fnr":
        return FnrField(variable, label_text, parent)
    choices = domain_choices(variable)
    if choices is not None:
        return ChoiceField(variable, label_text, parent, choices)
    return TextField(variable, label_text, parent)
