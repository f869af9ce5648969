"""Office names and addresses in the reader's language.

An official translation where a source gives one (English, Chinese, or a beijing.gov.cn page
in the reader's language); otherwise the Chinese with its pinyin, which street signs and taxi
drivers read. An address published only in English is said to be so. English readers keep the
English address and get the Chinese one for the taxi driver.
"""

from __future__ import annotations

from bot.core.text import _, current
from bot.knowledge.model import Localized, Office


def chinese_with_pinyin(text: Localized, *, pinyin: bool = True) -> str | None:
    """`北京市… (Běijīng Shì …)`: the Chinese and its pinyin, or the Chinese alone."""
    if text.zh is None:
        return None
    return f"{text.zh} ({text.pinyin})" if text.pinyin and pinyin else text.zh


def brief_pinyin() -> bool:
    """Whether a phone-sized answer spells the Chinese in pinyin: not for Japanese and Korean
    readers, who read the characters and whose first message is 350 characters at most."""
    return current().language not in ("ja", "ko")


def name_lines(office: Office, *, pinyin: bool = True) -> list[str]:
    """The office's official name(s) under its short label, for the reader's language."""
    language = current().language
    if language in ("en", "zh"):
        return [office.name.zh] if office.name.zh else []
    lines = []
    official = office.name.official(language)
    if official:
        lines.append(official)
    chinese = chinese_with_pinyin(office.name, pinyin=pinyin)
    if chinese:
        lines.append(chinese)
    return lines


def address_text(office: Office, *, pinyin: bool = True) -> str | None:
    # In a phone-sized card for Japanese and Korean readers (pinyin=False) an address published
    # only in English is shown without saying so; the details say it.
    """The office's address for the reader's language; None when none is published."""
    language = current().language
    official = office.address.official(language)
    if official:
        return official
    chinese = chinese_with_pinyin(office.address, pinyin=pinyin)
    if chinese:
        return chinese
    if office.address.en and not pinyin:
        return office.address.en
    if office.address.en:
        return _("{address} (published in English only)").format(address=office.address.en)
    return None


def taxi_address(office: Office, shown: str | None) -> str | None:
    """The Chinese address for a taxi driver, when the address shown is not already it."""
    chinese = office.address.zh
    if chinese is None or (shown is not None and chinese in shown):
        return None
    return chinese
