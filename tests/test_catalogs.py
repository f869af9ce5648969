"""The gettext catalogs: they compile, are complete, and match the sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogs import build_template, po_files, problems, read_catalog
from bot.i18n import compile_catalog, load_translators

SHIPPED = sorted(po_files())


def test_english_and_chinese_are_shipped() -> None:
    assert "zh" in SHIPPED


@pytest.mark.parametrize("language", SHIPPED)
def test_catalog_compiles(language: str) -> None:
    translations = compile_catalog(po_files()[language])
    assert translations.gettext("💰 Fees") != ""


@pytest.mark.parametrize("language", SHIPPED)
def test_catalog_is_complete_and_consistent(language: str) -> None:
    """No missing, stale, empty or fuzzy message; placeholders and numbers match the source."""
    assert problems(languages=[language]) == []


def test_template_covers_code_and_data() -> None:
    template = build_template()
    locations = {path for message in template for path, _ in message.locations}
    assert any(p.startswith("bot/") for p in locations)
    assert any(p.startswith("data/") for p in locations)


def test_committed_template_is_current() -> None:
    """locales/messages.pot is regenerated whenever the sources change."""
    committed = read_catalog(Path(__file__).resolve().parents[1] / "locales" / "messages.pot")
    assert {m.id for m in committed if m.id} == {m.id for m in build_template() if m.id}


def test_translators_fall_back_to_english_for_unknown_messages() -> None:
    translators = load_translators(Path(__file__).resolve().parents[1] / "locales")
    assert translators["zh"].gettext("a message that does not exist") == (
        "a message that does not exist"
    )
