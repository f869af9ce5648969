"""The knowledge loader: the real data/ loads, and every kind of broken file is reported.

Each broken variant copies data/ to tmp_path, breaks one thing and checks that the
KnowledgeError names the file, the record and the field.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge.loader import (
    REQUIRED_CONTACT_IDS,
    REQUIRED_FEE_IDS,
    REQUIRED_RULE_IDS,
    TRANSLATABLE_KEYS,
    KnowledgeError,
    load_knowledge,
)
from bot.knowledge.model import Confidence, KnowledgeBase, PrAcceptance, Service

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
CHECKED = dt.date(2026, 11, 26)

PATHWAY_IDS = [
    "general",
    "investment",
    "senior_employment",
    "key_university",
    "salary_tax",
    "talent_permit",
    "chinese_origin_doctorate",
    "chinese_origin_zgc",
    "chinese_origin_services_zone",
    "zgc_points",
    "two_zones_points",
    "two_zones_talent",
    "special_contribution",
    "dependants_of_principal",
    "spouse",
    "minor_children",
    "elderly_dependants",
]
OFFICE_IDS = [
    "main",
    "zhongguancun",
    "chaoyang",
    "shunyi",
    "government_service_center",
    "fengtai",
    "shijingshan",
    "tongzhou",
    "etown",
    "cbd",
    "huairou",
    "daxing",
]
DOCUMENT_IDS = {
    "photos",
    "no_criminal_record",
    "medical",
    "legalisation_translation",
    "chinese_name",
    "household_registration",
    "cv_signature",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The real knowledge base."""
    return load_knowledge(DATA)


def _provenances(kb: KnowledgeBase) -> Iterator[tuple[str, Any]]:
    for fee in kb.fees:
        yield f"fee {fee.id}", fee.provenance
    for schedule in kb.schedules.values():
        yield f"schedule {schedule.id}", schedule.provenance
    for office in kb.offices:
        yield f"office {office.id}", office.provenance
    for rule in kb.rules.values():
        yield f"rule {rule.id}", rule.provenance
    for step in kb.steps:
        yield f"step {step.id}", step.provenance
    for pathway in kb.pathways:
        yield f"pathway {pathway.id}", pathway.provenance
    for contact in kb.contacts.values():
        yield f"contact {contact.id}", contact.provenance
    for document in kb.documents:
        yield f"document {document.id}", document.provenance


# -- the real data -------------------------------------------------------------------------


def test_real_data_counts_and_ids(kb: KnowledgeBase) -> None:
    assert [f.id for f in kb.fees] == ["application", "issuance", "renewal", "replacement"]
    assert set(kb.schedules) == {"standard", "shijingshan", "government_service_center"}
    assert [o.id for o in kb.offices] == OFFICE_IDS
    assert set(kb.rules) >= REQUIRED_RULE_IDS
    assert [s.id for s in kb.steps] == [
        "category",
        "documents",
        "appointment",
        "submit",
        "approval",
        "issue",
    ]
    assert [p.id for p in kb.pathways] == PATHWAY_IDS
    assert set(kb.contacts) == REQUIRED_CONTACT_IDS
    assert {d.id for d in kb.documents} >= DOCUMENT_IDS


def test_real_fees(kb: KnowledgeBase) -> None:
    amounts = {f.id: (f.amount, f.currency, f.per) for f in kb.fees}
    assert amounts == {
        "application": (1500, "CNY", "person"),
        "issuance": (300, "CNY", "card"),
        "renewal": (300, "CNY", "card"),
        "replacement": (600, "CNY", "card"),
    }
    assert set(REQUIRED_FEE_IDS) == set(amounts)


