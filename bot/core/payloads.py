"""The button payload vocabulary: every payload the bot sends is built here, and read here.

A payload is `prefix` or `prefix:argument`. Each prefix is spelled once, as a constant below,
used by the builders and by the state table's routes (`ButtonPress(payloads.TOPIC)`); the
engine hands a step the argument after the first colon. A payload comes back from a client
that may be old (a button pressed weeks later, a stored outbox row, a numbered option kept
with a WeChat or console conversation) or forged, so:

- the strings never change: a prefix or an argument's form, once sent, stays readable;
- the builders guarantee Telegram's limit (callback data of at most 64 bytes, UTF-8) and
  that the payload reads back as built; they raise :class:`PayloadError` when building,
  and the data loaders call them for every id of data/ at start-up, so a long id fails
  there with the file and record named, never at send time;
- the readers (`read_*`) return the value, or None for anything garbled, truncated,
  over-long or forged; the step then gives its usual reply (in most cases "That button is
  no longer valid"), never an exception.

docs/design.md has the table of prefixes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

#: Telegram's limit on callback data, in bytes of UTF-8 (Bot API, InlineKeyboardButton).
LIMIT: Final = 64

# -- prefixes ----------------------------------------------------------------------------

TOPIC: Final = "t"  # t:<topic>: a topic's short answer
MORE: Final = "more"  # more:<topic>:<section>: one section of a topic's details
OFFICE: Final = "oc"  # oc:<office id>: an office's card
OFFICES: Final = "of"  # of: or of:<service>: the office list, all or filtered
COUNTER: Final = "counter"  # counter:<kind>: the Chinese text to show at the counter
FEEDBACK: Final = "fb"  # fb:<topic>:1 or fb:<topic>:0: "was this helpful?"
LANGUAGE: Final = "lang"  # lang: the language list; lang:<code>: choose one
HELP: Final = "help"
MENU: Final = "menu"
CANCEL: Final = "cancel"  # leave a wizard (or anything in progress)
REMIND: Final = "remind"  # remind: the reminders set, else a new one; remind:new
REMIND_EXPIRY: Final = "rexp"  # rexp:<YYYY-MM-DD>: a reminder for this expiry date
STOP_REMINDER: Final = "unsub"  # unsub:<subscription id>
RENEWED: Final = "renewed"  # renewed:<subscription id>: a new expiry replaces the schedule
EVENT: Final = "ev"  # ev:expiry, ev:change, ev:loss: what a reminder is about
WHOSE: Final = "who"  # who:<self|spouse|child|family>: whose card
DATE: Final = "date"  # date:<YYYY-MM-DD>: one reading of an ambiguous date
SAVE: Final = "rsave"  # save the reminders shown
ANOTHER_DATE: Final = "rdate"  # back to the date question
ERASE: Final = "erase"  # erase:yes, erase:no: /deletemydata confirmed or not
CHECK: Final = "elig"  # start the guided eligibility check
CHECK_ANSWER: Final = "el"  # el:<question>:<option>, or el:back
PATHWAY: Final = "pw"  # pw:<pathway id>: one pathway in full
PATHWAYS: Final = "pwl"  # pwl: the pathway list afresh; pwl:<page>: a page of it
PATHWAY_DOCUMENTS: Final = "pd"  # pd:<pathway id>: one pathway's documents
DOCUMENT_CATEGORY: Final = "dc"  # dc:<category>: a category's documents or pathways

#: Every prefix, for the docs and the tests; prefixes are distinct and hold no colon.
PREFIXES: Final = (
    TOPIC,
    MORE,
    OFFICE,
    OFFICES,
    COUNTER,
    FEEDBACK,
    LANGUAGE,
    HELP,
    MENU,
    CANCEL,
    REMIND,
    REMIND_EXPIRY,
    STOP_REMINDER,
    RENEWED,
    EVENT,
    WHOSE,
    DATE,
    SAVE,
    ANOTHER_DATE,
    ERASE,
    CHECK,
    CHECK_ANSWER,
    PATHWAY,
    PATHWAYS,
    PATHWAY_DOCUMENTS,
    DOCUMENT_CATEGORY,
)

#: The section of `more:` that carries an office id (`more:office:<office id>`).
OFFICE_DETAILS: Final = "office"
#: The sections of `more:` that carry a pathway id: `more:pathway:<id>` (the pathway in
#: full) and `more:pdocs:<id>` (all of its documents).
PATHWAY_DETAILS: Final = "pathway"
PATHWAY_DOCUMENTS_DETAILS: Final = "pdocs"
#: The argument of `remind:new` and of `el:back`.
NEW: Final = "new"
BACK: Final = "back"

# An id as the data and the code write them (a topic, an office, a language code...).
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_LARGEST_ID = 2**62  # subscription ids are positive and below this (the stores' integers)


class PayloadError(ValueError):
    """A payload that cannot be built: over Telegram's limit, or not readable back."""


