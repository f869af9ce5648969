"""Button payloads: built in one module, unchanged on the wire, and safe to receive forged.

- The code: every `Button(...)` in bot/ takes its payload from bot.core.payloads, every
  route matches a prefix constant of it, and no payload-shaped string is written anywhere
  else (read with `ast`, as test_button_labels reads the labels).
- The wire: each builder writes exactly the string the bot has always sent, so old buttons in
  chats, stored outbox rows and numbered options keep working; each payload the data can
  produce fits Telegram's 64 bytes, and an id that would not fails the loader at start-up.
- Forged, truncated, over-long or unknown payloads, pressed in a real app: the user gets the
  step's usual answer in their language (mostly "That button is no longer valid"), never an
  exception.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import BotApp, Resources
from bot.core import payloads
from bot.core.dialogue import build_dialogue
from bot.core.engine import ButtonPress
from bot.core.payloads import PayloadError
from bot.core.text import _, use_translator
from bot.core.types import Outbound
from bot.knowledge.answers.authorities import CATEGORY_LABELS
from bot.knowledge.checkfile import load_check
from bot.knowledge.loader import KnowledgeError, load_knowledge
from tests.conftest import Chat, payloads_of, text_of

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MODULE = "bot/core/payloads.py"

# -- the code ------------------------------------------------------------------------------

# A string that is a payload with an argument: a known prefix and a colon.
_SHAPED = re.compile(rf"^({'|'.join(map(re.escape, payloads.PREFIXES))}):")
# Bare payloads that are no English word used otherwise (commands, control words).
_BARE = {payloads.SAVE, payloads.ANOTHER_DATE, payloads.CHECK, payloads.PATHWAYS}

# Payload arguments of Button(...) that are not a payloads.X or payloads.x(...) expression,
# by file: each passes on a payload built by the module.
KNOWN_PASSED = {
    "bot/knowledge/answers/common.py": {"payload"},  # back_button(payload)
    "bot/core/dialogue.py": {"_intent_payload(g)"},  # returns payloads.* only
    "bot/core/render.py": {'b.get("payload", "")'},  # decoding a stored outbox row
}
# Calls that take a payload, and their payload arguments written otherwise.
PASSING = {"back_button": 0}
KNOWN_BACK = {"back or payloads.topic(topic)"}  # details_reply(back=...), built by callers


def _from_module(node: ast.expr) -> bool:
    """`payloads.X` or `payloads.x(...)`."""
    target = node.func if isinstance(node, ast.Call) else node
    return (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "payloads"
    )


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            found.add(id(body[0].value))
    return found


def problems(source: str, path: str) -> Iterator[str]:
    """Every place of `source` that builds or matches a payload without bot.core.payloads."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        text = node.value if isinstance(node, ast.Constant) else None
        shaped = isinstance(text, str) and (_SHAPED.match(text) or text in _BARE)
        if shaped and id(node) not in docstrings:
            yield f"{path}:{getattr(node, 'lineno', 0)}: payload string {text!r}"
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and _SHAPED.match(str(head.value)):
                yield f"{path}:{node.lineno}: payload f-string"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            if isinstance(left, ast.Constant) and _SHAPED.match(str(left.value)):
                yield f"{path}:{node.lineno}: payload built with +"
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None)
        if name == "ButtonPress" and not (node.args and _from_module(node.args[0])):
            yield f"{path}:{node.lineno}: a route's prefix not from payloads"
        payload: ast.expr | None = None
        if name == "Button":
            keyword = next((k.value for k in node.keywords if k.arg == "payload"), None)
            payload = node.args[1] if len(node.args) > 1 else keyword
        elif name in PASSING and len(node.args) > PASSING[name]:
            payload = node.args[PASSING[name]]
        for keyword_node in node.keywords if name == "details_reply" else ():
            if keyword_node.arg == "back":
                segment = ast.get_source_segment(source, keyword_node.value) or ""
                if not _from_module(keyword_node.value) and segment not in KNOWN_BACK:
                    yield f"{path}:{node.lineno}: back={segment}"
        if payload is None or _from_module(payload):
            continue
        segment = ast.get_source_segment(source, payload) or ""
        if segment not in KNOWN_PASSED.get(path, set()) and segment not in KNOWN_BACK:
            yield f"{path}:{node.lineno}: payload {segment}"


def _sources() -> Iterator[tuple[str, str]]:
    for file in sorted((ROOT / "bot").rglob("*.py")):
        path = str(file.relative_to(ROOT))
        if path != MODULE:
            yield path, file.read_text("utf-8")