def test_real_schedules(kb: KnowledgeBase) -> None:
    t = dt.time
    standard = kb.schedules["standard"]
    assert standard.weekdays == (0, 1, 2, 3, 4, 5)
    assert [(s.opens, s.closes) for s in standard.sessions_on(5)] == [(t(9), t(17))]
    assert standard.sessions_on(6) == ()
    assert standard.closed_on_statutory_holidays
    shijingshan = kb.schedules["shijingshan"]
    assert [(s.opens, s.closes) for s in shijingshan.sessions_on(0)] == [
        (t(9), t(12)),
        (t(13, 30), t(17, 30)),
    ]
    center = kb.schedules["government_service_center"]
    assert [(s.opens, s.closes) for s in center.sessions_on(2)] == [(t(8, 30), t(17, 30))]
    assert [(s.opens, s.closes) for s in center.sessions_on(5)] == [(t(8, 30), t(12, 30))]
    assert center.sessions_on(6) == ()
    assert not center.closed_on_statutory_holidays  # open all year except Spring Festival
    assert any("by appointment" in c for c in center.conflicts)
    assert any("Spring Festival" in c for c in center.conflicts)


def test_real_offices(kb: KnowledgeBase) -> None:
    main = kb.main_office
    assert main.id == "main"
    assert [o.id for o in kb.offices if o.main] == ["main"]
    assert main.address.en is not None and "No. 2 Andingmen East Street" in main.address.en
    assert main.phones[0] == "+86 10 8402 0101"
    assert main.pr_applications is PrAcceptance.YES
    assert main.services == frozenset(Service)
    schedules = {o.id: o.schedule_id for o in kb.offices}
    assert schedules == {
        "main": "standard",
        "zhongguancun": "standard",
        "chaoyang": "standard",
        "shunyi": "standard",
        "government_service_center": "government_service_center",
        "fengtai": None,
        "shijingshan": "shijingshan",
        "tongzhou": None,
        "etown": None,
        "cbd": None,
        "huairou": None,
        "daxing": None,
    }
    pr = {o.id: o.pr_applications for o in kb.offices}
    assert {k for k, v in pr.items() if v is PrAcceptance.YES} == {
        "main",
        "zhongguancun",
        "huairou",
        "daxing",
    }
    assert {k for k, v in pr.items() if v is PrAcceptance.RESTRICTED} == {"chaoyang", "shunyi"}
    # No source gives any office's own coordinates.
    assert all(o.coordinates is None for o in kb.offices)
    for office in kb.offices:
        if office.address.en is None:
            assert any("12367" in note for note in office.notes), office.id


def test_real_rules_values(kb: KnowledgeBase) -> None:
    assert kb.rules["renewal_window"].values == {"months_before_expiry": 1}
    assert kb.rules["change_window"].values == {"months_after_change": 1}
    assert kb.rules["validity"].values == {"adult_years": 10, "minor_years": 5, "adult_age": 18}
    assert kb.rules["residence_obligation"].values["months_per_year"] == 3
    assert kb.rules["collection_abroad"].values == {"days": 30}
    assert kb.rules["card_2023"].values["number_digits"] == 18


def test_real_provenance(kb: KnowledgeBase) -> None:
    for name, provenance in _provenances(kb):
        assert provenance.checked == CHECKED, name
        assert provenance.sources, name
        if provenance.confidence is Confidence.OFFICIAL:
            assert ".gov.cn/" in provenance.primary_source + "/", name


def _strings_under_translatable_keys(node: object, key: str | None = None) -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings_under_translatable_keys(v, str(k))
    elif isinstance(node, list):
        for item in node:
            yield from _strings_under_translatable_keys(item, key)
    elif isinstance(node, str) and key in TRANSLATABLE_KEYS:
        yield node


def test_prose_is_plain_single_line_and_short() -> None:
    assert (
        frozenset(
            {
                "title",
                "label",
                "short",
                "summary",
                "text",
                "conditions",
                "documents",
                "notes",
                "subway",
                "conflicts",
                "missing",
            }
        )
        == TRANSLATABLE_KEYS
    )
    count = 0
    for path in sorted(DATA.glob("*.yaml")):
        for text in _strings_under_translatable_keys(yaml.safe_load(path.read_text("utf-8"))):
            count += 1
            where = f"{path.name}: {text[:60]!r}"
            assert len(text) <= 350, where
            assert "\n" not in text, where
            assert not re.search(r"[<>*`#]|\]\(|\s{2}", text), where
    assert count > 200


# -- broken variants -----------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ to break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _edit_records(
    data_dir: Path, name: str, change: Callable[[list[dict[str, Any]]], None]
) -> None:
    path = data_dir / name
    document = yaml.safe_load(path.read_text("utf-8"))
    (rows,) = document.values()
    change(rows)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


