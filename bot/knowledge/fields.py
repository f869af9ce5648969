"""The field types of the data records, and how a validation error is told in one line.

Each type is an ``Annotated`` pydantic type whose validator says what is wrong in the words
a data editor needs (``must be a quoted "HH:MM" string``), instead of pydantic's defaults.
YAML is read with ``safe_load``, so the values arrive as str, int, float, bool, date, list,
dict or None; the validators accept only the ones the data is meant to hold (no coercion of
``"1500"`` into 1500 or of ``yes`` into a weekday).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import ErrorDetails, PydanticCustomError

from bot.core.payloads import PayloadError

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

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_E = TypeVar("_E", bound=StrEnum)
_PROBLEM = "knowledge"  # the error type of every problem raised here
_GATHERED = frozenset({"provenance"})


class Record(BaseModel):
    """A record read from data/: frozen, and every field it has is declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def fail(problem: str, at: str = "") -> NoReturn:
    """Report a problem with the value being validated, or with its part `at` (`closes`, `[2]`)."""
    raise PydanticCustomError(_PROBLEM, "{problem}", {"problem": problem, "at": at})


def type_name(value: object) -> str:
    """`null`, `int`, `list`...: how a wrong value is named in messages."""
    return "null" if value is None else type(value).__name__


# -- validators ----------------------------------------------------------------------------


def check_text(raw: object) -> str:
    """A non-empty, trimmed, single-line string."""
    if raw is None:
        fail("is empty (null)")
    if not isinstance(raw, str):
        fail(f"must be a string, got {type_name(raw)} {raw!r}")
    if not raw.strip():
        fail("is empty")
    if raw != raw.strip():
        fail("has leading or trailing whitespace")
    if "\n" in raw or "\r" in raw:
        fail("contains a line break")
    return raw


def _optional_text(raw: object) -> str | None:
    return None if raw is None else check_text(raw)


def matching(pattern: str, problem: str) -> Callable[[object], str]:
    """A text that must match `pattern`; `problem` is told with `got 'value'` after it."""
    compiled = re.compile(pattern)

    def check(raw: object) -> str:
        value = check_text(raw)
        if not compiled.match(value):
            fail(f"{problem}, got {value!r}")
        return value

    return check


def carried_by(*builders: Callable[[str], str]) -> Callable[[str], str]:
    """An id sent back in button payloads (bot.core.payloads): each payload built from it
    must fit Telegram's 64 bytes and read back as built, or the data fails to load."""

    def check(value: str) -> str:
        for build in builders:
            try:
                build(value)
            except PayloadError as err:
                fail(str(err))
        return value

    return check


def _url(raw: object) -> str:
    text = check_text(raw)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        fail(f"is not an http(s) URL: {text!r}")
    return text


