"""Frozen records for the facts in data/: what the loader builds and the answers read.

The records are pydantic models that validate themselves: a file's record is checked field by
field as it is read (see bot.knowledge.fields for the field types and their messages), then as
a whole (sessions that overlap, an official source that is not listed first). Checks across
records and files (duplicate ids, the one main office) are the loader's.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.core import payloads
from bot.knowledge.fields import (
    ButtonText,
    Day,
    Distinct,
    Flag,
    OptionalText,
    Record,
    Slug,
    Text,
    TimeOfDay,
    Url,
    Values,
    Weekdays,
    WholeNumber,
    between,
    carried_by,
    check_text,
    choice,
    fail,
    matching,
    one_of,
)

_CURRENCY = r"^[A-Z]{3}$"
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")


class Confidence(StrEnum):
    """How much a record can be trusted: an official .gov.cn page or a secondary source."""

    OFFICIAL = "official"
    SECONDARY = "secondary"


class PrAcceptance(StrEnum):
    """Whether an office takes first-time permanent-residence applications."""

    YES = "yes"
    RESTRICTED = "restricted"
    UNKNOWN = "unknown"


class Service(StrEnum):
    """What a person can do at an office."""

    FIRST_APPLICATION = "first_application"
    RENEWAL = "renewal"
    REPLACEMENT = "replacement"
    COLLECTION = "collection"
    VISAS = "visas"


_PROVENANCE_FIELDS = ("sources", "checked", "confidence")


class Provenance(Record):
    """Where a fact comes from and when it was last checked."""

    sources: Annotated[tuple[Url, ...], Distinct, Field(min_length=1)]
    checked: Day
    confidence: Annotated[Confidence, BeforeValidator(choice(Confidence))]

    @property
    def primary_source(self) -> str:
        """The first source listed: the official page where there is one."""
        return self.sources[0]

    @model_validator(mode="after")
    def _official_first(self) -> Provenance:
        official = [_is_official(source) for source in self.sources]
        if any(official) and not official[0]:
            fail("must list the official .gov.cn page first", "sources")
        if self.confidence is Confidence.OFFICIAL and not official[0]:
            fail("is 'official' but no source is on a .gov.cn site", "confidence")
        return self


class Sourced(Record):
    """A record with a provenance, which the files write as flat fields of the record."""

    @model_validator(mode="before")
    @classmethod
    def _gather_provenance(cls, data: Any) -> Any:
        if not isinstance(data, dict) or isinstance(data.get("provenance"), Provenance):
            return data
        if "provenance" in data:
            fail("is not a known field", "provenance")
        flat = {k: v for k, v in data.items() if k not in _PROVENANCE_FIELDS}
        return {**flat, "provenance": {k: data[k] for k in _PROVENANCE_FIELDS if k in data}}


#: Languages an office's name may have an official form in, besides English and Chinese.
OFFICIAL_LANGUAGES = ("de", "fr", "es", "ru", "ja", "ko", "ar")


class Localized(Record):
    """A text given in English and, where a source has it, in Chinese (both keys required).

    `pinyin` spells the Chinese in Hanyu Pinyin, word by word; the other languages hold an
    official translation, only where a beijing.gov.cn page in that language gives one.
    """

    en: OptionalText
    zh: OptionalText
    pinyin: OptionalText = None
    de: OptionalText = None
    fr: OptionalText = None
    es: OptionalText = None
    ru: OptionalText = None
    ja: OptionalText = None
    ko: OptionalText = None
    ar: OptionalText = None

    def official(self, language: str) -> str | None:
        """The official form in `language` (en, zh or one of OFFICIAL_LANGUAGES), if any."""
        if language == "en":
            return self.en
        if language == "zh":
            return self.zh
        if language in OFFICIAL_LANGUAGES:
            value: str | None = getattr(self, language)
            return value
        return None

    @model_validator(mode="after")
    def _pinyin_spells_the_chinese(self) -> Localized:
        if self.pinyin is not None and self.zh is None:
            fail("is given but there is no Chinese ('zh') to spell", "pinyin")
        return self


class Name(Localized):
    """A name, which always has its English form."""

    en: Text


class Fee(Sourced):
    """One fee (application, issuance, renewal, replacement)."""

    id: Slug
    title: Text  # English, translated through the catalogs
    aliases: tuple[Text, ...] = ()  # words naming this fee in a question, in any language
    amount: WholeNumber
    currency: Annotated[
        str, BeforeValidator(matching(_CURRENCY, "must be a 3-letter code such as CNY"))
    ]
    per: Annotated[str, BeforeValidator(one_of("person", "card"))]
    provenance: Provenance

    @field_validator("amount")
    @classmethod
    def _positive(cls, amount: int) -> int:
        if amount <= 0:
            fail(f"must be positive, got {amount}")
        return amount


class Session(Record):
    """One opening session of a day, in Beijing local time."""

    opens: TimeOfDay
    closes: TimeOfDay
    weekdays: Weekdays = ()  # only on these days (0 = Monday); () = every schedule day
    by_appointment: Flag = False  # only with an appointment made beforehand

    @model_validator(mode="after")
    def _opens_before_closes(self) -> Session:
        if self.opens >= self.closes:
            fail(f"must be after opens ({self.opens:%H:%M} >= {self.closes:%H:%M})", "closes")
        return self


class Schedule(Sourced):
    """Weekly opening hours shared by one or more offices."""

    id: Slug
    weekdays: Weekdays  # 0 = Monday ... 6 = Sunday
    sessions: Annotated[tuple[Session, ...], Field(min_length=1)]
    closed_on_statutory_holidays: Flag
    # Open on statutory holidays except these (names as the holiday calendar gives them).
    closed_on_holidays: tuple[Text, ...] = ()
    conflicts: tuple[Text, ...]  # English notes on what other sources say
    provenance: Provenance

    def closed_for(self, holiday: str | None) -> bool:
        """Whether the offices close on a statutory holiday of this name."""
        return self.closed_on_statutory_holidays or holiday in self.closed_on_holidays

    def sessions_on(self, weekday: int) -> tuple[Session, ...]:
        """The sessions held on this weekday (0 = Monday); empty when closed that day."""
        if weekday not in self.weekdays:
            return ()
        return tuple(s for s in self.sessions if not s.weekdays or weekday in s.weekdays)

    @model_validator(mode="after")
    def _sessions_fit_the_week(self) -> Schedule:
        for index, session in enumerate(self.sessions):
            if not set(session.weekdays) <= set(self.weekdays):
                fail(
                    "must be days the schedule itself lists in 'weekdays'",
                    f"sessions[{index}].weekdays",
                )
        for day in self.weekdays:
            today = sorted(self.sessions_on(day), key=lambda s: s.opens)
            if not today:
                fail(f"has no session on weekday {day} listed in 'weekdays'", "sessions")
            for earlier, later in itertools.pairwise(today):
                if later.opens < earlier.closes:
                    fail(f"has overlapping sessions on weekday {day}", "sessions")
        return self


class Coordinates(Record):
    """A map pin with the page it comes from."""

    latitude: Annotated[float, BeforeValidator(between(-90.0, 90.0))]
    longitude: Annotated[float, BeforeValidator(between(-180.0, 180.0))]
    source: Url


class Office(Sourced):
    """An exit-entry service hall."""

    id: Annotated[Slug, AfterValidator(carried_by(payloads.office, payloads.office_details))]
    main: Flag
    label: Text  # a short English name for lists, translated through the catalogs
    short: ButtonText  # the name on its button (at most 22 characters, "📍 " before it)
    aliases: tuple[Text, ...]  # how people name it in questions, in any language
    name: Name
    address: Localized
    district: Text
    phones: tuple[Annotated[str, BeforeValidator(_phone)], ...]
    subway: OptionalText
    coordinates: Coordinates | None
    schedule_id: OptionalText = Field(alias="schedule")  # None: hours not published
    services: Annotated[frozenset[Annotated[Service, BeforeValidator(choice(Service))]], Distinct]
    pr_applications: Annotated[PrAcceptance, BeforeValidator(choice(PrAcceptance))]
    notes: tuple[Text, ...]  # English, translated through the catalogs
    provenance: Provenance

    @field_validator("schedule_id")
    @classmethod
    def _known_schedule(cls, schedule_id: str | None, info: ValidationInfo) -> str | None:
        known = (info.context or {}).get("schedules")
        if schedule_id is not None and known is not None and schedule_id not in known:
            names = ", ".join(sorted(known))
            fail(f"refers to unknown schedule {schedule_id!r} (known: {names})")
        return schedule_id

    @model_validator(mode="after")
    def _services_match_pr(self) -> Office:
        takes_first = Service.FIRST_APPLICATION in self.services
        pr = self.pr_applications
        if takes_first and pr is PrAcceptance.UNKNOWN:
            fail("is 'unknown' but services include first_application", "pr_applications")
        if not takes_first and pr is not PrAcceptance.UNKNOWN:
            fail(f"must include first_application when pr_applications is {pr!r}", "services")
        return self


class Rule(Sourced):
    """A renewal, change, loss or card rule, with the numbers it depends on."""

    id: Slug
    text: Text  # English, translated through the catalogs
    summary: OptionalText = None  # the rule in one short sentence, for a first answer
    values: Values = Field(default_factory=dict)
    provenance: Provenance


class Step(Sourced):
    """One step of the application process."""

    id: Slug
    text: Text
    summary: OptionalText = None  # the step in a few words, for the first answer
    provenance: Provenance


CATEGORIES = ("spouse", "work", "investment", "talent", "dependants")


class Minimum(Record):
    """A length of time a pathway asks for: `marriage` or `residence`, in whole years."""

    measure: Annotated[str, BeforeValidator(one_of("marriage", "residence"))]
    years: WholeNumber


class Pathway(Sourced):
    """An eligibility pathway (category) for permanent residence."""

    id: Annotated[
        Slug,
        AfterValidator(
            carried_by(
                payloads.pathway,
                payloads.pathway_details,
                payloads.pathway_documents,
                payloads.pathway_documents_details,
            )
        ),
    ]
    ref: Annotated[str, BeforeValidator(matching(r"^P[0-9]+$", "must look like P4"))]
    title: Text
    short: ButtonText  # the name on its button (at most 22 characters, "📄 " before it)
    summary: Text
    conditions: Annotated[tuple[Text, ...], Field(min_length=1)]
    documents: tuple[Text, ...]
    notes: tuple[Text, ...]
    provenance: Provenance
    minimums: tuple[Minimum, ...] = ()  # "5 years of marriage": what a question is held to
    # the group its documents are offered under: spouse, work, investment, talent, dependants
    category: Annotated[str | None, BeforeValidator(one_of(*CATEGORIES))] = None


class Contact(Sourced):
    """A hotline, official account or website."""

    id: Slug
    title: Text
    value: Text
    text: Text
    provenance: Provenance


class CounterTemplates(Record):
    """The Chinese sentences of the counter text; {date}, {items}, {name}, {address} filled in."""

    expiry: Text
    change: Text
    bring: Text
    joiner: Text
    ask: Text
    office: Text


class CounterKind(Sourced):
    """One errand shown at the counter: what the person wants, what they bring (Chinese)."""

    id: Annotated[str, BeforeValidator(one_of("renewal", "change", "loss", "first_application"))]
    rule: OptionalText  # the rule in rules.yaml the list follows, if any
    purpose: Text
    bring: Annotated[tuple[Text, ...], Distinct, Field(min_length=1)]
    dates: Annotated[
        tuple[Annotated[str, BeforeValidator(one_of("expiry", "change"))], ...], Distinct
    ]
    provenance: Provenance


class CounterFile(Record):
    """data/counter.yaml: the templates and one record per kind."""

    templates: CounterTemplates
    kinds: Annotated[tuple[CounterKind, ...], Field(min_length=1)]


class HolidayRange(Record):
    """Days off in a row for one holiday (both ends included)."""

    name: Text  # the chinese-calendar package's English name, e.g. "National Day"
    start: Day
    end: Day

    @model_validator(mode="after")
    def _in_order(self) -> HolidayRange:
        if self.end < self.start:
            fail(f"must not be before start ({self.end} < {self.start})", "end")
        return self


class HolidayYear(Sourced):
    """One year's statutory holidays and adjusted working days, from the State Council."""

    year: WholeNumber
    notice: Text  # the notice's title
    issued: Day
    holidays: Annotated[tuple[HolidayRange, ...], Field(min_length=1)]
    workdays: Annotated[tuple[Day, ...], Distinct]  # weekend days made working days (调休)
    provenance: Provenance

    @model_validator(mode="after")
    def _days_fit_the_year(self) -> HolidayYear:
        days_off: set[dt.date] = set()
        for index, holiday in enumerate(self.holidays):
            if holiday.start.year != self.year or holiday.end.year != self.year:
                fail(f"must lie in {self.year}", f"holidays[{index}]")
            span = (holiday.end - holiday.start).days + 1
            days = {holiday.start + dt.timedelta(days=n) for n in range(span)}
            if days & days_off:
                fail("overlaps an earlier holiday", f"holidays[{index}]")
            days_off |= days
        for index, day in enumerate(self.workdays):
            if day.year != self.year:
                fail(f"must lie in {self.year}", f"workdays[{index}]")
            if day.weekday() < 5:
                fail(
                    f"is a weekday ({day}); only a weekend day can be made a working day",
                    f"workdays[{index}]",
                )
            if day in days_off:
                fail(f"is also a holiday ({day})", f"workdays[{index}]")
        return self


