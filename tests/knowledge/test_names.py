"""Office names and addresses in the reader's language, and no stray English elsewhere.

Office cards, the address answer, the office lists and the hours answers are rendered in
Chinese, Japanese, Korean, Russian and Arabic; what is left in Latin letters must be a URL, a
/command, pinyin from data/offices.yaml, an address published only in English (said so), or
one of the proper names below. The pinyin in data/offices.yaml is checked against its
characters with pypinyin (every syllable must be a reading of its character).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pytest

from bot.app import BotApp
from bot.knowledge.model import OFFICIAL_LANGUAGES, KnowledgeBase, Localized
from tests.conftest import Chat, text_of

NON_LATIN = ["zh", "ja", "ko", "ru", "ar"]

# Proper names the translations keep in Latin letters (places, a mall, a station, a bus stop).
PROPER_NAMES = frozenset(
    {
        "CBD",
        "E-Town",
        "Fortune",
        "Plaza",
        "Yonghegong",
        "Lama",
        "Temple",
        "Renmin",
        "University",
        "Dangdai",
        "BeiXiaoJie",
        "HuoKou",
        "Xiaoyunli",
        "Xiaoyun",
        "Lu",
        "A2",
    }
)
URL = re.compile(r"https?://\S+")
COMMAND = re.compile(r"/[a-z]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*")


def values(knowledge: KnowledgeBase) -> list[str]:
    """Data values that may stand in Latin letters: pinyin, and English-only addresses."""
    found = []
    for office in knowledge.offices:
        for text in (office.name, office.address):
            if text.pinyin:
                found.append(text.pinyin)
        if office.address.zh is None and office.address.en:
            found.append(office.address.en)
    return sorted(found, key=len, reverse=True)


async def rendered(app: BotApp, language: str) -> str:
    chat = Chat(app, language=language)
    texts = [
        text_of(await chat.say("/address")),
        text_of(await chat.say("/hours")),
        text_of(await chat.say("/open")),
        text_of(await chat.press("of:first_application")),
        text_of(await chat.press("t:where_to_apply")),
        text_of(await chat.press("more:where_to_apply:more")),
        text_of(await chat.press("t:authority")),
        text_of(await chat.press("more:hours:offices")),
        text_of(await chat.press("more:open_now:offices")),
    ]
    for office in app.knowledge.offices:
        texts.append(text_of(await chat.press(f"oc:{office.id}")))
        texts.append(text_of(await chat.press(f"more:office:{office.id}")))
    return "\n".join(texts)


@pytest.mark.parametrize("language", NON_LATIN)
async def test_no_english_outside_proper_names(app: BotApp, language: str) -> None:
    text = URL.sub(" ", await rendered(app, language))
    for value in values(app.knowledge):
        text = text.replace(value, " ")
    text = COMMAND.sub(" ", text)
    stray = {w for w in LATIN_WORD.findall(text) if w not in PROPER_NAMES}
    assert not stray, f"{language}: English words {sorted(stray)}"


@pytest.mark.parametrize("language", ["ko", "ru", "ar", "ja", "fr"])
async def test_the_main_office_in_the_readers_language(app: BotApp, language: str) -> None:
    main = app.knowledge.main_office
    (card, *_rest) = await Chat(app, language=language).press("oc:main")
    official = main.name.official(language)
    if official:  # a beijing.gov.cn page in that language names the hall
        assert official in card.text
    if language in ("ja", "ko"):  # they read the characters; the pinyin is in the details
        assert main.name.zh in card.text and main.address.zh in card.text
        assert main.name.pinyin not in card.text
    else:
        assert f"{main.name.zh} ({main.name.pinyin})" in card.text
        assert f"{main.address.zh} ({main.address.pinyin})" in card.text
    assert main.address.en is not None and main.address.en not in card.text


async def test_korean_gets_the_official_korean_name(app: BotApp) -> None:
    (card, *_rest) = await Chat(app, language="ko").press("oc:main")
    assert "베이징시 공안국 출입국 리셉션홀" in card.text


async def test_chinese_readers_get_chinese_and_english_only_addresses_are_said_so(
    app: BotApp,
) -> None:
    chat = Chat(app, language="zh")
    (main, *_rest) = await chat.press("oc:main")
    assert "地址：东城区安定门东大街2号二环路北小街桥东南侧" in main.text
    assert "Běijīng" not in main.text and "Andingmen" not in main.text
    (chaoyang, *_rest) = await chat.press("oc:chaoyang")
    assert "Jiuxianqiao Beilu, Chaoyang District（仅公布了英文地址）" in chaoyang.text


async def test_english_readers_keep_the_english_address_and_the_taxi_line(app: BotApp) -> None:
    chat = Chat(app, language="en")
    (card, *_rest) = await chat.press("oc:main")
    assert "For the taxi driver: 东城区安定门东大街2号二环路北小街桥东南侧" in card.text
    (details, *_rest) = await chat.press("more:office:main")
    assert "Address: No. 2 Andingmen East Street" in details.text


# Pinyin -------------------------------------------------------------------------------------


@cache
def readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(char, style=Style.TONE, heteronym=True)[0])


def fold(text: str) -> str:
    """Lower case, without spaces, apostrophes, hyphens and punctuation (tone marks kept)."""
    text = unicodedata.normalize("NFC", text.lower())
    return "".join(c for c in text if c.isalnum())


def spells(chinese: str, spelled: str) -> bool:
    """Whether `spelled` is the characters of `chinese`, one reading each, in order."""
    target = fold(spelled)

    def match(i: int, j: int) -> bool:
        if i == len(chinese):
            return j == len(target)
        char = chinese[i]
        if not ("\u4e00" <= char <= "\u9fff"):
            piece = fold(char)
            return target.startswith(piece, j) and match(i + 1, j + len(piece))
        return any(
            target.startswith(reading, j) and match(i + 1, j + len(reading))
            for reading in readings(char)
        )

    return match(0, 0)


def spelled_texts(knowledge: KnowledgeBase) -> list[tuple[str, Localized]]:
    return [
        (f"{office.id}.{field}", text)
        for office in knowledge.offices
        for field, text in (("name", office.name), ("address", office.address))
        if text.pinyin
    ]


def test_every_chinese_name_and_address_has_its_pinyin(app: BotApp) -> None:
    for office in app.knowledge.offices:
        for field, text in (("name", office.name), ("address", office.address)):
            if text.zh:
                assert text.pinyin, f"{office.id}.{field}: no pinyin for {text.zh}"


def test_the_pinyin_spells_the_characters(app: BotApp) -> None:
    checked = spelled_texts(app.knowledge)
    assert len(checked) >= 10
    for where, text in checked:
        assert text.zh is not None
        assert spells(text.zh, text.pinyin or ""), f"{where}: {text.pinyin!r} vs {text.zh}"


@pytest.mark.parametrize(
    ("chinese", "spelled", "right"),
    [
        ("朝阳分局", "Cháoyáng Fēnjú", True),
        ("朝阳分局", "Zhāoyáng Fēnjú", True),  # a reading of 朝, though not this one
        ("朝阳分局", "Cháoyáng Fēnju", False),  # a tone missing
        ("北京CBD中心", "Běijīng CBD Zhōngxīn", True),
        ("甲22号院", "Jiǎ 22 Hào Yuàn", True),
        ("甲22号院", "Jiǎ 23 Hào Yuàn", False),
        ("大厅", "Dàtīng Lù", False),
    ],
)
def test_the_pinyin_check_itself(chinese: str, spelled: str, right: bool) -> None:
    assert spells(chinese, spelled) is right


def test_official_languages_are_known() -> None:
    assert set(OFFICIAL_LANGUAGES) == {"de", "fr", "es", "ru", "ja", "ko", "ar"}
