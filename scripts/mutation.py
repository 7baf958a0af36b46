"""Mutation testing with mutmut for the packages where a silent break costs most.

    python scripts/mutation.py [--package NAME]... [--sample N] [--report-only]
    make mutation [MUTATION_ARGS="--package audit --sample 5"]

Each package — ``rules``, ``domain``, ``submission`` (cms, container, verify,
trust) and ``audit`` (storage/audit.py), all by default — is mutated in its own
scratch copy of the project (``.mutation/<package>/``, with a ``[tool.mutmut]``
written for that package alone), and each of its mutants is run against that
package's tests (those of them that reach the mutated function, as mutmut
selects). The script prints the score per package: killed / (mutants run −
equivalent ones listed in ``EQUIVALENT``), and the survivors by name.

``--sample N`` runs every N-th mutant of a package (a fixed, reproducible
sample: what CI runs, see ``.ci/run``); ``--report-only`` prints the scores of
the last run. Exit code 1 when a package's score is below ``THRESHOLD``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")
SCRATCH = ROOT / ".mutation"
THRESHOLD = 90.0
COPIED = ("jsdesk", "tests", "forms", "resources", "docs", "pyproject.toml")


@dataclass(frozen=True)
class Package:
    files: tuple[str, ...]
    tests: tuple[str, ...]


PACKAGES = {
    "rules": Package(
        files=("jsdesk/rules/*",),
        tests=(
            "tests/test_expr.py",
            "tests/test_rules_decisions.py",
            "tests/test_rules_dependencies.py",
            "tests/test_rules_form_paths.py",
            "tests/test_rules_stage_required.py",
            "tests/test_rules_values.py",
            "tests/test_form_rules_reference.py",
            "tests/test_form_cases.py",
            "tests/test_forms_loader.py",
            "tests/test_form_versions.py",
            "tests/test_rules_case_files.py",
        ),
    ),
    "domain": Package(
        files=("jsdesk/domain/*",),
        tests=(
            "tests/test_fnr.py",
            "tests/test_code_domains.py",
            "tests/test_code_domains_messages.py",
            "tests/test_domain_choices_properties.py",
        ),
    ),
    "submission": Package(
        files=(
            "jsdesk/submission/cms.py",
            "jsdesk/submission/container.py",
            "jsdesk/submission/verify.py",
            "jsdesk/submission/trust.py",
        ),
        tests=(
            "tests/test_submission_container.py",
            "tests/test_submission_structure.py",
            "tests/test_submission_trust.py",
            "tests/test_submission_timestamp.py",
        ),
    ),
    "audit": Package(
        files=("jsdesk/storage/audit.py",),
        tests=(
            "tests/test_storage_audit_chain.py",
            "tests/test_storage_audit.py",
            "tests/test_storage_audit_anchor.py",
        ),
    ),
}

# Equivalent mutants: the program behaves the same with them, so no test can kill
# them. mutmut name -> why. Keep the list short and each reason checkable. mutmut numbers
# the mutants of a function in order: when a function changes, check its entries with
# `mutmut show NAME` in `.mutation/<package>/` (a listed mutant that is killed is stale).
EQUIVALENT: dict[str, str] = {
    "jsdesk.storage.audit.x_append_many__mutmut_85": (
        "the row key 'scrubbed' misspelt: the column's default is the same False"
    ),
    "jsdesk.storage.audit.x_append_many__mutmut_65": (
        "the row key 'id' misspelt: the database assigns the same id, newest + 1 (rows "
        "cannot be deleted, a trigger refuses it)"
    ),
    "jsdesk.storage.audit.x_event_hash__mutmut_5": "ensure_ascii=None is falsy like False",
    "jsdesk.storage.audit.x_value_digest__mutmut_4": "ensure_ascii=None is falsy like False",
    "jsdesk.storage.audit.x_encode_value__mutmut_5": "ensure_ascii=None is falsy like False",
    "jsdesk.storage.audit.x_scrub__mutmut_11": "the SQL in lower case: SQL keywords ignore case",
    "jsdesk.storage.audit.x_verify__mutmut_16": "the SQL in lower case: SQL keywords ignore case",
    "jsdesk.storage.audit.x_scrub__mutmut_31": (
        "getattr default None instead of 0: an UPDATE result always has rowcount"
    ),
    "jsdesk.storage.audit.x_scrub__mutmut_34": (
        "getattr without default: an UPDATE result always has rowcount"
    ),
    "jsdesk.storage.audit.x_verify__mutmut_2": (
        "anchor_hash starts as '' instead of None: both differ from every stored hash, and "
        "it is only compared when the anchor's event was not found"
    ),
    "jsdesk.storage.audit.x_verify__mutmut_24": (
        "the local file's chain read without ORDER BY: SQLite reads a table whose id is its "
        "INTEGER PRIMARY KEY by scanning the rowid tree, in id order (not promised by SQL, "
        "no SQLite version does otherwise); the shared database reads jsdesk_audit_chain()"
    ),
    "jsdesk.storage.audit.x_verify__mutmut_26": "yield_per batch size 1001: same rows, order",
    "jsdesk.storage.audit.xǁAuditMixinǁ_save_audit_anchor__mutmut_1": (
        "default of force changed: every caller passes force"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_save_audit_anchor__mutmut_29": (
        'encode("ASCII"): the same codec as "ascii"'
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_save_audit_anchor__mutmut_32": (
        "durable=None instead of False: both skip the fsync; the file is the same"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_save_audit_anchor__mutmut_35": (
        "durable left at its default (fsync): same file, only slower; a power loss is "
        "the only difference and the anchor is designed to be safe either way"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_save_audit_anchor__mutmut_37": (
        "durable=True (fsync): same file, only slower (see _35)"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_after_commit__mutmut_1": (
        "checked=None: after a commit the anchor check the open already did is repeated; "
        "the chain only grew, so the same anchor is written, with one more read"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_after_commit__mutmut_2": (
        "checked=False: the same repeated check as _1"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_anchor_quietly__mutmut_3": (
        "force=None instead of checked: at close checked is False anyway; after a commit "
        "it is the repeated check of _after_commit__mutmut_2"
    ),
    "jsdesk.storage.audit.xǁAuditMixinǁ_audit_anchor__mutmut_1": (
        "initial raw '' instead of None: every path assigns raw or returns before it is read"
    ),
    "jsdesk.rules.engine.xǁ_Planǁapplicability_without_start__mutmut_19": (
        "the cache stores None for a span: the next call finds None, computes the same "
        "answer again; only slower"
    ),
    "jsdesk.rules.values.x__code_checker__mutmut_95": (
        "ok = None instead of False after a problem: ok is read only as "
        "'value if ok else None', where None and False are both false"
    ),
    "jsdesk.submission.cms.x_sign_detached__mutmut_5": (
        "signing time with microsecond=1 instead of 0: the signing-time attribute is a "
        "UTCTime, which holds whole seconds; the signature holds the same bytes"
    ),
    "jsdesk.submission.container.x_remove_stale_partials__mutmut_19": (
        "unlink(missing_ok=False): differs only when another process removes the same "
        "partial between the folder listing and the unlink, a race no test can stage "
        "without mocking the file system"
    ),
    "jsdesk.submission.container.x__write_temp_and_rename__mutmut_13": (
        "getattr(None, 'O_BINARY', 0) is 0: so is os.O_BINARY's fallback on POSIX, where "
        "the tests run (on Windows it would matter; no Windows runner checks it)"
    ),
    "jsdesk.domain.fnr.x__weighted_k1_sum__mutmut_6": "zip(strict=None) is falsy like False",
    "jsdesk.domain.fnr.x_analyse__mutmut_64": (
        "day 32 let through the range check fails the calendar check right after, with the "
        "same DATE problem and message"
    ),
    "jsdesk.domain.fnr.x_analyse__mutmut_74": (
        "a 2032-rule date checked in 2000 - yy instead of 2000 + yy: for yy 0-99 both years "
        "are leap years exactly when yy is divisible by 4, so every day and month is "
        "judged the same"
    ),
    "jsdesk.domain.fnr.x_person_id_bytes__mutmut_12": (
        "the number encoded as 'ASCII' instead of 'ascii': the same codec"
    ),
    "jsdesk.domain.fnr.x__check_control_digits__mutmut_4": (
        "the digits encoded as 'ASCII' instead of 'ascii': the same codec"
    ),
}

KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # mutmut's exit codes for killed and timeout
NOT_RUN = {None, 33, 34, 5}  # not checked, no test reaches it, skipped


def workdir(package: str) -> Path:
    return SCRATCH / package


def prepare(package: str) -> Path:
    """A fresh copy of the project whose [tool.mutmut] mutates ``package`` only."""
    target = workdir(package)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    spec = PACKAGES[package]
    config = (
        "\n[tool.mutmut]\n"
        'source_paths = ["jsdesk"]\n'
        f"only_mutate = {json.dumps(list(spec.files))}\n"
        'also_copy = ["forms", "resources", "docs"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(list(spec.tests))}\n"
    )
    with (target / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write(config)
    return target


def run_mutmut(package: str, names: list[str]) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "JSDESK_MUTATION": "1"}
    command = ["nice", "-n", "10", str(MUTMUT), "run", *names]
    subprocess.run(command, cwd=workdir(package), env=env, check=False)


def mutant_results(package: str) -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's state in the package's ``mutants/``."""
    results: dict[str, int | None] = {}
    for meta in (workdir(package) / "mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        results.update(data.get("exit_code_by_key", {}))
    return results


def sample(names: list[str], every: int) -> list[str]:
    return sorted(names)[::every]


def mutate(package: str, every: int) -> None:
    prepare(package)
    if every == 1:
        run_mutmut(package, [])
        return
    # mutmut makes its mutants (and maps tests to functions) on the first run; the
    # pattern matches no mutant (they are numbered from 1), so none is run yet.
    run_mutmut(package, ["*__mutmut_0"])
    chosen = sample(list(mutant_results(package)), every)
    print(f"{package}: {len(chosen)} av {len(mutant_results(package))} mutanter (hver {every}.)")
    run_mutmut(package, chosen)


def report(packages: list[str], every: int) -> int:
    worst = 100.0
    columns = ("mutanter", 9), ("kjørt", 7), ("drept", 7), ("overlevde", 10)
    print(f"{'pakke':<12}" + "".join(f"{t:>{w}}" for t, w in columns) + f"{'score':>8}")
    for package in packages:
        results = mutant_results(package)
        chosen = set(sample(list(results), every))
        counted = {
            n: c
            for n, c in results.items()
            if n in chosen and n not in EQUIVALENT and c not in NOT_RUN
        }
        killed = sum(1 for c in counted.values() if c in KILLED)
        survived = sorted(n for n, c in counted.items() if c not in KILLED)
        score = 100.0 * killed / len(counted) if counted else 0.0
        worst = min(worst, score)
        print(
            f"{package:<12}{len(results):>9}{len(counted):>7}{killed:>7}{len(survived):>10}"
            f"{score:>7.1f}%"
        )
        for name in survived:
            print(f"    overlevde: {name}")
    return 0 if worst >= THRESHOLD else 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--package", action="append", choices=sorted(PACKAGES))
    parser.add_argument("--sample", type=int, default=1, metavar="N", help="every N-th mutant")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    packages = args.package or list(PACKAGES)
    if not args.report_only:
        for package in packages:
            started, cpu = time.monotonic(), _children_cpu()
            mutate(package, args.sample)
            print(
                f"{package}: {(time.monotonic() - started) / 60:.1f} min "
                f"(CPU {(_children_cpu() - cpu) / 60:.1f} min)"
            )
    return report(packages, args.sample)


if __name__ == "__main__":
    sys.exit(main())
