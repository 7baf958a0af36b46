"""The rule engine: what is enabled, locked, required, derived and wrong in a record.

``evaluate`` runs on every keystroke in the UI, so everything that does not
depend on the record (value parsers, compiled expressions, messages, state
explanations) is prepared once per form by ``prepare`` and kept on the form.

One evaluation, top to bottom, one function per step:

1. ``_report_unknown_keys``: keys that are not variables → UNKNOWN_VARIABLE;
2. ``_coerce_values``: every given value is type-checked (``values.coercer``);
3. ``_dates_and_stage``: reference date = the start date (role ``start``; not
   before the register opened; today when missing or invalid); period = reference
   date to the end date (role ``end``) or to today while active; stage = avsluttet
   once any value of a part that closes the record is given;
4. ``_check_values``: applicability on the reference date, then code lists and
   the domain objects (asked about the period);
5. ``_derive_values``: derive rules (person_id, fodselsar, kommunenavn),
   mismatches reported;
6. ``_apply_enable_rules`` and ``_report_given_values``: enable rules lock fields
   (a locked or not applicable field must be empty);
7. ``_states_and_required``: each variable's state, require rules, missing
   required values → REQUIRED;
8. ``_run_checks`` and ``_check_groups``: check rules, once per group entry for
   group fields;
9. ``_result``: findings sorted by the variable's place in the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, cast

from jsdesk.domain.period import Period
from jsdesk.forms.model import (
    INPUT_SOURCES,
    FormDefinition,
    Importance,
    Role,
    Rule,
    RuleKind,
    Source,
    Stage,
    Variable,
    VarType,
)
from jsdesk.forms.model import Expression as FormExpression
from jsdesk.rules.explain import Explainer
from jsdesk.rules.expr import Env, Expression, Node
from jsdesk.rules.findings import Finding, FindingCode, Severity, VariableState

if TYPE_CHECKING:
    from jsdesk.domain.fnr import PersonKey

from jsdesk.rules.values import (
    Coercer,
    Context,
    Problem,
    ValueChecker,
    coercer,
    describe_json,
    is_unanswered,
    value_checker,
)

_CACHE_KEY = "jsdesk.rules.engine"
_UNKNOWN_POSITION = 1_000_000

_SOURCE_TEXT = {
    Source.FREG: "Hentes av registeret fra Folkeregisteret (FREG); fylles ikke ut her.",
    Source.PAD: "Hentes av registeret fra PAD (Norskprøven); fylles ikke ut her.",
    Source.SYSTEM: "Beregnes av registeret; fylles ikke ut her.",
}


# Values the municipality does not own (FREG, PAD) never block: every finding on them
# is a warning that needs no acceptance and says where to check the value.
_REGISTER_HINT = {
    Source.FREG: "Kontroller opplysningene fra Folkeregisteret.",
    Source.PAD: "Kontroller prøveresultatet fra PAD.",
}


_NOT_APPLICABLE = VariableState(False, False, False)
_LOCKED = VariableState(True, False, False)
_REQUIRED = VariableState(True, True, True)
_OPTIONAL = VariableState(True, True, False)


@dataclass(frozen=True, slots=True)
class Evaluation:
    stage: Stage
    findings: tuple[Finding, ...]
    derived: dict[str, object]
    reference_date: date
    states: dict[str, VariableState]
    period: Period | None = None  # start to end (or today); None without a start date

    @property
    def valid(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def warnings_to_accept(self) -> tuple[Finding, ...]:
        """Warnings the caseworker accepts with a reason (not those on register data)."""
        return tuple(f for f in self.findings if f.needs_acceptance)

    def findings_for(self, variable: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.variable == variable)


@dataclass(slots=True)
class _Check:
    rule: Rule
    when: Expression | None
    assertion: Expression
    names: frozenset[str]
    entry_names: frozenset[str]
    outer_names: frozenset[str]
    severity: Severity
    code: FindingCode
    message: str


@dataclass(slots=True)
class _VarPlan:
    var: Variable
    name: str
    position: int
    coerce: Coercer
    check: ValueChecker | None
    closes_record: bool
    required_in: frozenset[Stage]
    base_required: bool
    row_required: bool = False  # a group field every entry must have, whatever its source
    register_hint: str = ""  # FREG/PAD: findings are warnings ending with this hint
    enable: Rule | None = None
    requires: list[tuple[Expression, str]] = field(default_factory=list)
    derive: Expression | None = None  # the derive rule's value
    derive_sources: str = ""
    derive_fix: str = ""
    locked_message: str = ""
    unexpected_message: str = ""  # enable rule with locks: false
    not_applicable_message: str = ""
    required_message: str = ""
    state_na: VariableState = _NOT_APPLICABLE
    state_locked: VariableState = _LOCKED
    state_required: VariableState = _REQUIRED
    state_optional: VariableState = _OPTIONAL
    state_stage_optional: VariableState = _OPTIONAL
    fields: list[_VarPlan] = field(default_factory=list)
    field_names: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Plan:
    form: FormDefinition
    top: list[_VarPlan]
    by_name: dict[str, _VarPlan]
    enables: list[tuple[_VarPlan, Expression]]
    derives: list[_VarPlan]
    checks: list[tuple[_VarPlan, _Check]]
    group_checks: dict[str, list[tuple[_VarPlan, _Check]]]
    start_name: str | None  # the variables with role start / end (see forms.model.Role)
    end_name: str | None
    closing: list[str]
    groups: list[_VarPlan]
    register_hints: dict[str, str]
    inapplicable: dict[date, frozenset[str]] = field(default_factory=dict)
    unknown_start: dict[Period, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)

    def applicability_without_start(self, span: Period) -> tuple[frozenset[str], frozenset[str]]:
        """(not applicable on any day of ``span``, applicable on only some days of it).

        Without a start date the day that decides applicability is not known: a
        variable valid on some of the days a start could be is open and optional (it
        may apply once the start is known), one valid on none of them is not applicable.
        """
        found = self.unknown_start.get(span)
        if found is None:
            never = frozenset(
                n for n, vp in self.by_name.items() if not span.overlaps(*_validity(vp.var))
            )
            partly = frozenset(
                n
                for n, vp in self.by_name.items()
                if n not in never
                and not (vp.var.applies_on(span.start) and vp.var.applies_on(span.end))
            )
            found = (never, partly)
            if len(self.unknown_start) > 64:
                self.unknown_start.clear()
            self.unknown_start[span] = found
        return found

    explainer: Explainer | None = None

    def inapplicable_on(self, day: date) -> frozenset[str]:
        """Names of variables (group fields included) not valid on ``day``; cached."""
        names = self.inapplicable.get(day)
        if names is None:
            names = frozenset(n for n, vp in self.by_name.items() if not vp.var.applies_on(day))
            if len(self.inapplicable) > 4096:
                self.inapplicable.clear()
            self.inapplicable[day] = names
        return names


# ------------------------------------------------------------------ preparing


def prepare(form: FormDefinition) -> None:
    """Precompile ``form`` for evaluation (done by ``load_form``; idempotent)."""
    _plan(form)


def _plan(form: FormDefinition) -> _Plan:
    plan = form.cache.get(_CACHE_KEY)
    if plan is None:
        plan = _build_plan(form)
        form.cache[_CACHE_KEY] = plan
    return cast(_Plan, plan)


def dependencies(form: FormDefinition) -> dict[str, frozenset[str]]:
    """For each variable, the variables whose answers decide whether it is open or required:
    the conditions of its enable and require rules, and the start date (the variable with
    ``role: start``) when the variable is valid for only part of the form's period."""
    start = _role_name(form, Role.START)
    found: dict[str, set[str]] = {}
    for rule in form.rules:
        if rule.kind in (RuleKind.ENABLE, RuleKind.REQUIRE) and rule.when is not None:
            found.setdefault(rule.variable, set()).update(rule.when.names)
    for variable in form.variables:
        partial = variable.valid_from > form.valid_from or (
            variable.valid_to is not None
            and (form.valid_to is None or variable.valid_to < form.valid_to)
        )
        if partial and start is not None and variable.name != start:
            found.setdefault(variable.name, set()).add(start)
    return {name: frozenset(names - {name}) for name, names in found.items()}