def _whole(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        fail(f"must be a whole number, got {raw!r}")
    return raw


def _flag(raw: object) -> bool:
    if not isinstance(raw, bool):
        fail(f"must be true or false, got {raw!r}")
    return raw


def between(low: float, high: float) -> Callable[[object], float]:
    """A number within [low, high]."""

    def check(raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            fail(f"must be a number, got {raw!r}")
        if not low <= raw <= high:
            fail(f"must be between {low} and {high}, got {raw!r}")
        return float(raw)

    return check


def _date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        fail(f"must be a date (YYYY-MM-DD) without a time, got {raw!r}")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    fail(f"must be a date (YYYY-MM-DD), got {raw!r}")


def _time(raw: object) -> dt.time:
    if isinstance(raw, int) and not isinstance(raw, bool):
        # YAML 1.1 reads an unquoted 17:00 as the base-60 number 1020.
        fail(f'must be a quoted "HH:MM" string (YAML read {raw!r} as a number)')
    if not isinstance(raw, str) or not (match := _TIME_RE.match(raw)):
        fail(f'must be a time "HH:MM", got {raw!r}')
    return dt.time(int(match.group(1)), int(match.group(2)))


def _weekday(raw: object) -> int:
    if not isinstance(raw, str) or raw not in WEEKDAYS:
        fail(f"has unknown weekday {raw!r} (use {', '.join(WEEKDAYS)})")
    return WEEKDAYS[raw]


def choice(enum: type[_E]) -> Callable[[object], _E]:
    """A member of `enum`, given by its string value."""
    allowed = ", ".join(member.value for member in enum)

    def check(raw: object) -> _E:
        if isinstance(raw, bool):
            fail(f"must be one of {allowed} (quote yes/no in YAML), got {raw!r}")
        if isinstance(raw, str):
            try:
                return enum(raw)
            except ValueError:
                pass
        fail(f"has unknown value {raw!r} (allowed: {allowed})")

    return check


def one_of(*allowed: str) -> Callable[[object], str]:
    """A text that is one of a few words."""

    def check(raw: object) -> str:
        value = check_text(raw)
        if value not in allowed:
            fail(f"has unknown value {value!r} (allowed: {', '.join(sorted(allowed))})")
        return value

    return check


def _distinct(raw: object) -> object:
    """A list whose items are all different (checked before the items are converted)."""
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            if item in raw[:index]:
                fail(f"repeats {item!r}", f"[{index}]")
    return raw


def _value_names(raw: object) -> object:
    if not isinstance(raw, dict):
        fail(f"must be a mapping of names to whole numbers, got {type_name(raw)}")
    for name in raw:
        if not isinstance(name, str) or not ID_RE.match(name):
            fail(f"has a bad name {name!r} (use lowercase and '_')")
    return raw


# -- types ---------------------------------------------------------------------------------

#: A non-empty, trimmed, single-line string.
Text = Annotated[str, BeforeValidator(check_text)]
#: The longest name on a button, with the icon and space before it: labels stay within 24.
BUTTON_NAME_LIMIT = 22


def _button_text(raw: object) -> str:
    value = check_text(raw)
    if len(value) > BUTTON_NAME_LIMIT:
        fail(f"must be at most {BUTTON_NAME_LIMIT} characters (a button), got {value!r}")
    return value


#: A short English name shown on a button (the catalogs keep translations within the limit).
ButtonText = Annotated[str, BeforeValidator(_button_text)]
#: A field that must be given but may be null; otherwise a Text.
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
#: A lowercase identifier such as 'renewal' or 'government_service_center'.
Slug = Annotated[
    str, BeforeValidator(matching(ID_RE.pattern, "must be lowercase letters, digits and '_'"))
]
#: An absolute http(s) URL.
Url = Annotated[str, BeforeValidator(_url)]
#: A whole number (booleans are not numbers here).
WholeNumber = Annotated[int, BeforeValidator(_whole)]
#: true or false.
Flag = Annotated[bool, BeforeValidator(_flag)]
#: A calendar date written YYYY-MM-DD.
Day = Annotated[dt.date, BeforeValidator(_date)]
#: A time of day written as a quoted "HH:MM" string.
TimeOfDay = Annotated[dt.time, BeforeValidator(_time)]
#: A non-empty list of different weekday names (mon..sun), as numbers 0..6.
Weekdays = Annotated[
    tuple[Annotated[int, BeforeValidator(_weekday)], ...],
    BeforeValidator(_distinct),
    Field(min_length=1),
]
#: Names (lowercase and '_') mapped to whole numbers.
Values = Annotated[dict[str, WholeNumber], BeforeValidator(_value_names)]
#: A list whose items must all be different.
Distinct = BeforeValidator(_distinct)


# -- errors --------------------------------------------------------------------------------


def describe(detail: ErrorDetails, skip: int = 0) -> str:
    """One problem of a validation error in words: `field 'sessions[1].closes' must be ...`.

    The field is named by its path as the YAML file writes it, without the first `skip` parts
    of its location. Records gather their sources into `provenance`; files write them flat,
    so that name is left out.
    """
    path = ""
    for part in detail["loc"][skip:]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in _GATHERED:
            path += f".{part}" if path else part
    at = str((detail.get("ctx") or {}).get("at", ""))
    if at:
        path += at if at.startswith("[") or not path else f".{at}"
    return _sentence(path, detail)


def _sentence(path: str, detail: ErrorDetails) -> str:
    kind = detail["type"]
    value: Any = detail.get("input")
    if kind == "missing":
        return f"missing field '{path}'"
    if kind == _PROBLEM:
        problem = detail["msg"]
    elif kind == "extra_forbidden":
        problem = "is not a known field"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        problem = f"must be a mapping, got {type_name(value)}"
    elif kind in ("tuple_type", "list_type", "frozen_set_type", "set_type"):
        problem = f"must be a list, got {type_name(value)}"
    elif kind == "too_short":
        problem = "is empty"
    else:
        problem = f"{detail['msg']}, got {value!r}"
    return f"field '{path}' {problem}" if path else problem