def test_no_payload_is_built_outside_the_payloads_module() -> None:
    found = [p for path, source in _sources() for p in problems(source, path)]
    assert found == []


def test_the_scan_sees_the_buttons_and_routes() -> None:
    """The scan reads real calls: many buttons and routes take their payload from the module."""
    buttons = routes = 0
    for _path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Button":
                keyword = next((k.value for k in node.keywords if k.arg == "payload"), None)
                payload = node.args[1] if len(node.args) > 1 else keyword
                buttons += payload is not None and _from_module(payload)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ButtonPress":
                routes += 1
    assert buttons >= 50
    assert routes == len(payloads.PREFIXES)  # one route per prefix


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('Button(_("x"), f"t:{topic}")', "payload f-string"),
        ('Button(_("x"), "oc:" + office.id)', "payload built with +"),
        ('Button(_("x"), "menu")', 'payload "menu"'),
        ('Button(_("x"), payload="rsave")', "payload string 'rsave'"),
        ('Button(_("x"), MENU_PAYLOAD)', "payload MENU_PAYLOAD"),
        ('Route(ButtonPress("oc"), show_office)', "a route's prefix not from payloads"),
        ('details_reply(text, p, "address", back=f"oc:{office.id}")', "back=f"),
        ('back_button("t:fees")', "payload string 't:fees'"),
        ('x = "more:hours:offices"', "payload string 'more:hours:offices'"),
    ],
)
def test_the_scan_finds_a_hand_built_payload(source: str, found: str) -> None:
    assert any(found in p for p in problems(source, "bot/example.py"))


def test_words_that_are_not_payloads_are_left_alone() -> None:
    source = (
        '"""Docstring: `more:<topic>:<section>` and `t:fees`."""\n'
        'Route(Command("menu"), show_menu)\n'
        'word = "cancel"\n'
        'key = "w:" + word\n'
        'Button(_("x"), payloads.topic("fees"))\n'
        "Button(_(\"x\"), url='https://example.org')\n"
    )
    assert list(problems(source, "bot/example.py")) == []


def test_every_route_prefix_is_a_known_prefix_once() -> None:
    dialogue = build_dialogue()
    routes = [*dialogue.global_routes, *dialogue.fallback_routes]
    routes += [r for table in dialogue.states.values() for r in table]
    prefixes = [r.trigger.prefix for r in routes if isinstance(r.trigger, ButtonPress)]
    assert sorted(prefixes) == sorted(payloads.PREFIXES)
    assert len(set(payloads.PREFIXES)) == len(payloads.PREFIXES)
    assert all(":" not in p for p in payloads.PREFIXES)


# -- the wire -------------------------------------------------------------------------------

DAY = dt.date(2027, 5, 10)

# What the bot has always sent: these strings must never change.
ON_THE_WIRE = [
    (payloads.topic("fees"), "t:fees"),
    (payloads.topic("open_now"), "t:open_now"),
    (payloads.more("hours", "offices"), "more:hours:offices"),
    (payloads.office_details("chaoyang"), "more:office:chaoyang"),
    (payloads.pathway_details("spouse"), "more:pathway:spouse"),
    (payloads.pathway_documents_details("spouse"), "more:pdocs:spouse"),
    (payloads.office("chaoyang"), "oc:chaoyang"),
    (payloads.offices(), "of:"),
    (payloads.offices("first_application"), "of:first_application"),
    (payloads.counter("renewal"), "counter:renewal"),
    (payloads.feedback("fees", True), "fb:fees:1"),
    (payloads.feedback("fees", False), "fb:fees:0"),
    (payloads.language(), "lang"),
    (payloads.language("zh"), "lang:zh"),
    (payloads.HELP, "help"),
    (payloads.MENU, "menu"),
    (payloads.CANCEL, "cancel"),
    (payloads.remind(), "remind"),
    (payloads.remind(new=True), "remind:new"),
    (payloads.remind_expiry(DAY), "rexp:2027-05-10"),
    (payloads.stop_reminder(42), "unsub:42"),
    (payloads.renewed(42), "renewed:42"),
    (payloads.event("expiry"), "ev:expiry"),
    (payloads.event("loss"), "ev:loss"),
    (payloads.whose("spouse"), "who:spouse"),
    (payloads.date(DAY), "date:2027-05-10"),
    (payloads.SAVE, "rsave"),
    (payloads.ANOTHER_DATE, "rdate"),
    (payloads.erase(True), "erase:yes"),
    (payloads.erase(False), "erase:no"),
    (payloads.CHECK, "elig"),
    (payloads.check_answer("family", "spouse"), "el:family:spouse"),
    (payloads.check_back(), "el:back"),
    (payloads.pathway("spouse"), "pw:spouse"),
    (payloads.pathways(), "pwl"),
    (payloads.pathways(2), "pwl:2"),
    (payloads.pathway_documents("spouse"), "pd:spouse"),
    (payloads.document_category("work"), "dc:work"),
]


