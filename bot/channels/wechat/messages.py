"""WeChat callback XML: hardened parsing into frozen records, and passive text replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# A real callback is well under 2 KiB; 16 KiB leaves room and bounds the parser's work.
MAX_BODY_BYTES = 16 * 1024
# WeChat's limit on a passive reply's Content, in bytes of UTF-8.
PASSIVE_REPLY_LIMIT = 2048
REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")

# Characters XML 1.0 cannot carry at all, not even inside CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BadMessage(ValueError):
    """A callback body that is not a WeChat message; the reason never quotes the body."""


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message or event pushed by WeChat to the callback URL."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    content: str = ""
    msg_id: str | None = None
    event: str = ""
    event_key: str = ""
    encrypt: str | None = None

    @property
    def dedupe_key(self) -> str:
        """What identifies a redelivery: MsgId, or sender, time and event for events."""
        if self.msg_id:
            return self.msg_id
        return f"{self.from_user}:{self.create_time}:{self.event}:{self.event_key}"


def _root(body: bytes | str) -> Element:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise BadMessage("body too large")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise BadMessage("DTD or entities are not allowed") from None
    except (ParseError, ValueError):
        raise BadMessage("not well-formed XML") from None
    if root.tag != "xml":
        raise BadMessage("root element is not <xml>")
    return root


def _field(root: Element, name: str) -> str | None:
    child = root.find(name)
    if child is None:
        return None
    return child.text or ""


def parse_message(body: bytes | str) -> IncomingMessage:
    """Parse a plain (or compatible-mode) callback body; BadMessage if it is not one."""
    root = _root(body)
    fields = {name: (_field(root, name) or "").strip() for name in REQUIRED_FIELDS}
    for name, value in fields.items():
        if not value:
            raise BadMessage(f"missing {name}")
    create_time = fields["CreateTime"]
    if not (create_time.isascii() and create_time.isdigit() and len(create_time) <= 12):
        raise BadMessage("CreateTime is not a timestamp")
    return IncomingMessage(
        to_user=fields["ToUserName"],
        from_user=fields["FromUserName"],
        create_time=int(create_time),
        msg_type=fields["MsgType"],
        content=_field(root, "Content") or "",
        msg_id=(_field(root, "MsgId") or "").strip() or None,
        event=(_field(root, "Event") or "").strip().lower(),
        event_key=(_field(root, "EventKey") or "").strip(),
        encrypt=_field(root, "Encrypt"),
    )


def extract_encrypted(body: bytes | str) -> str:
    """The <Encrypt> ciphertext of a safe-mode callback body; BadMessage if there is none."""
    encrypted = (_field(_root(body), "Encrypt") or "").strip()
    if not encrypted:
        raise BadMessage("missing Encrypt")
    return encrypted


def cdata(text: str) -> str:
    """`text` as CDATA: "]]>" split across two sections, characters XML forbids dropped."""
    safe = _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{safe}]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply; the caller swaps the incoming ToUserName and FromUserName."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


def _char_bytes(char: str) -> int:
    point = ord(char)
    if point < 0x80:
        return 1
    if point < 0x800:
        return 2
    if point < 0x10000:
        return 3
    return 4


def utf8_len(text: str) -> int:
    """Length of `text` in bytes of UTF-8 (a lone surrogate counts 3, never raises)."""
    return sum(_char_bytes(char) for char in text)


def cut_for_passive_reply(text: str, limit: int = PASSIVE_REPLY_LIMIT) -> tuple[str, str]:
    """Split off a first part of at most `limit` UTF-8 bytes, at a line break, space or char."""
    if limit < 4:
        raise ValueError("limit must be at least 4 bytes (one character of UTF-8)")
    size = 0
    end = 0
    for char in text:
        size += _char_bytes(char)
        if size > limit:
            break
        end += 1
    else:
        return text, ""
    window = text[:end]
    for separator in ("\n", " "):
        at = window.rfind(separator)
        head = window[:at].rstrip() if at > 0 else ""
        if head:
            return head, text[at + 1 :].lstrip(separator + "\r")
    return window, text[end:]