def _build(prefix: str, *parts: str) -> str:
    payload = ":".join((prefix, *parts))
    size = len(payload.encode())
    if size > LIMIT:
        raise PayloadError(
            f"button payload {payload!r} is {size} bytes; Telegram takes at most {LIMIT}"
        )
    return payload


def _name(value: str, what: str) -> str:
    """An argument that must read back as built: an id of letters, digits, '_' and '-'."""
    if not _NAME.fullmatch(value):
        raise PayloadError(f"{what} {value!r} cannot go in a button payload")
    return value


# -- builders -----------------------------------------------------------------------------

# Payloads without an argument are their prefix: HELP, MENU, CANCEL, SAVE, ANOTHER_DATE, CHECK.


def topic(name: str) -> str:
    """`t:fees`: a topic's short answer."""
    return _build(TOPIC, _name(name, "topic"))


def more(topic: str, section: str) -> str:
    """`more:hours:offices`: one section of a topic's details."""
    return _build(MORE, _name(topic, "topic"), _name(section, "section"))


def office_details(office_id: str) -> str:
    """`more:office:<office id>`: the rest of an office's card."""
    return more(OFFICE_DETAILS, office_id)


def office(office_id: str) -> str:
    """`oc:<office id>`: an office's card."""
    return _build(OFFICE, _name(office_id, "office id"))


def offices(service: str | None = None) -> str:
    """`of:` (every office) or `of:first_application` (those offering a service)."""
    return _build(OFFICES, _name(service, "service") if service else "")


def counter(kind: str) -> str:
    """`counter:renewal`: the Chinese text to show at the counter."""
    return _build(COUNTER, _name(kind, "counter kind"))


def feedback(topic: str, helpful: bool) -> str:
    """`fb:fees:1` (helpful) or `fb:fees:0`."""
    return _build(FEEDBACK, _name(topic, "topic"), "1" if helpful else "0")


def language(code: str | None = None) -> str:
    """`lang` (the list of languages) or `lang:de` (answer in German from now on)."""
    return _build(LANGUAGE, _name(code, "language code")) if code else LANGUAGE


def remind(*, new: bool = False) -> str:
    """`remind` (the reminders set, else a new one) or `remind:new` (always a new one)."""
    return _build(REMIND, NEW) if new else REMIND


def remind_expiry(expiry: dt.date) -> str:
    """`rexp:2027-05-10`: the reminder wizard with this expiry date filled in."""
    return _build(REMIND_EXPIRY, expiry.isoformat())


def _subscription(subscription_id: int) -> str:
    if not 0 < subscription_id < _LARGEST_ID:
        raise PayloadError(f"subscription id {subscription_id} cannot go in a button payload")
    return str(subscription_id)


def stop_reminder(subscription_id: int) -> str:
    """`unsub:<id>`: stop one subscription."""
    return _build(STOP_REMINDER, _subscription(subscription_id))


def renewed(subscription_id: int) -> str:
    """`renewed:<id>`: the card was renewed; ask for the new expiry date."""
    return _build(RENEWED, _subscription(subscription_id))


def event(kind: str) -> str:
    """`ev:expiry`, `ev:change` or `ev:loss`: what a reminder is about."""
    return _build(EVENT, _name(kind, "event"))


def whose(code: str) -> str:
    """`who:spouse`: whose card (a code, never a name)."""
    return _build(WHOSE, _name(code, "whose"))


def date(day: dt.date) -> str:
    """`date:2027-05-10`: one reading of an ambiguous date."""
    return _build(DATE, day.isoformat())


def erase(confirmed: bool) -> str:
    """`erase:yes` or `erase:no`."""
    return _build(ERASE, "yes" if confirmed else "no")