class HolidaysFile(Record):
    """data/holidays.yaml: the years whose notices we have."""

    years: Annotated[tuple[HolidayYear, ...], Field(min_length=1)]


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Everything in data/, validated."""

    fees: tuple[Fee, ...]
    schedules: dict[str, Schedule]
    offices: tuple[Office, ...]
    rules: dict[str, Rule]
    steps: tuple[Step, ...]
    pathways: tuple[Pathway, ...]
    contacts: dict[str, Contact]
    documents: tuple[Rule, ...]
    counter: CounterFile | None = None  # data/counter.yaml

    def fee(self, fee_id: str) -> Fee:
        """The fee with this id."""
        for fee in self.fees:
            if fee.id == fee_id:
                return fee
        raise KeyError(fee_id)

    def office(self, office_id: str) -> Office:
        """The office with this id."""
        for office in self.offices:
            if office.id == office_id:
                return office
        raise KeyError(office_id)

    def step(self, step_id: str) -> Step | None:
        """The application step with this id, or None."""
        return next((s for s in self.steps if s.id == step_id), None)

    def pathway(self, pathway_id: str) -> Pathway | None:
        """The pathway with this id, or None (ids come from buttons, which may be forged)."""
        return next((p for p in self.pathways if p.id == pathway_id), None)

    @property
    def main_office(self) -> Office:
        """The main reception hall."""
        return next(o for o in self.offices if o.main)


def _is_official(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "gov.cn" or host.endswith(".gov.cn")


def _phone(raw: object) -> str:
    phone = check_text(raw)
    if not _PHONE_RE.match(phone):
        fail(f"is not a phone number (digits only): {phone!r}")
    return phone