def _record(rows: list[dict[str, Any]], record_id: str) -> dict[str, Any]:
    return next(row for row in rows if row["id"] == record_id)


def _edit_text(data_dir: Path, name: str, after: str, old: str, new: str) -> None:
    """Replace the first `old` that follows the line `after` (a record's id line)."""
    path = data_dir / name
    text = path.read_text("utf-8")
    start = text.index(after)
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :], "utf-8")


def _expect(data_dir: Path, *fragments: str) -> str:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_missing_field(data_copy: Path) -> None:
    _edit_records(data_copy, "fees.yaml", lambda rows: _record(rows, "renewal").pop("sources"))
    message = _expect(data_copy, "data/fees.yaml", "fee 'renewal'", "'sources'")
    assert message == "data/fees.yaml: fee 'renewal': missing field 'sources'"


def test_missing_nested_field(data_copy: Path) -> None:
    _edit_records(
        data_copy, "offices.yaml", lambda rows: _record(rows, "fengtai")["address"].pop("zh")
    )
    _expect(data_copy, "data/offices.yaml", "office 'fengtai'", "missing field 'address.zh'")


def test_empty_required_text(data_copy: Path) -> None:
    _edit_records(
        data_copy, "rules.yaml", lambda rows: _record(rows, "validity").update(text="  ")
    )
    _expect(data_copy, "data/rules.yaml", "rule 'validity'", "field 'text'", "empty")


def test_empty_sources(data_copy: Path) -> None:
    _edit_records(
        data_copy, "offices.yaml", lambda rows: _record(rows, "chaoyang").update(sources=[])
    )
    _expect(data_copy, "data/offices.yaml", "office 'chaoyang'", "field 'sources'", "empty")


def test_non_url_source(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "spouse")["sources"][1] = "russian.beijing.gov.cn/livinginbeijing/"

    _edit_records(data_copy, "pathways.yaml", change)
    _expect(data_copy, "data/pathways.yaml", "pathway 'spouse'", "field 'sources[1]'", "URL")


def test_ftp_source_is_not_http(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "hotline")["sources"].append("ftp://example.org/12367")

    _edit_records(data_copy, "contacts.yaml", change)
    _expect(data_copy, "data/contacts.yaml", "contact 'hotline'", "field 'sources[4]'")


def test_official_source_must_come_first(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "issuance")["sources"].reverse()

    _edit_records(data_copy, "fees.yaml", change)
    _expect(data_copy, "data/fees.yaml", "fee 'issuance'", "field 'sources'", ".gov.cn")


@pytest.mark.parametrize("bad", ["26.11.2026", "soon", 20261126])
def test_bad_checked_value(data_copy: Path, bad: object) -> None:
    _edit_records(
        data_copy, "rules.yaml", lambda rows: _record(rows, "validity").update(checked=bad)
    )
    _expect(data_copy, "data/rules.yaml", "rule 'validity'", "field 'checked'")


def test_impossible_checked_date(data_copy: Path) -> None:
    # An unquoted impossible date makes safe_load itself fail; the record is still named.
    _edit_text(
        data_copy, "rules.yaml", "- id: validity", "checked: 2026-11-26", "checked: 2026-13-40"
    )
    _expect(data_copy, "data/rules.yaml", "rule 'validity'", "field 'checked'", "2026-13-40")


def test_unknown_schedule_id(data_copy: Path) -> None:
    _edit_records(
        data_copy,
        "offices.yaml",
        lambda rows: _record(rows, "shijingshan").update(schedule="shijingshan_old"),
    )
    _expect(data_copy, "data/offices.yaml", "office 'shijingshan'", "field 'schedule'", "unknown")


def test_duplicate_id(data_copy: Path) -> None:
    _edit_records(
        data_copy, "fees.yaml", lambda rows: _record(rows, "replacement").update(id="renewal")
    )
    _expect(data_copy, "data/fees.yaml", "fee 'renewal'", "field 'id'", "duplicate")


