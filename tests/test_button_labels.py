"""Every button fits a phone: at most 24 characters in every language the bot speaks.

The labels are found in the code itself: every `Button(...)` in bot/ is read with `ast`. A
label written as `_("...")` is checked in every compiled catalog; every other form (a label
table, a data field, a name or a date put together at run time) must be one the test knows,
and is checked here from its source (the tables, data/*.yaml, the catalogs, the dates).
A new kind of button label fails the test until it is added below.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import BotApp, Resources
from bot.core import dialogue, menu, remind
from bot.core.text import use_translator
from bot.knowledge.answers import authorities
from tests.conftest import Chat

LIMIT = 24  # characters (Python len), as the project's style asks
ROOT = Path(__file__).resolve().parents[1]

# Labels not written as _("..."): where they are built (file: source of the label argument),
# each checked below from what it is built of.
KNOWN_BUILT = {
    "bot/core/menu.py": {"_(TOPIC_LABELS[topic])"},
    # more_button(label, ...): its callers' labels are read below like Button's
    "bot/knowledge/answers/common.py": {"_(TOPIC_LABELS[Topic(t)])", "label"},
    "bot/core/dialogue.py": {
        "LANGUAGE_NAMES.get(code, code)",
        "_(_INTENT_LABELS[g])",
        'f"✅ {name}"',
    },
    "bot/core/remind.py": {
        "_(label)",  # WHOSE_LABELS
        "translator.format_date(first)",
        "translator.format_date(second)",
        "label",  # the stop button of the reminder list
    },
    "bot/core/eligibility.py": {"_(o.label)"},
    "bot/knowledge/answers/offices.py": {'"📍 " + office_short(o)'},
    "bot/knowledge/answers/authorities.py": {
        '"📍 " + office_short(o)',
        "_(label)",  # CATEGORY_LABELS
        "_(p.short)",
    },
    "bot/knowledge/answers/pathways.py": {
        "_(p.short)",
        '"📄 " + _(p.short)',
        "_(by_id[i].short)",
        "label",  # "ℹ️ More details" or "✅ Conditions"
    },
    "bot/core/render.py": {'b["label"]'},  # decoding the outbox: labels made elsewhere
}


def _button_labels() -> Iterator[tuple[str, ast.expr, str]]:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        source = path.read_text("utf-8")
        for node in ast.walk(ast.parse(source)):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) in ("Button", "more_button")
            ):
                continue
            label = (
                node.args[0]
                if node.args
                else next(k.value for k in node.keywords if k.arg == "label")
            )
            yield str(path.relative_to(ROOT)), label, ast.get_source_segment(source, label) or ""


def _literal_msgids() -> set[str]:
    found = set()
    for _path, label, _segment in _button_labels():
        if (
            isinstance(label, ast.Call)
            and getattr(label.func, "id", None) == "_"
            and isinstance(label.args[0], ast.Constant)
        ):
            found.add(str(label.args[0].value))
    return found


def test_every_button_label_is_of_a_known_kind() -> None:
    built: dict[str, set[str]] = {}
    for path, _label, segment in _button_labels():
        if segment.startswith('_("'):
            continue
        built.setdefault(path, set()).add(segment)
    unknown = {p: s - KNOWN_BUILT.get(p, set()) for p, s in built.items()}
    assert {p: s for p, s in unknown.items() if s} == {}, "a new kind of label: check it here"
    assert len(_literal_msgids()) >= 20


def _msgids(resources: Resources) -> set[str]:
    """Every English button label that goes through the catalogs as it is."""
    msgids = set(_literal_msgids())
    msgids |= set(menu.TOPIC_LABELS.values())
    msgids |= set(dialogue._INTENT_LABELS.values())
    msgids |= set(remind.WHOSE_LABELS.values())
    msgids |= set(authorities.CATEGORY_LABELS.values())
    msgids |= {o.label for q in resources.eligibility.questions for o in q.options}
    return msgids


def _names(resources: Resources) -> set[tuple[str, str]]:
    """Data names shown after an icon: (icon and space, English name)."""
    names = {("📄 ", p.short) for p in resources.knowledge.pathways}
    names |= {("", p.short) for p in resources.knowledge.pathways}
    names |= {("📍 ", o.short) for o in resources.knowledge.offices}
    return names


def _too_long(resources: Resources, language: str) -> list[str]:
    translator = resources.translators[language]
    labels = {translator.gettext(m) for m in _msgids(resources)}
    labels |= {icon + translator.gettext(name) for icon, name in _names(resources)}
    name = menu.LANGUAGE_NAMES[language]
    labels |= {name, f"✅ {name}"}
    with use_translator(translator):
        # the longest date of each month, as the ambiguous-date buttons show it
        labels |= {translator.format_date(dt.date(2027, m, 28)) for m in range(1, 13)}
        labels |= {remind.stop_label(n) for n in (1, 12)}
    return sorted(label for label in labels if len(label) > LIMIT)


def test_there_are_labels_of_every_kind(resources: Resources) -> None:
    msgids = _msgids(resources)
    assert {"💰 Fees", "☰ Main menu", "👍 Helpful", "◀ Back", "➕ Add a reminder"} <= msgids
    assert len(msgids) > 50 and len(_names(resources)) > 40


@pytest.mark.parametrize("language", ["en", "zh", "ru", "ko", "ja", "fr", "de", "es", "ar"])
def test_every_button_label_fits_in_every_language(resources: Resources, language: str) -> None:
    assert _too_long(resources, language) == []


WALK = [
    ("say", "/start"),
    ("say", "/address"),
    ("press", "of:first_application"),
    ("press", "oc:main"),
    ("say", "/pathways"),
    ("press", "pwl:1"),
    ("press", "pwl:2"),
    ("press", "pw:spouse"),
    ("say", "/eligibility"),
    ("press", "elig"),
    ("press", "el:family:none"),
    ("press", "el:work:investor"),
    ("press", "el:investment:medium"),
    ("press", "el:origin:doctorate"),
    ("say", "/remind"),
    ("press", "ev:expiry"),
    ("press", "who:family"),
    ("say", "03/04/2027"),
    ("press", "date:2027-04-03"),
    ("press", "rsave"),
    ("say", "/reminders"),
    ("say", "/fees"),
    ("say", "/language"),
    ("say", "/deletemydata"),
]


@pytest.mark.parametrize("language", ["zh", "ru", "ko", "ja", "fr", "de", "es", "ar"])
async def test_the_buttons_a_user_meets_fit(app: BotApp, language: str) -> None:
    chat = Chat(app, chat_id=f"walk-{language}")
    await chat.press(f"lang:{language}")
    seen: list[str] = []
    for action, value in WALK:
        replies = await (chat.say(value) if action == "say" else chat.press(value))
        seen += [b.label for r in replies for row in r.buttons for b in row]
    assert len(seen) > 100
    assert "🔕" in "".join(seen) and "📍" in "".join(seen)  # the built labels were met
    assert [label for label in seen if len(label) > LIMIT] == []