def _compiled(expression: FormExpression | None) -> Expression | None:
    """The compiled expression behind a rule's field (``rule_parsing`` makes them)."""
    if expression is None:
        return None
    assert isinstance(expression, Expression), "rule expressions come from jsdesk.rules"
    return expression


def _date_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def _var_plan(form: FormDefinition, variable: Variable, position: int) -> _VarPlan:
    part = form.part(variable.part) if any(p.number == variable.part for p in form.parts) else None
    required_in = part.required_in if part is not None else frozenset()
    plan = _VarPlan(
        var=variable,
        name=variable.name,
        position=position,
        coerce=coercer(variable),
        check=value_checker(variable),
        closes_record=part.closes_record if part is not None else False,
        required_in=required_in,
        base_required=(
            variable.importance is Importance.OBLIGATORISK
            and variable.source in INPUT_SOURCES
            and variable.type is not VarType.GROUP
        ),
        row_required=(
            variable.group is not None and variable.importance is Importance.OBLIGATORISK
        ),
        register_hint=_REGISTER_HINT.get(variable.source, ""),
    )
    label = f"«{variable.label}»"
    period = f"fra {_date_text(variable.valid_from)}"
    if variable.valid_to is not None:
        period += f" til og med {_date_text(variable.valid_to)}"
    plan.not_applicable_message = (
        f"{label} gjelder bare for deltakelser med oppstart {period}. Fjern verdien."
    )
    plan.state_na = VariableState(
        False, False, False, f"Gjelder ikke: {label} gjelder bare for oppstart {period}."
    )
    plan.required_message = (
        f"Velg minst ett alternativ i {label}."
        if variable.type is VarType.MULTICODE
        else f"{label} må fylles ut."
    )
    return plan


