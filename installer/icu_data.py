"""ICU's data cut down to what Qt does for jsdesk, for the Linux bundle.

PySide6's Linux wheels link Qt Core against ICU and ship all of ICU's data in
``libicudata.so.NN``: 30.5 MiB (ICU 73) of locale names, currencies, units, code
pages, break-iterator dictionaries and transliterators. Qt Core calls ICU only for
collation (``QCollator``, the file dialog's sort order), case mapping, time-zone
names and named text codecs (``readelf --dyn-syms libQt6Core.so.6``: ``ucol_*``,
``u_strTo{Upper,Lower}``, ``ucal_*``, ``ucnv_*``), and jsdesk runs in Norwegian
Bokmål. The trimmed data keeps every non-locale item (properties, normalisation,
collation base table, time zones, likely subtags), the locales root, Norwegian
(nb, nn, no) and English in every tree, and the Western single-byte code pages; it
leaves out other languages, the break-iterator dictionaries and rules (Qt does
not call ``ubrk_*``) and the transliterators (no ``utrans_*``). About 4 MiB.

ICU's own tool ``icupkg`` (Debian: icu-devtools) removes the items, and binutils'
``as`` and ``ld`` wrap the package back into a library with the same soname and
the one symbol ICU's common library links to (``icudtNN_dat``). Windows wheels
ship no ICU data (Qt uses Windows' own), so this is Linux-only.

The frozen self-test proves the result: its step «Norsk sortering og store
bokstaver» sorts æ, ø and å as Norwegian does and upper-cases them through Qt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# Locales kept in every tree (top level, coll, curr, lang, region, unit, zone, rbnf):
# the root and its Norwegian and English children, with their parents and aliases.
KEEP_LOCALE = re.compile(r"(root|nb|nn|no|en)(_(NO|SJ|US|US_POSIX|001|150|GB))?")
# An item named like a locale (language of 2-3 letters, optional subtags); res_index
# (each tree's list of installed locales) and pool (shared keys) are not locales.
LOCALE = re.compile(r"[a-z]{2,3}(_\w*)?")
NOT_LOCALES = frozenset({"res_index"})
# Trees Qt never reads: break iterators (ubrk) and transliterators (utrans).
DROP_TREES = frozenset({"brkitr", "translit"})
# Code pages kept: windows-1250..1258, ISO 8859-2/3/4/5/15, DOS 437/850/858/865 (Nordic),
# Mac Roman. UTF-*, US-ASCII and ISO 8859-1 are built into ICU's code.
KEEP_CODEPAGE = re.compile(
    r"(ibm-(5346|5347|5348|5349|5350|5351|5352|5353|5354|912|913|914|915|923|437|850|858|865)_"
    r"|macos-0_2-)"
)
TOOLS = ("icupkg", "as", "ld")


def missing_tools() -> list[str]:
    """The build tools this needs that are not on PATH (icupkg: icu-devtools; binutils)."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _unused(item: str) -> bool:
    tree, _, name = item.rpartition("/")
    stem, _, suffix = name.rpartition(".")
    other_language = (
        suffix == "res"
        and stem not in NOT_LOCALES
        and LOCALE.fullmatch(stem) is not None
        and KEEP_LOCALE.fullmatch(stem) is None
    )
    other_codepage = suffix == "cnv" and KEEP_CODEPAGE.match(stem) is None
    return tree in DROP_TREES or other_language or other_codepage


def dropped(items: list[str]) -> list[str]:
    """The package items to leave out, from ``icupkg -l``'s names (``coll/nb.res``)."""
    return [item for item in items if _unused(item)]


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} feilet: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def trim(library: Path, workdir: Path) -> Path:
    """Write a trimmed copy of ``library`` (libicudata.so.NN) into ``workdir``; its path."""
    version = library.name.rsplit(".", 1)[-1]
    if not version.isdigit():
        raise ValueError(f"ikke et ICU-databibliotek med versjon: {library.name}")
    missing = missing_tools()
    if missing:
        raise RuntimeError(
            f"mangler {', '.join(missing)} for å bygge ICU-dataene (apt-get install "
            "icu-devtools binutils)"
        )
    package = f"icudt{version}l"  # little-endian, ASCII family: the item prefix inside
    full, small = workdir / "full", workdir / "trimmed"
    for folder in (full, small):
        folder.mkdir(parents=True, exist_ok=True)
    # The library's only data is the package itself, in .rodata (objcopy with an output
    # file: without one it rewrites its input in place).
    _run("objcopy", "-O", "binary", "--only-section=.rodata", library, full / f"{package}.dat")
    items = _run("icupkg", "-l", full / f"{package}.dat").split()
    drop_list = workdir / "dropped.txt"
    drop_list.write_text("\n".join(dropped(items)) + "\n", "utf-8")
    # icupkg names the items after the output file, so it keeps the package's name.
    _run("icupkg", "-r", drop_list, full / f"{package}.dat", small / f"{package}.dat")
    source = workdir / "icudata.S"
    source.write_text(
        "\t.section .rodata\n"
        f"\t.globl icudt{version}_dat\n"
        f"\t.type icudt{version}_dat, @object\n"
        "\t.balign 16\n"
        f"icudt{version}_dat:\n"
        f'\t.incbin "{small / (package + ".dat")}"\n'
        f"\t.size icudt{version}_dat, . - icudt{version}_dat\n"
        '\t.section .note.GNU-stack,"",@progbits\n',
        "utf-8",
    )
    _run("as", "--64", "-o", workdir / "icudata.o", source)
    target = small / library.name
    _run("ld", "-shared", "-soname", library.name, "-o", target, workdir / "icudata.o")
    return target