@pytest.mark.parametrize(("built", "sent"), ON_THE_WIRE)
def test_a_payload_is_the_string_always_sent(built: str, sent: str) -> None:
    assert built == sent


def test_every_prefix_is_on_the_wire() -> None:
    heads = {sent.partition(":")[0] for _built, sent in ON_THE_WIRE}
    assert heads == set(payloads.PREFIXES)


def test_what_is_built_reads_back() -> None:
    assert payloads.read_name("government_service_center") == "government_service_center"
    assert payloads.read_details("office:chaoyang") == ("office", "chaoyang")
    assert payloads.read_feedback("fees:1") == ("fees", True)
    assert payloads.read_feedback("fees:0") == ("fees", False)
    assert payloads.read_date("2027-05-10") == DAY
    assert payloads.read_subscription("42") == 42
    assert payloads.read_page("2") == 2
    assert payloads.read_check_answer("family:spouse") == ("family", "spouse")
    assert payloads.read_erase("yes") and not payloads.read_erase("no")
    assert payloads.read_remind("new") and not payloads.read_remind("")


@pytest.mark.parametrize(
    ("reader", "argument"),
    [
        (payloads.read_name, ""),
        (payloads.read_name, "../../etc/passwd"),
        (payloads.read_name, "fees\x00"),
        (payloads.read_name, "fees:1"),
        (payloads.read_name, "x" * 65),
        (payloads.read_details, "hours"),
        (payloads.read_details, "hours:"),
        (payloads.read_details, ":offices"),
        (payloads.read_details, "hours:offices:more"),
        (payloads.read_feedback, "fees"),
        (payloads.read_feedback, "fees:2"),
        (payloads.read_feedback, "fees:1:1"),
        (payloads.read_feedback, ":1"),
        (payloads.read_date, "2027-02-30"),
        (payloads.read_date, "2027-05-1"),
        (payloads.read_date, "20270510"),
        (payloads.read_date, "tomorrow"),
        (payloads.read_date, ""),
        (payloads.read_subscription, "0"),
        (payloads.read_subscription, "-3"),
        (payloads.read_subscription, "+3"),
        (payloads.read_subscription, "٣"),  # an Arabic-Indic digit int() would take
        (payloads.read_subscription, "9" * 5000),
        (payloads.read_subscription, str(2**62)),
        (payloads.read_page, "-1"),
        (payloads.read_page, "two"),
        (payloads.read_page, "9" * 5000),
        (payloads.read_check_answer, "family"),
        (payloads.read_check_answer, "family:"),
        (payloads.read_check_answer, ":spouse"),
        (payloads.read_check_answer, "family:" + "x" * 64),
    ],
)
def test_a_reader_refuses_what_no_builder_makes(reader: Any, argument: str) -> None:
    assert reader(argument) is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: payloads.topic("x" * 63),
        lambda: payloads.office_details("x" * 55),
        lambda: payloads.pathway("x" * 62),
        lambda: payloads.topic("fees:1"),
        lambda: payloads.office("chao yang"),
        lambda: payloads.office(""),
        lambda: payloads.language("中文"),
        lambda: payloads.check_answer("back", "yes"),
        lambda: payloads.check_answer("family", ""),
        lambda: payloads.stop_reminder(0),
        lambda: payloads.stop_reminder(2**62),
        lambda: payloads.pathways(-1),
    ],
)
def test_a_payload_that_would_not_fit_or_read_back_fails_when_built(build: Any) -> None:
    with pytest.raises(PayloadError):
        build()


def test_the_limit_is_telegrams_64_bytes_inclusive() -> None:
    assert len(payloads.topic("x" * 62).encode()) == 64
    with pytest.raises(PayloadError, match="65 bytes; Telegram takes at most 64"):
        payloads.topic("x" * 63)