def _build_plan(form: FormDefinition) -> _Plan:
    explain = Explainer(form)
    top: list[_VarPlan] = []
    by_name: dict[str, _VarPlan] = {}
    position = 0
    for variable in form.variables:
        plan = _var_plan(form, variable, position)
        position += 1
        top.append(plan)
        by_name[variable.name] = plan
        for sub in variable.fields:
            sub_plan = _var_plan(form, sub, position)
            position += 1
            plan.fields.append(sub_plan)
            by_name[sub.name] = sub_plan
        plan.field_names = frozenset(sub.name for sub in variable.fields)

    enables: list[tuple[_VarPlan, Expression]] = []
    derives: list[_VarPlan] = []
    checks: list[tuple[_VarPlan, _Check]] = []
    group_checks: dict[str, list[tuple[_VarPlan, _Check]]] = {}
    for rule in form.rules:
        target = by_name[rule.variable]
        when = _compiled(rule.when)
        value = _compiled(rule.value)
        assertion = _compiled(rule.assertion)
        label = f"«{target.var.label}»"
        if rule.kind is RuleKind.ENABLE and when is not None:
            target.enable = rule
            if not rule.locks:
                why_not = explain.why_not(when.node, when.source)
                target.unexpected_message = (
                    f"{label} er fylt ut selv om {why_not}. Kontroller svarene, eller godta "
                    "advarselen."
                )
            if rule.locked_reason:
                reason = rule.locked_reason.strip()
                target.locked_message = f"{label} skal være tom. {reason} Fjern verdien."
            else:
                why_not = explain.why_not(when.node, when.source)
                reason = f"Låst fordi {why_not}."
                target.locked_message = f"{label} skal være tom fordi {why_not}. Fjern verdien."
            target.state_locked = VariableState(True, False, False, reason)
            if rule.required:
                why = explain.why(when.node, when.source)
                target.required_message = _required_because(target, why)
                target.state_required = VariableState(
                    True, True, True, f"Obligatorisk fordi {why}."
                )
            enables.append((target, when))
        elif rule.kind is RuleKind.REQUIRE and when is not None:
            why = explain.why(when.node, when.source)
            target.requires.append((when, why))
        elif rule.kind is RuleKind.DERIVE and value is not None:
            target.derive = value
            target.base_required = False  # filled in automatically, never typed
            sources = sorted(value.names, key=lambda n: by_name[n].position)
            target.derive_sources = " og ".join(explain.label(name) for name in sources)
            target.derive_fix = " eller ".join(explain.label(name) for name in sources)
            derives.append(target)
        elif rule.kind is RuleKind.CHECK and assertion is not None:
            names = assertion.names | (when.names if when else frozenset())
            group_fields = by_name[target.var.group].field_names if target.var.group else None
            entry_names = names & group_fields if group_fields else frozenset()
            check = _Check(
                rule=rule,
                when=when,
                assertion=assertion,
                names=names,
                entry_names=entry_names,
                outer_names=names - entry_names,
                severity=Severity(rule.severity),
                code=FindingCode(rule.code or FindingCode.RULE_FAILED),
                message=_format_message(rule.message or "", target.var, form),
            )
            if target.var.group is not None:
                group_checks.setdefault(target.var.group, []).append((target, check))
            else:
                checks.append((target, check))

    for plan in by_name.values():
        variable = plan.var
        source_text = _SOURCE_TEXT.get(variable.source)
        if plan.derive is not None:
            text = f"Fylles ut automatisk fra {plan.derive_sources}."
            plan.state_optional = VariableState(True, True, False, text)
        elif source_text is not None:
            plan.state_optional = VariableState(True, True, False, source_text)
        if plan.base_required and Stage.AVSLUTTET in plan.required_in:
            plan.state_stage_optional = VariableState(
                True, True, False, "Obligatorisk når deltakelsen avsluttes (del 4 fylles ut)."
            )
        else:
            plan.state_stage_optional = plan.state_optional

    return _Plan(
        form=form,
        top=top,
        by_name=by_name,
        enables=enables,
        derives=derives,
        checks=checks,
        group_checks=group_checks,
        start_name=_role_name(form, Role.START),
        end_name=_role_name(form, Role.END),
        closing=[p.name for p in top if p.closes_record],
        groups=[p for p in top if p.fields],
        register_hints={n: p.register_hint for n, p in by_name.items() if p.register_hint},
        explainer=explain,
    )


