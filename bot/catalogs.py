"""Catalog maintenance: extract, update, init, compile and check the gettext catalogs.

    python -m bot.catalogs extract      # bot/*.py and data/*.yaml -> locales/messages.pot
    python -m bot.catalogs update       # merge the template into every locales/*/messages.po
    python -m bot.catalogs init xx      # start a catalog for a new language
    python -m bot.catalogs compile      # write .mo files (optional: the bot compiles in memory)
    python -m bot.catalogs check        # fail if catalogs drift from the sources or are incomplete

Messages come from two places: `_()`, `ngettext()` and `N_()` calls in the Python code, and the
English prose fields of data/ (see `TRANSLATABLE_KEYS`), so the facts' wording is translated
in the same catalogs as the interface.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.config import PROJECT_ROOT
from bot.i18n import DOMAIN
from bot.knowledge.loader import TRANSLATABLE_KEYS

PROJECT = "prbot"
COMMENT_TAGS = ["Translators:"]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# 1,500 / 1.500 / 1 500 (also with no-break spaces) are one number; 09 and 9 are the same.
_NUMBER = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+(?!\d)|\d+(?:[.,]\d+)*")


def extract_yaml(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method for data/*.yaml: the strings under translatable keys."""
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is None:
        return
    yield from _walk(root, None)


def _walk(node: yaml.Node, key: str | None) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield from _walk(value_node, str(key_node.value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, key)
    elif (
        isinstance(node, yaml.ScalarNode)
        and key in TRANSLATABLE_KEYS
        and node.tag.endswith(":str")
        and str(node.value).strip()
    ):
        yield node.start_mark.line + 1, None, str(node.value), [f"data field: {key}"]


def build_template(root: Path = PROJECT_ROOT) -> Catalog:
    """Extract every message from the code and the data into a fresh template."""
    catalog = Catalog(project=PROJECT, version="1", charset="utf-8", fuzzy=False)
    sources = (
        (root / "bot", [("**.py", "python")]),
        (root / "data", [("**.yaml", "bot.catalogs:extract_yaml")]),
    )
    for directory, method_map in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(directory), method_map, comment_tags=COMMENT_TAGS, strip_comment_tags=True
        ):
            location = (f"{directory.name}/{filename}", lineno)
            catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def locales_dir(root: Path = PROJECT_ROOT) -> Path:
    """Where the catalogs live."""
    return root / "locales"


def po_files(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """The catalog of every language, by language code."""
    return {
        path.parent.parent.name: path
        for path in sorted(locales_dir(root).glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    }


def read_catalog(path: Path) -> Catalog:
    """Read a `.po` or `.pot` file."""
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.name if path.suffix == ".po" else None)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalog without line wrapping, so diffs stay one line per message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=False, omit_header=False)
    path.write_bytes(buffer.getvalue())


def extract(root: Path = PROJECT_ROOT) -> Path:
    """Write `locales/messages.pot`."""
    target = locales_dir(root) / f"{DOMAIN}.pot"
    write_catalog(build_template(root), target)
    return target


def update(root: Path = PROJECT_ROOT) -> list[Path]:
    """Merge the template into every catalog; obsolete messages are dropped."""
    template = build_template(root)
    written = []
    for path in po_files(root).values():
        catalog = read_catalog(path)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        write_catalog(catalog, path)
        written.append(path)
    return written


def init(language: str, root: Path = PROJECT_ROOT) -> Path:
    """Start the catalog of a new language from the template."""
    path = locales_dir(root) / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        raise FileExistsError(path)
    template = build_template(root)
    catalog = Catalog(locale=language, project=PROJECT, version="1", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    write_catalog(catalog, path)
    return path


def compile_all(root: Path = PROJECT_ROOT) -> list[Path]:
    """Write `messages.mo` beside each catalog."""
    written = []
    for path in po_files(root).values():
        target = path.with_suffix(".mo")
        with target.open("wb") as handle:
            write_mo(handle, read_catalog(path), use_fuzzy=False)
        written.append(target)
    return written


def problems(root: Path = PROJECT_ROOT, languages: list[str] | None = None) -> list[str]:
    """Everything wrong with the catalogs: drift, gaps, fuzzy entries, broken placeholders."""
    template = build_template(root)
    wanted = {_key(m.id) for m in template if m.id}
    found: list[str] = []
    for language, path in po_files(root).items():
        if languages and language not in languages:
            continue
        catalog = read_catalog(path)
        have = {_key(m.id) for m in catalog if m.id}
        for missing in sorted(wanted - have):
            found.append(f"{language}: missing message {missing!r}")
        for extra in sorted(have - wanted):
            found.append(f"{language}: message no longer in the sources {extra!r}")
        for message in catalog:
            if not message.id:
                continue
            found += [f"{language}: {p}" for p in message_problems(message, catalog)]
    return found


def message_problems(message: Any, catalog: Catalog) -> list[str]:
    """What is wrong with one translated message."""
    ident = message.id if isinstance(message.id, str) else message.id[0]
    if message.fuzzy:
        return [f"fuzzy: {ident!r}"]
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if not all(strings) or len(strings) != (catalog.num_plurals if message.pluralizable else 1):
        return [f"untranslated: {ident!r}"]
    result = []
    source_ids = message.id if isinstance(message.id, tuple) else (message.id,)
    expected = set(_PLACEHOLDER.findall(" ".join(source_ids)))
    for text in strings:
        if set(_PLACEHOLDER.findall(text)) != expected:
            result.append(f"placeholders differ in {ident!r}: {text!r}")
        if not expected and _numbers(ident) - _numbers(text):
            result.append(f"numbers differ in {ident!r}: {text!r}")
    return result


def _numbers(text: str) -> set[str]:
    digits = (re.sub(r"\D", "", n) for n in _NUMBER.findall(text))
    return {d.lstrip("0") or "0" for d in digits}


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def main(argv: list[str] | None = None) -> int:
    """Command line for catalog maintenance."""
    parser = argparse.ArgumentParser(prog="python -m bot.catalogs")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("extract")
    sub.add_parser("update")
    init_parser = sub.add_parser("init")
    init_parser.add_argument("language")
    sub.add_parser("compile")
    check_parser = sub.add_parser("check")
    check_parser.add_argument("languages", nargs="*", help="only these languages")
    args = parser.parse_args(argv)
    if args.action == "extract":
        print(extract())
    elif args.action == "update":
        for path in update():
            print(path)
    elif args.action == "init":
        print(init(args.language))
    elif args.action == "compile":
        for path in compile_all():
            print(path)
    else:
        issues = problems(languages=args.languages)
        for issue in issues:
            print(issue)
        print(f"{len(issues)} problem(s) in {len(po_files())} catalog(s)")
        return 1 if issues else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
