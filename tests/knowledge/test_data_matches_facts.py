"""data/ says nothing the research facts do not: amounts, times, addresses, phones, sources.

The facts live outside the repository at ../shared/facts/beijing-pr.yaml; without them the
tests are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge.loader import load_knowledge
from bot.knowledge.model import OFFICIAL_LANGUAGES, KnowledgeBase, Provenance

REPO = Path(__file__).resolve().parents[2]
FACTS = Path(__file__).resolve().parents[2].parent / "shared" / "facts" / "beijing-pr.yaml"
URL_RE = re.compile(r"https?://[^\s'\"<>]+")


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    """The research facts, parsed."""
    if not FACTS.exists():
        pytest.skip(f"research facts not found at {FACTS}; cannot cross-check data/")
    loaded = yaml.safe_load(FACTS.read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The real knowledge base."""
    return load_knowledge(REPO / "data")


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif node is not None:
        yield str(node)


def _office_values(facts: dict[str, Any], *keys: str) -> list[str]:
    return [s for office in facts["offices"] for key in keys for s in _strings(office.get(key))]


def _provenances(kb: KnowledgeBase) -> Iterator[tuple[str, Provenance]]:
    yield from ((f"fee {x.id}", x.provenance) for x in kb.fees)
    yield from ((f"schedule {x.id}", x.provenance) for x in kb.schedules.values())
    yield from ((f"office {x.id}", x.provenance) for x in kb.offices)
    yield from ((f"rule {x.id}", x.provenance) for x in kb.rules.values())
    yield from ((f"step {x.id}", x.provenance) for x in kb.steps)
    yield from ((f"pathway {x.id}", x.provenance) for x in kb.pathways)
    yield from ((f"contact {x.id}", x.provenance) for x in kb.contacts.values())
    yield from ((f"document {x.id}", x.provenance) for x in kb.documents)


def test_fee_amounts_come_from_the_facts(facts: dict[str, Any], kb: KnowledgeBase) -> None:
    amounts = {fee["amount_cny"] for fee in facts["fees"]}
    for fee in kb.fees:
        assert fee.amount in amounts, fee.id
        assert fee.currency == "CNY", fee.id


def test_session_times_come_from_the_facts(facts: dict[str, Any], kb: KnowledgeBase) -> None:
    hours = _office_values(facts, "hours", "hours_conflicts")
    hours += list(_strings(facts["office_context"]["general_hours_official"]))
    for schedule in kb.schedules.values():
        for session in schedule.sessions:
            for moment in (session.opens, session.closes):
                text = f"{moment:%H:%M}"
                assert any(text in h for h in hours), f"{schedule.id}: {text}"


def test_office_names_and_addresses_come_from_the_facts(
    facts: dict[str, Any], kb: KnowledgeBase
) -> None:
    names_en = _office_values(facts, "name_en")
    names_zh = _office_values(facts, "name_zh", "name_zh_alt")
    addresses_en = _office_values(facts, "address_en")
    addresses_zh = _office_values(facts, "address_zh")
    for office in kb.offices:
        assert office.name.en in names_en, office.id
        if office.name.zh is not None:
            assert office.name.zh in names_zh, office.id
        if office.address.en is not None:
            assert any(office.address.en in a for a in addresses_en), office.id
        if office.address.zh is not None:
            assert any(office.address.zh in a for a in addresses_zh), office.id


def test_official_names_in_other_languages_come_from_the_facts(
    facts: dict[str, Any], kb: KnowledgeBase
) -> None:
    terms = {t["lang"]: "\n".join(_strings(t)) for t in facts["translations"]["terms"]}
    found = 0
    for office in kb.offices:
        for text in (office.name, office.address):
            for language in OFFICIAL_LANGUAGES:
                value = getattr(text, language)
                if value is not None:
                    assert value in terms.get(language, ""), f"{office.id}: {language} {value}"
                    found += 1
    assert found >= 1


def test_office_phones_come_from_the_facts(facts: dict[str, Any], kb: KnowledgeBase) -> None:
    phones = _office_values(facts, "phone")
    for office in kb.offices:
        for phone in office.phones:
            assert any(phone in p for p in phones), f"{office.id}: {phone}"


def test_contact_values_come_from_the_facts(facts: dict[str, Any], kb: KnowledgeBase) -> None:
    text = "\n".join(_strings(facts))
    for contact in kb.contacts.values():
        assert contact.value in text, contact.id


def test_every_source_url_is_in_the_facts(facts: dict[str, Any], kb: KnowledgeBase) -> None:
    known = {url for s in _strings(facts) for url in URL_RE.findall(s)}
    assert len(known) > 100
    for name, provenance in _provenances(kb):
        for source in provenance.sources:
            assert source in known, f"{name}: {source}"
    for office in kb.offices:
        if office.coordinates is not None:
            assert office.coordinates.source in known, office.id


# The State Council's yearly holiday notices are not part of the permanent-residence research;
# data/holidays.yaml cites them itself (and tests/knowledge/test_holidays.py checks the file
# against the chinese-calendar package for every year both have).
OUTSIDE_THE_RESEARCH = frozenset({"holidays.yaml"})


def test_every_source_url_in_the_files_is_in_the_facts(facts: dict[str, Any]) -> None:
    # Also catches URLs the loader would not surface (for example in a comment).
    known = {url for s in _strings(facts) for url in URL_RE.findall(s)}
    for path in sorted((REPO / "data").glob("*.yaml")):
        if path.name in OUTSIDE_THE_RESEARCH:
            continue
        for url in URL_RE.findall(path.read_text("utf-8")):
            assert url in known, f"{path.name}: {url}"
