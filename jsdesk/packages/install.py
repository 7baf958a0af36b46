"""Installing a verified package: what it would change, the install itself, and its log.

``install_check`` refuses a package that is not newer than the one installed
under the same name, or whose form version already exists. ``preview`` says what
the package changes: for a form the differences to the form in use
(``form diff``) and, when a database is at hand, the form-migration dry run
(nothing is moved: records move only with ``jsdesk form migrate --apply``); for
data a short summary per file. ``install_package`` writes the package unchanged
to ``<data>/pakker/installert/<name>/<version>/`` (a temporary folder renamed into
place, so a package is either wholly installed or not at all), appends a line to
the install log ``<data>/pakker/installasjoner.jsonl`` and makes the program read
its data and forms again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from jsdesk.domain import code_domains, registers
from jsdesk.forms.diff import diff_forms
from jsdesk.installed import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    InstalledPackage,
    installed_folder,
    installed_packages,
    packages_folder,
    today,
)
from jsdesk.packages.archive import PackageRefused, VerifiedPackage
from jsdesk.rules import default_form, shipped_form_paths
from jsdesk.rules.cases import changed_case_lines
from jsdesk.rules.form_files import forget_cached_forms, load_form
from jsdesk.storage.audit import os_user
from jsdesk.storage.form_migration import plan_migration, report_lines

if TYPE_CHECKING:
    from jsdesk.storage import Database

INSTALL_LOG = "installasjoner.jsonl"


def install_check(package: VerifiedPackage) -> None:
    """PackageRefused when the package is not newer than what is installed."""
    manifest = package.manifest
    for installed in installed_packages():
        if installed.manifest.name != manifest.name:
            continue
        if installed.manifest.version_key >= manifest.version_key:
            raise PackageRefused(
                f"Pakken «{manifest.name}» {manifest.version} er ikke nyere enn versjon "
                f"{installed.manifest.version} som allerede er installert. Ingenting er endret."
            )
    known = {_form_version(path) for path in shipped_form_paths()}
    known |= {
        _form_version(p.path_of(item))
        for p in installed_packages()
        if p.manifest.name != manifest.name
        for item in p.manifest.files_of("skjema")
    }
    with tempfile.TemporaryDirectory(prefix="jsdesk-pakke-") as folder:
        for item, form in package.forms(Path(folder)):
            if form.version in known:
                raise PackageRefused(
                    f"Skjemaversjon {form.version} ({item.name}) finnes allerede i denne "
                    "installasjonen. Ingenting er endret."
                )


def _form_version(path: Path) -> str:
    return load_form(path).version


@dataclass(frozen=True)
class Preview:
    """What installing a package changes, as lines of Bokmål text."""

    lines: tuple[str, ...]
    forms: tuple[str, ...]  # form versions the package brings


def preview(package: VerifiedPackage, db: Database | None = None) -> Preview:
    """What installing ``package`` changes; with ``db`` the form-migration dry run too."""
    manifest = package.manifest
    when = (
        "tar effekt straks"
        if manifest.valid_from <= today()
        else "tar effekt da; til da gjelder det som er i bruk nå"
    )
    lines = [
        f"Pakke «{manifest.name}» versjon {manifest.version}"
        + (f": {manifest.title}" if manifest.title else ""),
        f"Utgiver: {package.publisher_name}; signert {package.signed_at:%d.%m.%Y %H:%M} UTC.",
        f"Gyldig fra {manifest.valid_from:%d.%m.%Y}: {when}.",
    ]
    versions: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jsdesk-pakke-") as folder:
        for item, form in package.forms(Path(folder)):
            versions.append(form.version)
            current = default_form()
            changes = diff_forms(current, form)
            lines.append(
                f"Skjema {item.name}: versjon {form.version}, {len(changes)} forskjeller fra "
                f"{current.version} (skjemaet i bruk):"
            )
            lines += [f"  {change}" for change in changes]
            lines += changed_case_lines(form)
            if db is not None:
                lines.append("Prøvekjøring av flytting (ingen registreringer flyttes nå):")
                lines += [f"  {line}" for line in report_lines(plan_migration(db, form))]
                lines.append(
                    f"  Registreringene flyttes først med «jsdesk form migrate --to "
                    f"{item.name} --apply» etter installasjonen."
                )
    for item in package.manifest.files_of("data"):
        lines.append(data_summary(item.name, package.files[item.path]))
    return Preview(lines=tuple(lines), forms=tuple(versions))


def data_summary(name: str, data: bytes) -> str:
    """One line on a reference data file against the list in use now."""
    rows = registers.read_reference_rows(data, name)
    year = registers.municipality_list_year(name)
    if year is None:
        return f"Data {name}: {len(rows)} rader (erstatter listen i bruk når pakken tar effekt)."
    new = {row["kommunenummer"]: row["kommunenavn"] for row in rows}
    years = registers.municipality_years()
    used = min(max(year, years[0]), years[-1])
    old = registers.municipalities_in(year)
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    renamed = sorted(nr for nr in new.keys() & old.keys() if new[nr] != old[nr])
    parts = [f"Data {name}: kommunelisten for {year} med {len(new)} kommuner"]
    against = f"mot listen for {used} som brukes nå" if used != year else "mot listen i bruk"
    parts.append(
        f"{against}: {len(added)} nye ({_some(added, new)}), {len(removed)} borte "
        f"({_some(removed, old)}), {len(renamed)} nye navn ({_some(renamed, new)})."
    )
    return "; ".join(parts)


def _some(numbers: list[str], names: Mapping[str, str]) -> str:
    if not numbers:
        return "ingen"
    shown = ", ".join(f"{nr} {names[nr]}" for nr in numbers[:5])
    return shown + (f" og {len(numbers) - 5} til" if len(numbers) > 5 else "")


def install_package(package: VerifiedPackage, db: Database | None = None) -> InstalledPackage:
    """Write ``package`` to the user's data folder, log it, and make it take effect."""
    install_check(package)
    manifest = package.manifest
    target = installed_folder() / manifest.name / manifest.version
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".installerer-", dir=target.parent))
    try:
        (staging / MANIFEST_NAME).write_bytes(package.manifest_bytes)
        (staging / SIGNATURE_NAME).write_bytes(package.signature)
        for path, data in package.files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(data)
        if target.exists():  # an earlier attempt of this very version that was not logged
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "os_user": os_user(),
        "name": manifest.name,
        "version": manifest.version,
        "valid_from": manifest.valid_from.isoformat(),
        "publisher": package.publisher_name,
        "manifest_sha256": hashlib.sha256(package.manifest_bytes).hexdigest(),
        "files": [item.path for item in manifest.content],
    }
    with (packages_folder() / INSTALL_LOG).open("a", encoding="utf-8") as log_file:
        log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log_file.flush()
        os.fsync(log_file.fileno())
    if db is not None:
        db.record_package_installed(manifest.name, manifest.version, manifest.valid_from)
    reload_installed()
    return InstalledPackage(manifest=manifest, folder=target)


def reload_installed() -> None:
    """Make the registers, the domain objects and the form loading read again."""
    code_domains.forget_cached()
    forget_cached_forms()


def install_log() -> list[dict[str, object]]:
    """The install log's entries, oldest first."""
    path = packages_folder() / INSTALL_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def describe_installed(on: date | None = None) -> list[str]:
    """One line per installed package for ``jsdesk package list``."""
    day = on or today()
    lines = []
    for package in installed_packages():
        manifest = package.manifest
        state = "i bruk" if package.in_effect(day) else f"fra {manifest.valid_from:%d.%m.%Y}"
        files = ", ".join(item.name for item in manifest.content)
        lines.append(f"{manifest.name} {manifest.version} ({state}): {files}")
    return lines