def _required_now(
    plan: _Plan,
    vp: _VarPlan,
    node: Node,
    values: Mapping[str, object],
    message: str,
    state: VariableState,
) -> tuple[str, VariableState]:
    """The required message and state naming only the answers that make the field required
    in this record (the prepared ones name every answer that could)."""
    narrowed = plan.explainer.why_now(node, values) if plan.explainer else None
    if narrowed is None:
        return message, state
    return _required_because(vp, narrowed), VariableState(
        True, True, True, f"Obligatorisk fordi {narrowed}."
    )


def _validity(variable: Variable) -> tuple[date, date | None]:
    return variable.valid_from, variable.valid_to


def _role_name(form: FormDefinition, role: Role) -> str | None:
    variable = form.role_variable(role)
    return variable.name if variable is not None else None


def _required_because(plan: _VarPlan, why: str) -> str:
    label = f"«{plan.var.label}»"
    if plan.var.type is VarType.MULTICODE:
        return f"Velg minst ett alternativ i {label}, fordi {why}."
    return f"{label} må fylles ut fordi {why}."


def _format_message(template: str, variable: Variable, form: FormDefinition) -> str:
    def label_of(name: str) -> str:
        return form.variable(name).label if form.has_variable(name) else name

    text = " ".join(template.split()).replace("{label}", variable.label)
    while "{label:" in text:
        start = text.index("{label:")
        end = text.index("}", start)
        text = text[:start] + label_of(text[start + 7 : end]) + text[end + 1 :]
    return text