def test_the_longest_ids_in_data_fit(resources: Resources) -> None:
    """Every payload the data can produce, built: each within Telegram's 64 bytes."""
    knowledge = resources.knowledge
    built = [payloads.office(o.id) for o in knowledge.offices]
    built += [payloads.office_details(o.id) for o in knowledge.offices]
    built += [payloads.pathway(p.id) for p in knowledge.pathways]
    built += [payloads.pathway_documents(p.id) for p in knowledge.pathways]
    built += [payloads.pathway_details(p.id) for p in knowledge.pathways]
    built += [payloads.pathway_documents_details(p.id) for p in knowledge.pathways]
    built += [payloads.document_category(c) for c in CATEGORY_LABELS]
    assert knowledge.counter is not None
    built += [payloads.counter(k.id) for k in knowledge.counter.kinds]
    built += [
        payloads.check_answer(q.id, o.id)
        for q in resources.eligibility.questions
        for o in q.options
    ]
    built += [payloads.language(code) for code in resources.translators]
    built += [payloads.stop_reminder(2**62 - 1), payloads.renewed(2**62 - 1)]
    assert max(len(p.encode()) for p in built) <= payloads.LIMIT
    # the longest today, so a test notices when data grows towards the limit
    assert max(len(p.encode()) for p in built) == len("more:pathway:chinese_origin_services_zone")


# -- start-up: a data id that cannot make its payload fails the loader -------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def _rename(path: Path, key: str, old: str, new: str) -> None:
    document = yaml.safe_load(path.read_text("utf-8"))
    for row in document[key]:
        if row["id"] == old:
            row["id"] = new
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")


def test_an_office_id_too_long_for_a_button_stops_the_loader(data_copy: Path) -> None:
    long_id = "chaoyang_" + "x" * 50  # oc: fits; more:office: does not
    _rename(data_copy / "offices.yaml", "offices", "chaoyang", long_id)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_copy)
    message = str(caught.value)
    assert "data/offices.yaml" in message and "field 'id'" in message, message
    assert "64" in message and f"more:office:{long_id}" in message, message


def test_a_pathway_id_too_long_for_a_button_stops_the_loader(data_copy: Path) -> None:
    _rename(data_copy / "pathways.yaml", "pathways", "spouse", "spouse_" + "x" * 60)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_copy)
    assert "data/pathways.yaml" in str(caught.value)
    assert "Telegram takes at most 64" in str(caught.value)


def test_a_check_answer_too_long_for_a_button_stops_the_loader(
    data_copy: Path, resources: Resources
) -> None:
    path = data_copy / "eligibility_check.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    document["questions"][0]["options"][4]["id"] = "n" * 70
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_check(path, {p.id for p in resources.knowledge.pathways})
    message = str(caught.value)
    assert "eligibility_check.yaml" in message and "question 'family'" in message, message
    assert "options[4]" in message and "64" in message, message


# -- forged presses in a real app ------------------------------------------------------------


def _in(app: BotApp, language: str, msgid: str) -> str:
    with use_translator(app.translators[language]):
        text = _(msgid)
    assert text != msgid or language == "en"  # the catalog has it: the test reads German
    return text


STALE = "That button is no longer valid. Please choose again:"

FORGED = [
    "t:",
    "t:../../etc/passwd",
    "t:fees:1",
    "t:" + "fees" * 500,
    "more:hours",
    "more:hours:",
    "more:hours:nonexistent",
    "more::offices",
    "more:office:nowhere",
    "more:pathway:nowhere",
    "more:pdocs:",
    "more:" + "a:" * 300,
    "oc:",
    "oc:nowhere",
    "oc:chaoyang\x00",
    "oc:" + "x" * 5000,
    "counter:",
    "counter:taxes",
    "fb:fees",
    "fb:fees:2",
    "fb:weather:1",
    "fb::1",
    "lang:xx",
    "lang:" + "zh" * 100,
    "pd:",
    "pd:nowhere",
    "dc:",
    "dc:lottery",
    "date:2027-05-10",  # a wizard's button outside its wizard
    "who:self",
    "ev:expiry",
    "el:family:spouse",
    "erase:yes",
    "rsave",
    "nonsense",
    "",
]


@pytest.mark.parametrize("payload", FORGED)
async def test_a_forged_button_gets_the_stale_reply_in_the_users_language(
    app: BotApp, payload: str
) -> None:
    chat = Chat(app, language="de")
    replies = await chat.press(payload)
    assert text_of(replies) == _in(app, "de", STALE)
    assert payloads_of(replies) == ["menu"]


async def test_a_forged_pathway_is_refused_in_the_users_language(app: BotApp) -> None:
    for payload in ("pw:", "pw:nowhere", "pw:../x", "pw:" + "p" * 300):
        replies = await Chat(app, language="zh").press(payload)
        assert text_of(replies) == _in(app, "zh", STALE)


