"""Load the facts in data/*.yaml into the frozen records of bot.knowledge.model.

Validation is strict: a missing or empty required field, an unknown field, a source that is
not an http(s) URL, a bad ``checked`` date, an unknown confidence/service/weekday value, an
unknown schedule reference, a duplicate id or key, a session that does not open before it
closes, anything but exactly one main office, or a missing required fee/rule/contact id all
raise :class:`KnowledgeError`.  The message names the file, the record (by id) and the field,
e.g. ``data/fees.yaml: fee 'renewal': missing field 'sources'``.

Only ``yaml.safe_load`` builds data; ``yaml.compose`` (which builds no Python objects) is
used beforehand to report duplicate keys and impossible dates with their record.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

import yaml

from bot.knowledge.model import (
    Confidence,
    Contact,
    Coordinates,
    Fee,
    KnowledgeBase,
    Localized,
    Office,
    Pathway,
    PrAcceptance,
    Provenance,
    Rule,
    Schedule,
    Service,
    Session,
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

#: Weekday names used in data/hours.yaml, mapped to Python's weekday numbers.
WEEKDAYS: Mapping[str, int] = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}

REQUIRED_FEE_IDS: frozenset[str] = frozenset({"application", "issuance", "renewal", "replacement"})
REQUIRED_RULE_IDS: frozenset[str] = frozenset(
    {
        "renewal_window",
        "change_window",
        "loss_damage",
        "validity",
        "minor_card",
        "issuing_authority",
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

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_REF_RE = re.compile(r"^P[0-9]+$")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_FEE_UNITS = frozenset({"person", "card"})
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_ITEM_RE = re.compile(r"^(\s*)-\s+id\s*:\s*(\S+)")

_E = TypeVar("_E", bound=StrEnum)


class KnowledgeError(Exception):
    """The data files are missing, malformed or inconsistent."""


class _Record:
    """One YAML mapping being read, with enough context to name it in errors."""

    def __init__(
        self, file: str, kind: str, label: str, data: Mapping[str, object], prefix: str = ""
    ) -> None:
        self.file = file
        self.kind = kind
        self.label = label
        self.data = data
        self.prefix = prefix
        self.used: set[str] = set()

    @classmethod
    def top(cls, file: str, kind: str, index: int, data: Mapping[str, object]) -> _Record:
        """A record of a file's list, labelled by its id (or its position if it has none)."""
        return cls(file, kind, _label(data, index), data)

    def fail(self, field: str, problem: str) -> NoReturn:
        """Raise a KnowledgeError naming file, record and field."""
        raise KnowledgeError(
            f"{self.file}: {self.kind} {self.label}: field '{self.prefix}{field}' {problem}"
        )

    def get(self, key: str) -> object:
        """The raw value of a field that must be present (it may be null)."""
        self.used.add(key)
        if key not in self.data:
            raise KnowledgeError(
                f"{self.file}: {self.kind} {self.label}: missing field '{self.prefix}{key}'"
            )
        return self.data[key]

    def get_optional(self, key: str, default: object) -> object:
        """The raw value of a field that may be left out."""
        self.used.add(key)
        return self.data.get(key, default)

    def finish(self) -> None:
        """Reject fields this record kind does not have (usually typos)."""
        for key in self.data:
            if key not in self.used:
                self.fail(str(key), "is not a known field")

    def sub(self, key: str, raw: object) -> _Record:
        """A nested mapping, whose fields are reported as 'key.field'."""
        if not isinstance(raw, dict):
            self.fail(key, f"must be a mapping, got {_type(raw)}")
        return _Record(self.file, self.kind, self.label, raw, f"{self.prefix}{key}.")

    # -- typed values ----------------------------------------------------------------------

    def text(self, key: str) -> str:
        """A required non-empty single-line string."""
        return self.check_text(key, self.get(key))

    def optional_text(self, key: str) -> str | None:
        """A field that must be present but may be null; otherwise a non-empty string."""
        raw = self.get(key)
        return None if raw is None else self.check_text(key, raw)

    def check_text(self, key: str, raw: object) -> str:
        """Check that a value is a non-empty, trimmed, single-line string."""
        if raw is None:
            self.fail(key, "is empty (null)")
        if not isinstance(raw, str):
            self.fail(key, f"must be a string, got {_type(raw)} {raw!r}")
        if not raw.strip():
            self.fail(key, "is empty")
        if raw != raw.strip():
            self.fail(key, "has leading or trailing whitespace")
        if "\n" in raw or "\r" in raw:
            self.fail(key, "contains a line break")
        return raw

    def items(self, key: str, *, allow_empty: bool) -> list[object]:
        """A list field (empty only where allowed)."""
        raw = self.get(key)
        if not isinstance(raw, list):
            self.fail(key, f"must be a list, got {_type(raw)}")
        if not raw and not allow_empty:
            self.fail(key, "is empty")
        return raw

    def text_list(self, key: str, *, allow_empty: bool) -> tuple[str, ...]:
        """A list of non-empty strings."""
        raw = self.items(key, allow_empty=allow_empty)
        return tuple(self.check_text(f"{key}[{i}]", item) for i, item in enumerate(raw))

    def slug(self, key: str) -> str:
        """A lowercase identifier such as 'renewal' or 'government_service_center'."""
        value = self.text(key)
        if not _ID_RE.match(value):
            self.fail(key, f"must be lowercase letters, digits and '_', got {value!r}")
        return value

    def integer(self, key: str, raw: object) -> int:
        """A whole number (booleans are rejected)."""
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.fail(key, f"must be a whole number, got {raw!r}")
        return raw

    def boolean(self, key: str) -> bool:
        """true or false."""
        raw = self.get(key)
        if not isinstance(raw, bool):
            self.fail(key, f"must be true or false, got {raw!r}")
        return raw

    def number(self, key: str, low: float, high: float) -> float:
        """A number within [low, high]."""
        raw = self.get(key)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.fail(key, f"must be a number, got {raw!r}")
        if not low <= raw <= high:
            self.fail(key, f"must be between {low} and {high}, got {raw!r}")
        return float(raw)

    def choice(self, key: str, enum: type[_E], raw: object) -> _E:
        """A member of the given enum, by its string value."""
        allowed = ", ".join(member.value for member in enum)
        if isinstance(raw, bool):
            self.fail(key, f"must be one of {allowed} (quote yes/no in YAML), got {raw!r}")
        if not isinstance(raw, str):
            self.fail(key, f"has unknown value {raw!r} (allowed: {allowed})")
        try:
            return enum(raw)
        except ValueError:
            self.fail(key, f"has unknown value {raw!r} (allowed: {allowed})")

    def url(self, key: str, raw: object) -> str:
        """An absolute http(s) URL."""
        text = self.check_text(key, raw)
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            self.fail(key, f"is not an http(s) URL: {text!r}")
        return text

    def date(self, key: str) -> dt.date:
        """A calendar date written YYYY-MM-DD."""
        raw = self.get(key)
        if isinstance(raw, dt.datetime):
            self.fail(key, f"must be a date (YYYY-MM-DD) without a time, got {raw!r}")
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                pass
        self.fail(key, f"must be a date (YYYY-MM-DD), got {raw!r}")

    def time(self, key: str, raw: object) -> dt.time:
        """A time of day written as a quoted "HH:MM" string."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
            self.fail(key, f'must be a quoted "HH:MM" string (YAML read {raw!r} as a number)')
        if not isinstance(raw, str) or not (match := _TIME_RE.match(raw)):
            self.fail(key, f'must be a time "HH:MM", got {raw!r}')
        return dt.time(int(match.group(1)), int(match.group(2)))

    def weekdays(self, key: str) -> tuple[int, ...]:
        """A non-empty list of weekday names (mon..sun), as numbers 0..6."""
        days: list[int] = []
        for i, raw in enumerate(self.items(key, allow_empty=False)):
            if not isinstance(raw, str) or raw not in WEEKDAYS:
                known = ", ".join(WEEKDAYS)
                self.fail(f"{key}[{i}]", f"has unknown weekday {raw!r} (use {known})")
            if WEEKDAYS[raw] in days:
                self.fail(f"{key}[{i}]", f"repeats {raw!r}")
            days.append(WEEKDAYS[raw])
        return tuple(days)

    def values(self) -> dict[str, int]:
        """The optional 'values' mapping of names to whole numbers."""
        raw = self.get_optional("values", {})
        if not isinstance(raw, dict):
            self.fail("values", f"must be a mapping of names to whole numbers, got {_type(raw)}")
        result: dict[str, int] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or not _ID_RE.match(name):
                self.fail("values", f"has a bad name {name!r} (use lowercase and '_')")
            result[name] = self.integer(f"values.{name}", value)
        return result

    def provenance(self) -> Provenance:
        """The sources, checked date and confidence every record carries."""
        raw = self.get("sources")
        if raw is None or raw == []:
            self.fail("sources", "is empty")
        if not isinstance(raw, list):
            self.fail("sources", f"must be a list of URLs, got {_type(raw)}")
        sources = tuple(self.url(f"sources[{i}]", s) for i, s in enumerate(raw))
        for i, source in enumerate(sources):
            if source in sources[:i]:
                self.fail(f"sources[{i}]", f"repeats {source!r}")
        checked = self.date("checked")
        confidence = self.choice("confidence", Confidence, self.get("confidence"))
        official = [_is_official(source) for source in sources]
        if any(official) and not official[0]:
            self.fail("sources", "must list the official .gov.cn page first")
        if confidence is Confidence.OFFICIAL and not official[0]:
            self.fail("confidence", "is 'official' but no source is on a .gov.cn site")
        return Provenance(sources=sources, checked=checked, confidence=confidence)


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _label(data: Mapping[str, object], index: int) -> str:
    raw_id = data.get("id")
    return f"'{raw_id}'" if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"


def _is_official(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "gov.cn" or host.endswith(".gov.cn")


# -- files ---------------------------------------------------------------------------------


class _File:
    """One data file: its label for messages and its list of records."""

    def __init__(self, data_dir: Path, name: str, list_key: str, kind: str) -> None:
        self.label = f"{data_dir.name}/{name}"
        self.kind = kind
        self.list_key = list_key
        path = data_dir / name
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KnowledgeError(f"{self.label}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"{self.label}: cannot read file: {exc}") from None
        self.records = self._parse(text)

    def fail(self, problem: str) -> NoReturn:
        """Raise a KnowledgeError about the file as a whole."""
        raise KnowledgeError(f"{self.label}: {problem}")

    def _parse(self, text: str) -> list[_Record]:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            where = self._locate(text, exc)
            self.fail(f"{where}YAML syntax error{_where(exc)}: {_problem(exc)}")
        if root is not None:
            self._scan(root, None, "")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.fail(f"YAML error{_where(exc)}: {_problem(exc)}")
        except ValueError as exc:  # pragma: no cover - _scan reports these with their record
            self.fail(f"invalid value: {exc}")
        if not isinstance(data, dict):
            self.fail(f"must be a mapping with the key '{self.list_key}'")
        for key in data:
            if key != self.list_key:
                self.fail(f"unknown top-level key {key!r} (expected only '{self.list_key}')")
        if self.list_key not in data:
            self.fail(f"missing top-level key '{self.list_key}'")
        rows = data[self.list_key]
        if not isinstance(rows, list) or not rows:
            self.fail(f"'{self.list_key}' must be a non-empty list of records")
        records: list[_Record] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                self.fail(f"{self.kind} #{index + 1} must be a mapping, got {_type(row)}")
            records.append(_Record.top(self.label, self.kind, index, row))
        return records

    def _locate(self, text: str, exc: yaml.YAMLError) -> str:
        """Best effort: the record and field around a syntax error, as "kind 'id': field 'x': "."""
        problem = getattr(exc, "problem_mark", None)
        if problem is None:
            return ""
        lines = text.splitlines()
        start = None  # (line index, indent) of the record item the error is in
        for index in range(min(problem.line, len(lines) - 1), -1, -1):
            if match := _ITEM_RE.match(lines[index]):
                start = (index, len(match.group(1)), match.group(2))
                break
        if start is None:
            return ""
        first, indent, record_id = start
        target = problem.line
        context = getattr(exc, "context_mark", None)
        if context is not None and first <= context.line < target:
            target = context.line
        key_re = re.compile(rf"^ {{{indent + 2}}}([A-Za-z_][A-Za-z0-9_]*)\s*:")
        field = "id"
        for index in range(min(target, len(lines) - 1), first, -1):
            if match := key_re.match(lines[index]):
                field = match.group(1)
                break
        return f"{self.kind} '{record_id.strip(chr(34) + chr(39))}': field '{field}': "

    def _scan(self, node: yaml.Node, record: str | None, path: str) -> None:
        """Report duplicate keys and impossible dates, which safe_load hides or cannot place."""

        def fail(problem: str) -> NoReturn:
            where = f"{self.kind} {record}: " if record else ""
            self.fail(f"{where}field '{path}' {problem}")

        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _value in node.value:
                key = str(key_node.value)
                if key in seen:
                    path = f"{path}.{key}" if path else key
                    fail(f"is given twice{_where_node(key_node)}")
                seen.add(key)
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if record is None and key == self.list_key:
                    if isinstance(value_node, yaml.SequenceNode):
                        for index, item in enumerate(value_node.value):
                            self._scan(item, _node_label(item, index), "")
                    continue
                self._scan(value_node, record, f"{path}.{key}" if path else key)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._scan(item, record, f"{path}[{index}]")
        elif isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP_TAG:
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(node)
            except ValueError as exc:
                fail(f"must be a real date (YYYY-MM-DD), got {node.value!r}: {exc}")


def _node_label(node: yaml.Node, index: int) -> str:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                key_node.value == "id"
                and isinstance(value_node, yaml.ScalarNode)
                and str(value_node.value).strip()
            ):
                return f"'{value_node.value}'"
    return f"#{index + 1}"


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return ""
    return f" at line {mark.line + 1}, column {mark.column + 1}"


def _where_node(node: yaml.Node) -> str:
    return f" (line {node.start_mark.line + 1})"


def _problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def _check_ids(file: _File, records: list[_Record], ids: list[str]) -> None:
    first: dict[str, int] = {}
    for index, record_id in enumerate(ids):
        if record_id in first:
            records[index].fail("id", f"duplicates the id of {file.kind} #{first[record_id] + 1}")
        first[record_id] = index


def _check_required(file: _File, ids: list[str], required: frozenset[str]) -> None:
    for record_id in sorted(required - set(ids)):
        raise KnowledgeError(
            f"{file.label}: {file.kind} '{record_id}': missing record"
            " (a required value of field 'id')"
        )


# -- record readers ------------------------------------------------------------------------


def _fee(record: _Record) -> Fee:
    fee_id = record.slug("id")
    title = record.text("title")
    amount = record.integer("amount", record.get("amount"))
    if amount <= 0:
        record.fail("amount", f"must be positive, got {amount}")
    currency = record.text("currency")
    if not _CURRENCY_RE.match(currency):
        record.fail("currency", f"must be a 3-letter code such as CNY, got {currency!r}")
    per = record.text("per")
    if per not in _FEE_UNITS:
        record.fail("per", f"has unknown value {per!r} (allowed: {', '.join(sorted(_FEE_UNITS))})")
    provenance = record.provenance()
    record.finish()
    return Fee(fee_id, title, amount, currency, per, provenance)


def _schedule(record: _Record) -> Schedule:
    schedule_id = record.slug("id")
    weekdays = record.weekdays("weekdays")
    sessions: list[Session] = []
    for i, raw in enumerate(record.items("sessions", allow_empty=False)):
        sub = record.sub(f"sessions[{i}]", raw)
        opens = sub.time("opens", sub.get("opens"))
        closes = sub.time("closes", sub.get("closes"))
        if opens >= closes:
            sub.fail("closes", f"must be after opens ({opens:%H:%M} >= {closes:%H:%M})")
        days: tuple[int, ...] = ()
        if "weekdays" in sub.data:
            days = sub.weekdays("weekdays")
            for day in days:
                if day not in weekdays:
                    sub.fail("weekdays", "must be days the schedule itself lists in 'weekdays'")
        sub.finish()
        sessions.append(Session(opens, closes, days))
    for day in weekdays:
        today = sorted(
            (s for s in sessions if not s.weekdays or day in s.weekdays), key=lambda s: s.opens
        )
        if not today:
            record.fail("sessions", f"has no session on weekday {day} listed in 'weekdays'")
        for earlier, later in itertools.pairwise(today):
            if later.opens < earlier.closes:
                record.fail("sessions", f"has overlapping sessions on weekday {day}")
    closed = record.boolean("closed_on_statutory_holidays")
    conflicts = record.text_list("conflicts", allow_empty=True)
    provenance = record.provenance()
    record.finish()
    return Schedule(schedule_id, weekdays, tuple(sessions), closed, provenance, conflicts)


def _office(record: _Record, schedule_ids: set[str]) -> Office:
    office_id = record.slug("id")
    main = record.boolean("main")
    label = record.text("label")
    aliases = record.text_list("aliases", allow_empty=True)
    name_rec = record.sub("name", record.get("name"))
    name = Localized(name_rec.text("en"), name_rec.optional_text("zh"))
    name_rec.finish()
    address_rec = record.sub("address", record.get("address"))
    address = Localized(address_rec.optional_text("en"), address_rec.optional_text("zh"))
    address_rec.finish()
    district = record.text("district")
    phones: list[str] = []
    for i, raw in enumerate(record.items("phones", allow_empty=True)):
        phone = record.check_text(f"phones[{i}]", raw)
        if not _PHONE_RE.match(phone):
            record.fail(f"phones[{i}]", f"is not a phone number (digits only): {phone!r}")
        phones.append(phone)
    subway = record.optional_text("subway")
    coordinates = _coordinates(record)
    schedule_id = record.optional_text("schedule")
    if schedule_id is not None and schedule_id not in schedule_ids:
        known = ", ".join(sorted(schedule_ids))
        record.fail("schedule", f"refers to unknown schedule {schedule_id!r} (known: {known})")
    services: set[Service] = set()
    for i, raw in enumerate(record.items("services", allow_empty=True)):
        service = record.choice(f"services[{i}]", Service, raw)
        if service in services:
            record.fail(f"services[{i}]", f"repeats {service.value!r}")
        services.add(service)
    pr = record.choice("pr_applications", PrAcceptance, record.get("pr_applications"))
    takes_first = Service.FIRST_APPLICATION in services
    if takes_first and pr is PrAcceptance.UNKNOWN:
        record.fail("pr_applications", "is 'unknown' but services include first_application")
    if not takes_first and pr is not PrAcceptance.UNKNOWN:
        record.fail("services", f"must include first_application when pr_applications is {pr!r}")
    notes = record.text_list("notes", allow_empty=True)
    provenance = record.provenance()
    record.finish()
    return Office(
        id=office_id,
        label=label,
        name=name,
        address=address,
        district=district,
        phones=tuple(phones),
        subway=subway,
        coordinates=coordinates,
        schedule_id=schedule_id,
        services=frozenset(services),
        pr_applications=pr,
        notes=notes,
        provenance=provenance,
        main=main,
        aliases=aliases,
    )


def _coordinates(record: _Record) -> Coordinates | None:
    raw = record.get("coordinates")
    if raw is None:
        return None
    sub = record.sub("coordinates", raw)
    coordinates = Coordinates(
        latitude=sub.number("latitude", -90.0, 90.0),
        longitude=sub.number("longitude", -180.0, 180.0),
        source=sub.url("source", sub.get("source")),
    )
    sub.finish()
    return coordinates


def _rule(record: _Record) -> Rule:
    rule_id = record.slug("id")
    text = record.text("text")
    values = record.values()
    provenance = record.provenance()
    record.finish()
    return Rule(rule_id, text, provenance, values)


def _step(record: _Record) -> Step:
    step_id = record.slug("id")
    text = record.text("text")
    provenance = record.provenance()
    record.finish()
    return Step(step_id, text, provenance)


def _pathway(record: _Record, refs: dict[str, str]) -> Pathway:
    pathway_id = record.slug("id")
    ref = record.text("ref")
    if not _REF_RE.match(ref):
        record.fail("ref", f"must look like P4, got {ref!r}")
    if ref in refs:
        record.fail("ref", f"repeats {ref!r} of pathway '{refs[ref]}'")
    refs[ref] = pathway_id
    pathway = Pathway(
        id=pathway_id,
        title=record.text("title"),
        summary=record.text("summary"),
        conditions=record.text_list("conditions", allow_empty=False),
        documents=record.text_list("documents", allow_empty=True),
        notes=record.text_list("notes", allow_empty=True),
        provenance=record.provenance(),
    )
    record.finish()
    return pathway


def _contact(record: _Record) -> Contact:
    contact = Contact(
        id=record.slug("id"),
        title=record.text("title"),
        value=record.check_text("value", record.get("value")),
        text=record.text("text"),
        provenance=record.provenance(),
    )
    record.finish()
    return contact


# -- entry point ---------------------------------------------------------------------------


def load_knowledge(data_dir: Path) -> KnowledgeBase:
    """Read and validate every data/*.yaml file into one KnowledgeBase."""
    fees_file = _File(data_dir, "fees.yaml", "fees", "fee")
    fees = [_fee(r) for r in fees_file.records]
    _check_ids(fees_file, fees_file.records, [f.id for f in fees])
    _check_required(fees_file, [f.id for f in fees], REQUIRED_FEE_IDS)

    hours_file = _File(data_dir, "hours.yaml", "schedules", "schedule")
    schedules = [_schedule(r) for r in hours_file.records]
    _check_ids(hours_file, hours_file.records, [s.id for s in schedules])
    schedule_ids = {s.id for s in schedules}

    offices_file = _File(data_dir, "offices.yaml", "offices", "office")
    offices = [_office(r, schedule_ids) for r in offices_file.records]
    _check_ids(offices_file, offices_file.records, [o.id for o in offices])
    mains = [i for i, o in enumerate(offices) if o.main]
    if not mains:
        offices_file.fail("no office has field 'main' set to true (exactly one must)")
    if len(mains) > 1:
        offices_file.records[mains[1]].fail(
            "main", f"is true, but office '{offices[mains[0]].id}' is already the main office"
        )

    rules_file = _File(data_dir, "rules.yaml", "rules", "rule")
    rules = [_rule(r) for r in rules_file.records]
    _check_ids(rules_file, rules_file.records, [r.id for r in rules])
    _check_required(rules_file, [r.id for r in rules], REQUIRED_RULE_IDS)

    process_file = _File(data_dir, "process.yaml", "steps", "step")
    steps = [_step(r) for r in process_file.records]
    _check_ids(process_file, process_file.records, [s.id for s in steps])

    pathways_file = _File(data_dir, "pathways.yaml", "pathways", "pathway")
    refs: dict[str, str] = {}
    pathways = [_pathway(r, refs) for r in pathways_file.records]
    _check_ids(pathways_file, pathways_file.records, [p.id for p in pathways])

    contacts_file = _File(data_dir, "contacts.yaml", "contacts", "contact")
    contacts = [_contact(r) for r in contacts_file.records]
    _check_ids(contacts_file, contacts_file.records, [c.id for c in contacts])
    _check_required(contacts_file, [c.id for c in contacts], REQUIRED_CONTACT_IDS)

    documents_file = _File(data_dir, "documents.yaml", "documents", "document")
    documents = [_rule(r) for r in documents_file.records]
    _check_ids(documents_file, documents_file.records, [d.id for d in documents])

    return KnowledgeBase(
        fees=tuple(fees),
        schedules={s.id: s for s in schedules},
        offices=tuple(offices),
        rules={r.id: r for r in rules},
        steps=tuple(steps),
        pathways=tuple(pathways),
        contacts={c.id: c for c in contacts},
        documents=tuple(documents),
    )