# ----------------------------------------------------------------- evaluating


class _Collector:
    __slots__ = ("hints", "items")

    def __init__(self, hints: Mapping[str, str] | None = None) -> None:
        self.items: list[tuple[int, int, int, Finding]] = []
        self.hints = hints or {}

    def add(
        self,
        position: int,
        variable: str,
        code: FindingCode,
        message: str,
        *,
        index: int | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        hint = self.hints.get(variable)
        incomplete_row = code is FindingCode.REQUIRED and index is not None
        if hint is not None and not incomplete_row:
            if hint not in message:
                message = f"{message} {hint}"
            finding = Finding(variable, index, Severity.WARNING, code, message, True)
        else:
            finding = Finding(variable, index, severity, code, message)
        order = -1 if index is None else index
        self.items.append((position, order, len(self.items), finding))

    def findings(self) -> tuple[Finding, ...]:
        self.items.sort(key=lambda item: item[:3])
        return tuple(item[3] for item in self.items)


@dataclass(frozen=True, slots=True)
class _Moment:
    """What the record's dates decide for the whole evaluation.

    ``reference`` is the start date (not before the register opened; today when the
    start is missing or invalid). ``period`` runs from it to the end date, or to today
    while the participation is active. ``codes_over`` is the span code lists and domain
    objects are asked about: the start day, or every day a start could be when it is
    missing. ``inapplicable`` names the variables not valid then, ``uncertain`` those
    valid on only some of the days a missing start could be (open and optional).
    """

    reference: date
    period: Period
    has_start: bool
    stage: Stage
    inapplicable: frozenset[str]
    uncertain: frozenset[str]
    context: Context


def evaluate(
    form: FormDefinition,
    record: Mapping[str, object],
    *,
    allow_synthetic: bool = False,
    today: date | None = None,
    installation: str | None = None,
    person_key: PersonKey | None = None,
) -> Evaluation:
    """Evaluate ``record`` against ``form``; never raises on any JSON-like input.

    ``installation`` is the kommunenummer of the installation the record belongs to
    (``Settings.kommunenummer``): the variable with ``role: municipality`` must then be
    one of the numbers that municipality had during the participation
    (``OTHER_MUNICIPALITY``). Without it (``jsdesk validate`` without ``--kommune``)
    any number in force is accepted.

    ``person_key`` is the installation's key for the derived person id; without it
    the person id is not derived (None) and a given one is not checked.
    """
    plan = _plan(form)
    today = today or date.today()
    out = _Collector(plan.register_hints)
    data: object = record  # callers may pass any JSON value despite the annotation
    if not isinstance(data, Mapping):
        _report_not_an_object(data, out)
        return _result(plan, Stage.AKTIV, out, {}, max(today, form.register_opened), {})

    _report_unknown_keys(plan, record, out)
    typed, given, pending = _coerce_values(plan, record)
    moment = _dates_and_stage(plan, record, typed, today, allow_synthetic, installation)
    values, not_applicable = _check_values(given, typed, pending, moment)
    env = Env(
        values, today, period=moment.period if moment.has_start else None, person_key=person_key
    )
    derived = _derive_values(plan, values, env, out)
    locked, unexpected = _apply_enable_rules(plan, values, env)
    _report_given_values(given, pending, not_applicable, locked, unexpected, out)
    given_names = {vp.name for vp in given}
    states = _states_and_required(plan, moment, values, env, locked, unexpected, given_names, out)
    _run_checks(plan, values, env, out)
    _check_groups(plan, typed, locked, moment, env, states, out)
    period = moment.period if moment.has_start else None
    return _result(plan, moment.stage, out, derived, moment.reference, states, period)


def _report_not_an_object(data: object, out: _Collector) -> None:
    out.add(
        _UNKNOWN_POSITION,
        "",
        FindingCode.NOT_AN_OBJECT,
        f"En deltakelse må være et JSON-objekt med variabelnavn som nøkler, men er "
        f"{describe_json(data)}.",
    )


def _report_unknown_keys(plan: _Plan, record: Mapping[str, object], out: _Collector) -> None:
    """Keys that are not top-level variables of the form → UNKNOWN_VARIABLE."""
    for key in record:
        known = plan.by_name.get(key) if isinstance(key, str) else None
        if known is None or known.var.group is not None:
            out.add(
                _UNKNOWN_POSITION,
                str(key),
                FindingCode.UNKNOWN_VARIABLE,
                f"«{key}» er ikke en variabel i skjemaet {plan.form.version}. "
                "Fjern feltet eller rett navnet.",
            )


def _coerce_values(
    plan: _Plan, record: Mapping[str, object]
) -> tuple[dict[str, object], list[_VarPlan], dict[str, list[Problem]]]:
    """Type-check every given value: (typed values, the given variables, type problems)."""
    typed: dict[str, object] = {}
    given: list[_VarPlan] = []
    pending: dict[str, list[Problem]] = {}
    get = record.get
    for vp in plan.top:
        raw = get(vp.name)
        if raw is None or ((raw.__class__ is str or raw.__class__ is list) and not raw):
            continue
        given.append(vp)
        value, problem = vp.coerce(raw)
        if problem is not None:
            pending[vp.name] = [(*problem, Severity.ERROR)]
        else:
            typed[vp.name] = value
    return typed, given, pending


def _dates_and_stage(
    plan: _Plan,
    record: Mapping[str, object],
    typed: Mapping[str, object],
    today: date,
    allow_synthetic: bool,
    installation: str | None,
) -> _Moment:
    """The reference date, period, stage and applicability the record's dates decide.

    The stage is avsluttet once any value of a part that closes the record is given.
    """
    form = plan.form
    start = typed.get(plan.start_name) if plan.start_name else None
    reference = start if isinstance(start, date) else today
    if reference < form.register_opened:
        reference = form.register_opened
    end = typed.get(plan.end_name) if plan.end_name else None
    period = Period.participation(reference, end if isinstance(end, date) else None, today)
    stage = Stage.AKTIV
    for name in plan.closing:
        if not is_unanswered(record.get(name)):
            stage = Stage.AVSLUTTET
            break
    has_start = isinstance(start, date)
    if has_start:
        inapplicable, uncertain = plan.inapplicable_on(reference), frozenset[str]()
        codes_over = Period.day(reference)
    else:
        codes_over = Period(form.register_opened, max(today, form.register_opened))
        inapplicable, uncertain = plan.applicability_without_start(codes_over)
    context = Context(reference, today, allow_synthetic, period, codes_over, installation or None)
    return _Moment(reference, period, has_start, stage, inapplicable, uncertain, context)


def _check_values(
    given: list[_VarPlan],
    typed: Mapping[str, object],
    pending: dict[str, list[Problem]],
    moment: _Moment,
) -> tuple[dict[str, object], set[str]]:
    """Applicability on the reference date, then code lists and the domain objects
    (asked about the period): (the values rules may use, the given variables that do not
    apply). Problems found are added to ``pending``."""
    values: dict[str, object] = {}
    not_applicable: set[str] = set()
    for vp in given:
        name = vp.name
        if name in moment.inapplicable:
            not_applicable.add(name)
            continue
        if name not in typed:
            continue
        value = typed[name]
        if vp.check is not None:
            value, problems = vp.check(value, moment.context)
            if problems:
                pending[name] = problems
            if value is None:
                continue
        if not vp.fields:  # a group's entries are checked once locks are known
            values[name] = value
    return values, not_applicable


def _derive_values(
    plan: _Plan, values: dict[str, object], env: Env, out: _Collector
) -> dict[str, object]:
    """Run the derive rules into ``values``; a given value that differs is reported."""
    derived: dict[str, object] = {}
    for vp in plan.derives:
        name = vp.var.name
        expression = vp.derive
        assert expression is not None
        result = expression.run(env)
        derived[name] = result
        if result is None:
            continue
        if name in values and values[name] != result:
            out.add(
                vp.position, name, FindingCode.DERIVED_MISMATCH, _mismatch(vp, values[name], result)
            )
        values[name] = result
    return derived


def _apply_enable_rules(
    plan: _Plan, values: dict[str, object], env: Env
) -> tuple[set[str], set[str]]:
    """(locked variables, variables whose value is unexpected but allowed).

    A locked variable's value is taken out of ``values``; an enable rule with
    ``locks: false`` only warns about a value given while it is off.
    """
    locked: set[str] = set()
    unexpected: set[str] = set()
    for vp, when in plan.enables:
        if not when.run(env):
            if vp.unexpected_message:
                unexpected.add(vp.var.name)
                continue
            locked.add(vp.var.name)
            values.pop(vp.var.name, None)
    return locked, unexpected


def _report_given_values(
    given: list[_VarPlan],
    pending: Mapping[str, list[Problem]],
    not_applicable: set[str],
    locked: set[str],
    unexpected: set[str],
    out: _Collector,
) -> None:
    """A value given where the variable does not apply or is locked must be removed;
    otherwise its type and value problems are reported."""
    for vp in given:
        name = vp.name
        if name in not_applicable:
            out.add(vp.position, name, FindingCode.NOT_APPLICABLE, vp.not_applicable_message)
        elif name in locked:
            out.add(vp.position, name, FindingCode.LOCKED, vp.locked_message)
        else:
            for code, message, severity in pending.get(name, ()):
                out.add(vp.position, name, code, message, severity=severity)
            if name in unexpected:
                out.add(
                    vp.position,
                    name,
                    FindingCode.UNEXPECTED_VALUE,
                    vp.unexpected_message,
                    severity=Severity.WARNING,
                )


def _states_and_required(
    plan: _Plan,
    moment: _Moment,
    values: Mapping[str, object],
    env: Env,
    locked: set[str],
    unexpected: set[str],
    given_names: set[str],
    out: _Collector,
) -> dict[str, VariableState]:
    """Each top-level variable's state; a required variable without a value → REQUIRED."""
    states: dict[str, VariableState] = {}
    for vp in plan.top:
        name = vp.name
        if name in moment.inapplicable:
            states[name] = vp.state_na
            continue
        if name in locked:
            states[name] = vp.state_locked
            continue
        if name in moment.uncertain or name in unexpected:
            states[name] = vp.state_optional
            continue
        required = False
        state = vp.state_optional
        message = vp.required_message
        if vp.enable is not None and vp.enable.required:
            required, state = True, vp.state_required
            enabled_when = _compiled(vp.enable.when)
            if enabled_when is not None:
                message, state = _required_now(plan, vp, enabled_when.node, values, message, state)
        elif vp.base_required:
            if moment.stage in vp.required_in:
                required, state = True, vp.state_required
            else:
                state = vp.state_stage_optional
        if not required:
            for when, why in vp.requires:
                if when.run(env):
                    required = True
                    narrowed = plan.explainer.why_now(when.node, values) if plan.explainer else None
                    why = narrowed or why
                    message = _required_because(vp, why)
                    state = VariableState(True, True, True, f"Obligatorisk fordi {why}.")
                    break
        states[name] = state
        if required and name not in given_names:
            out.add(vp.position, name, FindingCode.REQUIRED, message)
    return states


def _run_checks(plan: _Plan, values: Mapping[str, object], env: Env, out: _Collector) -> None:
    """Check rules on top-level variables, run when every name they use has a value."""
    for vp, check in plan.checks:
        if not check.names <= values.keys():
            continue
        if check.when is not None and not check.when.run(env):
            continue
        if not check.assertion.run(env):
            out.add(vp.position, vp.var.name, check.code, check.message, severity=check.severity)


def _check_groups(
    plan: _Plan,
    typed: Mapping[str, object],
    locked: set[str],
    moment: _Moment,
    env: Env,
    states: dict[str, VariableState],
    out: _Collector,
) -> None:
    """Group fields' states, and every entry of an open group checked on its own."""
    inapplicable = moment.inapplicable
    for vp in plan.groups:
        for sub in vp.fields:
            states[sub.name] = sub.state_na if sub.name in inapplicable else sub.state_optional
        entries = typed.get(vp.name)
        if isinstance(entries, list) and vp.name not in locked and vp.name not in inapplicable:
            _check_entries(plan, vp, entries, env, moment.context, out, inapplicable)


def _check_entries(
    plan: _Plan,
    group: _VarPlan,
    entries: list[object],
    env: Env,
    ctx: Context,
    out: _Collector,
    inapplicable: frozenset[str],
) -> None:
    checks = plan.group_checks.get(group.name, [])
    outer = env.values.keys()
    label = f"«{group.var.label}»"
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            fields = ", ".join(sub.var.name for sub in group.fields)
            out.add(
                group.position,
                group.var.name,
                FindingCode.NOT_AN_OBJECT,
                f"Oppføring {index + 1} i {label} må være et objekt med {fields}, men er "
                f"{describe_json(entry)}.",
                index=index,
            )
            continue
        for key in entry:
            if key not in group.field_names:
                out.add(
                    group.position,
                    str(key),
                    FindingCode.UNKNOWN_VARIABLE,
                    f"«{key}» i oppføring {index + 1} i {label} er ikke et felt i gruppen. "
                    f"Fjern feltet eller rett navnet.",
                    index=index,
                )
        values: dict[str, object] = {}
        for sub in group.fields:
            name = sub.name
            raw = entry.get(name)
            if is_unanswered(raw):
                if sub.row_required and name not in inapplicable:
                    out.add(
                        sub.position, name, FindingCode.REQUIRED, sub.required_message, index=index
                    )
                continue
            if name in inapplicable:
                out.add(
                    sub.position,
                    name,
                    FindingCode.NOT_APPLICABLE,
                    sub.not_applicable_message,
                    index=index,
                )
                continue
            value, problem = sub.coerce(raw)
            if problem is not None:
                out.add(sub.position, name, problem[0], problem[1], index=index)
                continue
            if sub.check is not None:
                value, problems = sub.check(value, ctx)
                for code, message, severity in problems:
                    out.add(sub.position, name, code, message, index=index, severity=severity)
                if value is None:
                    continue
            values[name] = value
        entry_env = Env(env.values, env.today, values, env.period, env.person_key)
        for vp, check in checks:
            if not (check.entry_names <= values.keys() and check.outer_names <= outer):
                continue
            if check.when is not None and not check.when.run(entry_env):
                continue
            if not check.assertion.run(entry_env):
                out.add(
                    vp.position,
                    vp.var.name,
                    check.code,
                    f"Oppføring {index + 1}: {check.message}",
                    index=index,
                    severity=check.severity,
                )


def _mismatch(vp: _VarPlan, given: object, result: object) -> str:
    """DERIVED_MISMATCH in the form's words; a person id's values are never shown
    (findings are listed next to masked numbers, see docs/person-id.md)."""
    fix = f"Fjern verdien (den fylles ut automatisk) eller rett {vp.derive_fix}."
    if vp.var.role is Role.PERSON_ID:
        return f"«{vp.var.label}» stemmer ikke med {vp.derive_sources}. {fix}"
    shown = describe_json(given) if isinstance(given, str) else given
    return (
        f"«{vp.var.label}» er {shown}, men ut fra {vp.derive_sources} skal den være {result}. {fix}"
    )


def _result(
    plan: _Plan,
    stage: Stage,
    out: _Collector,
    derived: dict[str, object],
    reference: date,
    states: dict[str, VariableState],
    period: Period | None = None,
) -> Evaluation:
    if not states:
        states = {
            name: vp.state_na if not vp.var.applies_on(reference) else vp.state_optional
            for name, vp in plan.by_name.items()
        }
    for vp in plan.derives:
        derived.setdefault(vp.var.name, None)
    return Evaluation(stage, out.findings(), derived, reference, states, period)