def check_answer(question_id: str, option_id: str) -> str:
    """`el:<question>:<option>`: one answer of the eligibility check.

    The question id must be an id and not `back`; the option id may hold any character but
    a line break (it is everything after the question's colon).
    """
    if question_id == BACK:
        raise PayloadError("a check question cannot be called 'back' (el:back goes back)")
    if not option_id or "\n" in option_id:
        raise PayloadError(f"check option {option_id!r} cannot go in a button payload")
    return _build(CHECK_ANSWER, _name(question_id, "check question"), option_id)


def check_back() -> str:
    """`el:back`: one question back in the eligibility check."""
    return _build(CHECK_ANSWER, BACK)


def pathway(pathway_id: str) -> str:
    """`pw:<pathway id>`: one pathway in full."""
    return _build(PATHWAY, _name(pathway_id, "pathway id"))


def pathways(page: int | None = None) -> str:
    """`pwl` (the list, opened afresh as a new message) or `pwl:2` (a page, in place)."""
    if page is None:
        return PATHWAYS
    if page < 0:
        raise PayloadError(f"pathway page {page} cannot go in a button payload")
    return _build(PATHWAYS, str(page))


def pathway_documents(pathway_id: str) -> str:
    """`pd:<pathway id>`: one pathway's documents."""
    return _build(PATHWAY_DOCUMENTS, _name(pathway_id, "pathway id"))


def pathway_details(pathway_id: str) -> str:
    """`more:pathway:<pathway id>`: one pathway in full."""
    return more(PATHWAY_DETAILS, pathway_id)


def pathway_documents_details(pathway_id: str) -> str:
    """`more:pdocs:<pathway id>`: every document of one pathway."""
    return more(PATHWAY_DOCUMENTS_DETAILS, pathway_id)


def document_category(code: str) -> str:
    """`dc:spouse`: a document category."""
    return _build(DOCUMENT_CATEGORY, _name(code, "document category"))


# -- readers: the argument after `prefix:`, or None for anything the builders never make ----


def read_name(argument: str) -> str | None:
    """An id (`fees`, `government_service_center`, `de`), or None."""
    if len(argument.encode()) > LIMIT or not _NAME.fullmatch(argument):
        return None
    return argument


def read_details(argument: str) -> tuple[str, str] | None:
    """`hours:offices` -> ("hours", "offices"), or None."""
    topic, sep, section = argument.partition(":")
    name, part = read_name(topic), read_name(section)
    return (name, part) if sep and name is not None and part is not None else None


def read_feedback(argument: str) -> tuple[str, bool] | None:
    """`fees:1` -> ("fees", True), `fees:0` -> ("fees", False), or None."""
    topic, _sep, value = argument.partition(":")
    name = read_name(topic)
    if name is None or value not in ("0", "1"):
        return None
    return name, value == "1"


def read_date(argument: str) -> dt.date | None:
    """`2027-05-10` -> that date, or None (only the form the builders write)."""
    if len(argument) != len("YYYY-MM-DD"):
        return None
    try:
        day = dt.date.fromisoformat(argument)
    except ValueError:
        return None
    return day if day.isoformat() == argument else None


def read_subscription(argument: str) -> int | None:
    """A subscription id (`42`), or None."""
    if not argument.isascii() or not argument.isdigit() or len(argument) > 19:
        return None
    value = int(argument)
    return value if 0 < value < _LARGEST_ID else None


def read_page(argument: str) -> int | None:
    """A page of the pathway list (`2`), or None (`pwl` alone: the list afresh)."""
    if not argument.isascii() or not argument.isdigit() or len(argument) > 9:
        return None
    return int(argument)


def read_check_answer(argument: str) -> tuple[str, str] | None:
    """`residence:yes` -> ("residence", "yes"), or None (`back` is not an answer)."""
    question, sep, option = argument.partition(":")
    name = read_name(question)
    if not sep or name is None or not option or len(argument.encode()) > LIMIT:
        return None
    return name, option


def read_erase(argument: str) -> bool:
    """Whether the user confirmed: only `erase:yes` deletes anything."""
    return argument == "yes"


def read_remind(argument: str) -> bool:
    """Whether `remind:new` asked for a new reminder (rather than the ones set)."""
    return argument == NEW
