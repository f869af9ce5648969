"""The start-up cache (bot/cache.py) and what load_resources keeps in it."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from bot.app import load_resources
from bot.cache import BuildCache
from bot.config import PROJECT_ROOT, Settings


def test_a_built_object_is_kept_and_loaded_until_its_input_changes(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one")
    cache = BuildCache(tmp_path / "cache")
    builds: list[str] = []

    def build() -> dict[str, str]:
        builds.append(source.read_text())
        return {"value": source.read_text()}

    assert cache.get("thing", [source], build) == {"value": "one"}
    assert cache.get("thing", [source], build) == {"value": "one"}
    assert builds == ["one"]  # the second came from the file
    kept = list((tmp_path / "cache").glob("thing-*.pickle"))
    assert len(kept) == 1
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600

    source.write_text("two")
    assert cache.get("thing", [source], build) == {"value": "two"}
    assert builds == ["one", "two"]
    assert len(list((tmp_path / "cache").glob("thing-*.pickle"))) == 1  # the old one is gone


def test_a_damaged_entry_is_built_again(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one")
    cache = BuildCache(tmp_path / "cache")
    cache.get("thing", [source], lambda: [1, 2, 3])
    (entry,) = (tmp_path / "cache").glob("thing-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert cache.get("thing", [source], lambda: [4]) == [4]
    assert cache.get("thing", [source], lambda: [5]) == [4]


def test_without_a_folder_or_an_unwritable_one_it_only_builds(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one")
    assert BuildCache(None).get("thing", [source], lambda: 1) == 1
    assert BuildCache(None).get("thing", [source], lambda: 2) == 2
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert BuildCache(blocker / "cache").get("thing", [source], lambda: 3) == 3


def test_the_setting_names_the_folder_or_turns_it_off(tmp_path: Path) -> None:
    base = {"PRBOT_DATABASE": str(tmp_path / "db.sqlite3")}
    unused = tmp_path / "no.env"
    given = Settings.from_env({**base, "PRBOT_CACHE_DIR": str(tmp_path / "c")}, unused)
    assert given.cache_dir == tmp_path / "c"
    assert Settings.from_env({**base, "PRBOT_CACHE_DIR": "off"}, unused).cache_dir is None
    xdg = Settings.from_env({**base, "XDG_CACHE_HOME": str(tmp_path / "x")}, unused)
    assert xdg.cache_dir == tmp_path / "x" / "prbot"


def test_a_changed_example_file_is_matched_from_a_fresh_build(tmp_path: Path) -> None:
    """The matcher, catalogs and lexicon come from the cache on the second start, and a new
    example reaches the matcher the next time (the cache never serves stale data)."""
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    settings = Settings.from_env(
        {
            "PRBOT_DATABASE": str(tmp_path / "db.sqlite3"),
            "PRBOT_DATA_DIR": str(data),
            "PRBOT_CACHE_DIR": str(tmp_path / "cache"),
        },
        tmp_path / "no.env",
    )
    first = load_resources(settings)
    names = sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("*.pickle"))
    assert names.count("matcher") == 1 and names.count("lexicon") == 1
    assert len([n for n in names if n == "catalog"]) == 8
    question = "zorblax quuxifier appointment"
    assert first.matcher.match(question).intent != "fees"

    again = load_resources(settings)
    assert again.matcher.match("how much is the fee").intent == "fees"
    assert again.lexicon == first.lexicon

    english = data / "intents" / "en.yaml"
    text = english.read_text(encoding="utf-8")
    start = text.index("\n  fees:\n")
    at = text.index("    examples:\n", start) + len("    examples:\n")
    english.write_text(text[:at] + f"      - {question}\n" + text[at:], encoding="utf-8")
    changed = load_resources(settings)
    assert changed.matcher.match(question).intent == "fees"