@pytest.mark.parametrize("payload", ["unsub:abc", "unsub:0", "unsub:-1", "unsub:99999"])
async def test_a_forged_stop_button_changes_nothing(app: BotApp, payload: str) -> None:
    chat = Chat(app, language="de")
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say("2027-05-10")
    await chat.press("rsave")
    replies = await chat.press(payload)
    assert text_of(replies) == _in(app, "de", "That reminder was not found among yours.")
    listed = await chat.say("/reminders")
    assert "unsub:1" in payloads_of(listed)  # the real reminder is still there


@pytest.mark.parametrize(
    "payload", ["renewed:abc", "renewed:", "renewed:7", "renewed:" + "9" * 5000]
)
async def test_a_forged_renewed_button_is_not_found(app: BotApp, payload: str) -> None:
    replies = await Chat(app, language="fr").press(payload)
    assert text_of(replies) == _in(app, "fr", "That reminder was not found among yours.")


@pytest.mark.parametrize("payload", ["date:2027-02-30", "date:tomorrow", "date:", "date:9" * 99])
async def test_a_forged_date_inside_the_wizard_asks_for_the_date_again(
    app: BotApp, payload: str
) -> None:
    chat = Chat(app, language="de")
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    replies = await chat.press(payload)
    text = text_of(replies)
    assert text.startswith(_in(app, "de", STALE))
    assert _in(app, "de", "When does the card expire? It is printed on the card.") in text
    assert payloads_of(replies) == ["cancel"]


@pytest.mark.parametrize(
    "payload", ["el:family", "el:family:", "el:family:astronaut", "el:nowhere:yes", "el:"]
)
async def test_a_forged_check_answer_asks_the_question_again(app: BotApp, payload: str) -> None:
    chat = Chat(app, language="es")
    first = await chat.say("/check")
    replies = await chat.press(payload)
    assert text_of(replies).startswith(_in(app, "es", STALE))
    assert payloads_of(replies) == payloads_of(first)  # the same question, the same buttons


@pytest.mark.parametrize("payload", ["rexp:2027-13-01", "rexp:", "rexp:soon"])
async def test_a_forged_remind_me_then_starts_the_wizard_from_the_start(
    app: BotApp, payload: str
) -> None:
    replies = await Chat(app, language="de").press(payload)
    assert payloads_of(replies)[:3] == ["ev:expiry", "ev:change", "ev:loss"]


async def test_forged_pages_and_filters_fall_back_to_the_whole_list(app: BotApp) -> None:
    chat = Chat(app, language="de")
    first: list[Outbound] = await chat.press("pwl:0")
    for payload in ("pwl:-1", "pwl:two", "pwl:" + "9" * 5000):
        assert payloads_of(await chat.press(payload)) == payloads_of(first)
    offices = await chat.press("of:")
    for payload in ("of:nothing", "of:../x"):
        assert payloads_of(await chat.press(payload)) == payloads_of(offices)


async def test_the_buttons_the_bot_sends_route_to_their_steps(app: BotApp) -> None:
    """Sanity: genuine payloads from the module get real answers, not the stale reply."""
    chat = Chat(app, language="de")
    stale = _in(app, "de", STALE)
    for payload in (
        payloads.topic("fees"),
        payloads.more("hours", "offices"),
        payloads.office("chaoyang"),
        payloads.office_details("chaoyang"),
        payloads.pathway_details("spouse"),
        payloads.pathway_documents_details("spouse"),
        payloads.counter("renewal"),
        payloads.feedback("fees", True),
        payloads.pathway("spouse"),
        payloads.pathway_documents("spouse"),
        payloads.document_category("work"),
        payloads.pathways(1),
    ):
        replies = await chat.press(payload)
        assert replies and stale not in text_of(replies), payload


GARBLED = ["", "x", "x:y", "::", "\x00", "../..", "9" * 5000, "-1", "2027-02-30", "ü" * 40]


@pytest.mark.parametrize("step", ["main", "reminder date", "check"])
async def test_no_garbled_payload_raises_anywhere(
    app: BotApp, step: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every prefix with every garbled argument, in the main state and inside each wizard:
    a reply every time, and no step fails (the engine would log the exception)."""
    for prefix in payloads.PREFIXES:
        for argument in GARBLED:
            chat = Chat(app, chat_id=f"{step}-{prefix}-{len(argument)}-{argument[:3]}")
            if step == "reminder date":
                await chat.say("/remind")
                await chat.press("ev:expiry")
                await chat.press("who:self")
            elif step == "check":
                await chat.say("/check")
            replies = await chat.press(f"{prefix}:{argument}")
            assert replies, (prefix, argument)
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
