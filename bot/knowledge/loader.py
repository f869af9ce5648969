"""Load the facts in data/*.yaml into the frozen records of bot.knowledge.model.

Validation is strict. Each record is validated by its pydantic model (bot.knowledge.model):
a missing or empty required field, an unknown field, a source that is not an http(s) URL, a
bad ``checked`` date, an unknown confidence/service/weekday value, an unknown schedule
reference or a session that does not open before it closes. Across records, this module
rejects a duplicate id, anything but exactly one main office, a repeated pathway ref and a
missing required fee/rule/contact id. The example phrasings beside the facts (data/intents/,
data/pathway_intents/) are checked here too, as the matcher that reads them next cannot say
what is wrong. The YAML itself (syntax, duplicate keys, impossible dates) is checked by
bot.knowledge.files. Every problem raises :class:`KnowledgeError`, whose
message names the file, the record (by id) and the field, e.g.
``data/fees.yaml: fee 'renewal': missing field 'sources'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from bot.knowledge.fields import WEEKDAYS
from bot.knowledge.files import DataFile, KnowledgeError, repeats
from bot.knowledge.model import (
    Contact,
    CounterFile,
    Fee,
    KnowledgeBase,
    Office,
    Pathway,
    Rule,
    Schedule,
    Step,
)

__all__ = [
    "REQUIRED_CONTACT_IDS",
    "REQUIRED_FEE_IDS",
    "REQUIRED_RULE_IDS",
    "TRANSLATABLE_KEYS",
    "WEEKDAYS",
    "KnowledgeError",
    "load_knowledge",
]

#: YAML keys whose string values (or lists of strings) are English prose for the catalogs.
TRANSLATABLE_KEYS: frozenset[str] = frozenset(
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

REQUIRED_FEE_IDS: frozenset[str] = frozenset({"application", "issuance", "renewal", "replacement"})
REQUIRED_RULE_IDS: frozenset[str] = frozenset(
    {
        "renewal_window",
        "change_window",
        "loss_damage",
        "validity",
        "minor_card",
        "issuing_authority",
        "other_matters",
        "change_items",
        "renewal_documents",
        "loss_procedure",
        "card_2023",
        "card_2017",
        "residence_obligation",
        "cancellation",
        "processing_time",
        "collection",
        "collection_abroad",
        "agent_filing",
    }
)
REQUIRED_CONTACT_IDS: frozenset[str] = frozenset(
    {"hotline", "main_phone", "wechat", "website", "nia_portal"}
)

_R = TypeVar("_R", Fee, Schedule, Office, Rule, Step, Pathway, Contact)


def _read(
    data_dir: Path,
    name: str,
    list_key: str,
    kind: str,
    model: type[_R],
    context: Mapping[str, object] | None = None,
) -> tuple[DataFile, list[_R]]:
    """A file of records, each validated as `model`, with no two records sharing an id."""
    file = DataFile(data_dir / name, list_key, kind)
    records = [file.validate_record(model, i, context) for i in range(len(file.records()))]
    for index, first in repeats(str(record.id) for record in records):
        file.record_fail(index, "id", f"duplicates the id of {kind} #{first + 1}")
    return file, records


def _check_required(file: DataFile, ids: Sequence[str], required: frozenset[str]) -> None:
    for record_id in sorted(required - set(ids)):
        raise KnowledgeError(
            f"{file.label}: {file.kind} '{record_id}': missing record"
            " (a required value of field 'id')"
        )


def _check_one_main(file: DataFile, offices: Sequence[Office]) -> None:
    mains = [i for i, o in enumerate(offices) if o.main]
    if not mains:
        file.fail("no office has field 'main' set to true (exactly one must)")
    if len(mains) > 1:
        file.record_fail(
            mains[1],
            "main",
            f"is true, but office '{offices[mains[0]].id}' is already the main office",
        )


def _check_refs(file: DataFile, pathways: Sequence[Pathway]) -> None:
    refs: dict[str, str] = {}
    for index, pathway in enumerate(pathways):
        if pathway.ref in refs:
            file.record_fail(
                index, "ref", f"repeats {pathway.ref!r} of pathway '{refs[pathway.ref]}'"
            )
        refs[pathway.ref] = pathway.id


def load_knowledge(data_dir: Path) -> KnowledgeBase:
    """Read and validate every data/*.yaml file into one KnowledgeBase."""
    fees_file, fees = _read(data_dir, "fees.yaml", "fees", "fee", Fee)
    _check_required(fees_file, [f.id for f in fees], REQUIRED_FEE_IDS)
    _, schedules = _read(data_dir, "hours.yaml", "schedules", "schedule", Schedule)
    offices_file, offices = _read(
        data_dir,
        "offices.yaml",
        "offices",
        "office",
        Office,
        {"schedules": {s.id for s in schedules}},
    )
    _check_one_main(offices_file, offices)
    rules_file, rules = _read(data_dir, "rules.yaml", "rules", "rule", Rule)
    _check_required(rules_file, [r.id for r in rules], REQUIRED_RULE_IDS)
    _, steps = _read(data_dir, "process.yaml", "steps", "step", Step)
    pathways_file, pathways = _read(data_dir, "pathways.yaml", "pathways", "pathway", Pathway)
    _check_refs(pathways_file, pathways)
    contacts_file, contacts = _read(data_dir, "contacts.yaml", "contacts", "contact", Contact)
    _check_required(contacts_file, [c.id for c in contacts], REQUIRED_CONTACT_IDS)
    _, documents = _read(data_dir, "documents.yaml", "documents", "document", Rule)
    counter = _read_counter(data_dir, {r.id for r in rules})
    return KnowledgeBase(
        fees=tuple(fees),
        schedules={s.id: s for s in schedules},
        offices=tuple(offices),
        rules={r.id: r for r in rules},
        steps=tuple(steps),
        pathways=tuple(pathways),
        contacts={c.id: c for c in contacts},
        documents=tuple(documents),
        counter=counter,
    )


def _read_counter(data_dir: Path, rule_ids: set[str]) -> CounterFile:
    """data/counter.yaml: every kind once, each rule it follows known, templates well formed."""
    file = DataFile(data_dir / "counter.yaml", None, "counter")
    counter = file.validate(CounterFile, {"kinds": ("kind", "id")})
    for index, _first in repeats(kind.id for kind in counter.kinds):
        file.fail(f"kind '{counter.kinds[index].id}': repeats an id")
    for kind in counter.kinds:
        if kind.rule is not None and kind.rule not in rule_ids:
            file.fail(f"kind '{kind.id}': field 'rule' names unknown rule {kind.rule!r}")
    templates = counter.templates
    for field, needed in (("expiry", "{date}"), ("change", "{date}"), ("bring", "{items}")):
        if needed not in getattr(templates, field):
            file.fail(f"templates: field '{field}' must contain {needed}")
    if "{name}" not in templates.office or "{address}" not in templates.office:
        file.fail("templates: field 'office' must contain {name} and {address}")
    return counter