def test_duplicate_key(data_copy: Path) -> None:
    _edit_text(
        data_copy,
        "contacts.yaml",
        "- id: wechat",
        "    checked: 2026-11-26\n",
        "    checked: 2026-11-26\n    checked: 2026-11-25\n",
    )
    _expect(data_copy, "data/contacts.yaml", "contact 'wechat'", "field 'checked'", "twice")


def test_yaml_syntax_error(data_copy: Path) -> None:
    _edit_text(
        data_copy,
        "hours.yaml",
        "- id: shijingshan",
        "closed_on_statutory_holidays: true",
        "closed_on_statutory_holidays: [true",
    )
    _expect(
        data_copy,
        "data/hours.yaml",
        "schedule 'shijingshan'",
        "field 'closed_on_statutory_holidays'",
        "YAML syntax error at line",
    )


def test_session_must_open_before_it_closes(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "shijingshan")["sessions"][1] = {"opens": "17:30", "closes": "13:30"}

    _edit_records(data_copy, "hours.yaml", change)
    _expect(data_copy, "data/hours.yaml", "schedule 'shijingshan'", "field 'sessions[1].closes'")


def test_unquoted_time_is_explained(data_copy: Path) -> None:
    _edit_text(data_copy, "hours.yaml", "- id: standard", 'closes: "17:00"', "closes: 17:00")
    _expect(
        data_copy, "data/hours.yaml", "schedule 'standard'", "field 'sessions[0].closes'", "quoted"
    )


def test_unknown_weekday(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "standard")["weekdays"][5] = "saturday"

    _edit_records(data_copy, "hours.yaml", change)
    _expect(data_copy, "data/hours.yaml", "schedule 'standard'", "field 'weekdays[5]'")


def test_overlapping_sessions(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "shijingshan")["sessions"][1]["opens"] = "11:00"

    _edit_records(data_copy, "hours.yaml", change)
    _expect(data_copy, "data/hours.yaml", "schedule 'shijingshan'", "field 'sessions'", "overlap")


@pytest.mark.parametrize(
    ("field", "value"),
    [("confidence", "likely"), ("pr_applications", "maybe"), ("pr_applications", True)],
)
def test_unknown_enum_value(data_copy: Path, field: str, value: object) -> None:
    _edit_records(
        data_copy, "offices.yaml", lambda rows: _record(rows, "tongzhou").update({field: value})
    )
    _expect(data_copy, "data/offices.yaml", "office 'tongzhou'", f"field '{field}'")


def test_unknown_service(data_copy: Path) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        _record(rows, "cbd")["services"].append("work_permits")

    _edit_records(data_copy, "offices.yaml", change)
    _expect(data_copy, "data/offices.yaml", "office 'cbd'", "field 'services[1]'", "work_permits")


def test_unknown_field(data_copy: Path) -> None:
    _edit_records(
        data_copy, "pathways.yaml", lambda rows: _record(rows, "spouse").update(note=["typo"])
    )
    _expect(data_copy, "data/pathways.yaml", "pathway 'spouse'", "field 'note'", "not a known")


def test_two_main_offices(data_copy: Path) -> None:
    _edit_records(
        data_copy, "offices.yaml", lambda rows: _record(rows, "zhongguancun").update(main=True)
    )
    _expect(data_copy, "data/offices.yaml", "office 'zhongguancun'", "field 'main'")


def test_no_main_office(data_copy: Path) -> None:
    _edit_records(data_copy, "offices.yaml", lambda rows: _record(rows, "main").update(main=False))
    _expect(data_copy, "data/offices.yaml", "field 'main'")


@pytest.mark.parametrize(
    ("name", "kind", "record_id"),
    [("fees.yaml", "fee", "issuance"), ("rules.yaml", "rule", "card_2017"),
     ("contacts.yaml", "contact", "nia_portal")],
)  # fmt: skip
def test_required_record_missing(data_copy: Path, name: str, kind: str, record_id: str) -> None:
    def change(rows: list[dict[str, Any]]) -> None:
        rows.remove(_record(rows, record_id))

    _edit_records(data_copy, name, change)
    _expect(data_copy, f"data/{name}", f"{kind} '{record_id}'", "field 'id'", "missing record")


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "documents.yaml").unlink()
    _expect(data_copy, "data/documents.yaml", "not found")
