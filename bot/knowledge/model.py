"""Frozen records for the facts in data/: what the loader builds and the answers read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a fact comes from and when it was last checked."""

    sources: tuple[str, ...]
    checked: dt.date
    confidence: Confidence

    @property
    def primary_source(self) -> str:
        """The first source listed: the official page where there is one."""
        return self.sources[0]


@dataclass(frozen=True, slots=True)
class Localized:
    """A text given in English and, where a source has it, in Chinese."""

    en: str | None
    zh: str | None = None


@dataclass(frozen=True, slots=True)
class Fee:
    """One fee (application, issuance, renewal, replacement)."""

    id: str
    title: str  # English, translated through the catalogs
    amount: int
    currency: str
    per: str  # "person" or "card"
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Session:
    """One opening session of a day, in Beijing local time."""

    opens: dt.time
    closes: dt.time
    weekdays: tuple[int, ...] = ()  # only on these days (0 = Monday); () = every schedule day


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly opening hours shared by one or more offices."""

    id: str
    weekdays: tuple[int, ...]  # 0 = Monday ... 6 = Sunday
    sessions: tuple[Session, ...]
    closed_on_statutory_holidays: bool
    provenance: Provenance
    conflicts: tuple[str, ...] = ()  # English notes on what other sources say

    def sessions_on(self, weekday: int) -> tuple[Session, ...]:
        """The sessions held on this weekday (0 = Monday); empty when closed that day."""
        if weekday not in self.weekdays:
            return ()
        return tuple(s for s in self.sessions if not s.weekdays or weekday in s.weekdays)


@dataclass(frozen=True, slots=True)
class Coordinates:
    """A map pin with the page it comes from."""

    latitude: float
    longitude: float
    source: str


@dataclass(frozen=True, slots=True)
class Office:
    """An exit-entry service hall."""

    id: str
    label: str  # a short English name for lists, translated through the catalogs
    name: Localized
    address: Localized
    district: str
    phones: tuple[str, ...]
    subway: str | None
    coordinates: Coordinates | None
    schedule_id: str | None  # None: hours not published
    services: frozenset[Service]
    pr_applications: PrAcceptance
    notes: tuple[str, ...]  # English, translated through the catalogs
    provenance: Provenance
    main: bool = False
    aliases: tuple[str, ...] = ()  # how people name it in questions, in any language


@dataclass(frozen=True, slots=True)
class Rule:
    """A renewal, change, loss or card rule, with the numbers it depends on."""

    id: str
    text: str  # English, translated through the catalogs
    provenance: Provenance
    values: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the application process."""

    id: str
    text: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Pathway:
    """An eligibility pathway (category) for permanent residence."""

    id: str
    title: str
    summary: str
    conditions: tuple[str, ...]
    documents: tuple[str, ...]
    notes: tuple[str, ...]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Contact:
    """A hotline, official account or website."""

    id: str
    title: str
    value: str
    text: str
    provenance: Provenance


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

    @property
    def main_office(self) -> Office:
        """The main reception hall."""
        return next(o for o in self.offices if o.main)
