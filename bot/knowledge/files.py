"""Reading the data files: YAML with its problems placed, records validated into one-line errors.

Only ``yaml.safe_load`` (or its C twin) builds data; ``yaml.compose`` (which builds no Python
objects) is used beforehand to report duplicate keys and impossible dates with their record.
Every problem is a :class:`KnowledgeError` whose message names the file, the record and the
field, e.g. ``data/fees.yaml: fee 'renewal': missing field 'sources'``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.fields import describe, type_name

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_ITEM_RE = re.compile(r"^(\s*)-\s+id\s*:\s*(\S+)")
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_M = TypeVar("_M", bound=BaseModel)


class KnowledgeError(Exception):
    """The data files are missing, malformed or inconsistent."""


class DataFile:
    """One YAML file of data/: its label for messages and its parsed content.

    `list_key` and `kind` name the list of records a file holds (``fees``, ``fee``), so that
    problems inside a record are told with the record's id. Files are read with libyaml; a
    file with a syntax error is read again with the pure-Python reader, whose errors are
    placed more precisely (unless `fast`, for the large example files).
    """

    def __init__(
        self, path: Path, list_key: str | None = None, kind: str = "", *, fast: bool = False
    ) -> None:
        self.label = f"{path.parent.name}/{path.name}"
        self.kind = kind
        self.list_key = list_key
        self._loader = _FAST_LOADER if fast else yaml.SafeLoader
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KnowledgeError(f"{self.label}: file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"{self.label}: cannot read file: {exc}") from None
        self.data = self._parse(text)

    def fail(self, problem: str) -> NoReturn:
        """Raise a KnowledgeError about the file as a whole."""
        raise KnowledgeError(f"{self.label}: {problem}")

    def mapping(self, *keys: str) -> dict[str, Any]:
        """The file's top level, which must be a mapping; `keys` are the ones it must have."""
        if not isinstance(self.data, dict):
            self.fail(f"must be a mapping, got {type_name(self.data)}")
        for key in keys:
            if key not in self.data:
                self.fail(f"missing top-level key '{key}'")
        return self.data

    def records(self) -> list[dict[str, Any]]:
        """The file's one list of records (a mapping with only `list_key`, a non-empty list)."""
        data = self.data
        if not isinstance(data, dict):
            self.fail(f"must be a mapping with the key '{self.list_key}'")
        for key in data:
            if key != self.list_key:
                self.fail(f"unknown top-level key {key!r} (expected only '{self.list_key}')")
        if self.list_key not in data:
            self.fail(f"missing top-level key '{self.list_key}'")
        rows = data[self.list_key]
        if not isinstance(rows, list) or not rows:
            self.fail(f"'{self.list_key}' must be a non-empty list of records")
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                self.fail(f"{self.kind} #{index + 1} must be a mapping, got {type_name(row)}")
        return rows

    def record_fail(self, index: int, field: str, problem: str) -> NoReturn:
        """Raise a KnowledgeError naming a record of the list (by its id) and its field."""
        where = f"{self.kind} {record_label(self.records()[index], index)}"
        raise KnowledgeError(f"{self.label}: {where}: field '{field}' {problem}")

    def validate_record(
        self, model: type[_M], index: int, context: Mapping[str, object] | None = None
    ) -> _M:
        """The record at `index` of the list, validated as `model`."""
        row = self.records()[index]
        try:
            return model.model_validate(row, context=context)
        except ValidationError as err:
            detail = err.errors()[0]
            where = f"{self.kind} {record_label(row, index)}"
            raise KnowledgeError(f"{self.label}: {where}: {describe(detail)}") from None

    def validate(self, model: type[_M], records: Mapping[str, tuple[str, str]]) -> _M:
        """The whole file validated as `model`.

        `records` names the lists (or mappings) of records in the file: key -> (kind, the
        field that identifies a record), so that a problem is told with its record.
        """
        try:
            return model.model_validate(self.data)
        except ValidationError as err:
            detail = err.errors()[0]
            loc = detail["loc"]
            if len(loc) >= 2 and isinstance(loc[0], str) and loc[0] in records:
                kind, id_field = records[loc[0]]
                key = loc[1]
                if isinstance(key, int):
                    label = record_label(self.mapping()[loc[0]][key], key, id_field)
                else:
                    label = f"'{key}'"
                problem = describe(detail, skip=2)
                self.fail(f"{kind} {label}: {problem}")
            self.fail(describe(detail))

    def _parse(self, text: str) -> object:
        try:
            root = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError as fast_exc:
            # read again with the pure-Python reader, whose errors are placed more precisely
            exc: yaml.YAMLError = fast_exc
            try:
                yaml.compose(text, Loader=self._loader)
            except yaml.YAMLError as precise:
                exc = precise
            where = self._locate(text, exc)
            self.fail(f"{where}YAML syntax error{_where(exc)}: {_problem(exc)}")
        if root is not None:
            self._scan(root, None, "")
        try:
            return yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError as exc:
            self.fail(f"YAML error{_where(exc)}: {_problem(exc)}")
        except ValueError as exc:  # pragma: no cover - _scan reports these with their record
            self.fail(f"invalid value: {exc}")

    def _locate(self, text: str, exc: yaml.YAMLError) -> str:
        """Best effort: the record and field around a syntax error, as "kind 'id': field 'x': "."""
        problem = getattr(exc, "problem_mark", None)
        if problem is None:
            return ""
        lines = text.splitlines()
        start = None  # (line index, indent) of the record item the error is in
        for index in range(min(problem.line, len(lines) - 1), -1, -1):
            if match := _ITEM_RE.match(lines[index]):
                start = (index, len(match.group(1)), match.group(2))
                break
        if start is None:
            return ""
        first, indent, record_id = start
        target = problem.line
        context = getattr(exc, "context_mark", None)
        if context is not None and first <= context.line < target:
            target = context.line
        key_re = re.compile(rf"^ {{{indent + 2}}}([A-Za-z_][A-Za-z0-9_]*)\s*:")
        field = "id"
        for index in range(min(target, len(lines) - 1), first, -1):
            if match := key_re.match(lines[index]):
                field = match.group(1)
                break
        return f"{self.kind} '{record_id.strip(chr(34) + chr(39))}': field '{field}': "

    def _scan(self, node: yaml.Node, record: str | None, path: str) -> None:
        """Report duplicate keys and impossible dates, which safe_load hides or cannot place."""

        def fail(problem: str) -> NoReturn:
            where = f"{self.kind} {record}: " if record else ""
            self.fail(f"{where}field '{path}' {problem}")

        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _value in node.value:
                key = str(key_node.value)
                if key in seen:
                    path = f"{path}.{key}" if path else key
                    fail(f"is given twice{_where_node(key_node)}")
                seen.add(key)
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if record is None and key == self.list_key:
                    if isinstance(value_node, yaml.SequenceNode):
                        for index, item in enumerate(value_node.value):
                            self._scan(item, _node_label(item, index), "")
                    continue
                self._scan(value_node, record, f"{path}.{key}" if path else key)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._scan(item, record, f"{path}[{index}]")
        elif isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP_TAG:
            try:
                yaml.SafeLoader("").construct_yaml_timestamp(node)
            except ValueError as exc:
                fail(f"must be a real date (YYYY-MM-DD), got {node.value!r}: {exc}")


def repeats(values: Iterable[Hashable]) -> Iterator[tuple[int, int]]:
    """(index, index of its first occurrence) for every value that came before."""
    first: dict[Hashable, int] = {}
    for index, value in enumerate(values):
        if value in first:
            yield index, first[value]
        else:
            first[value] = index


def _node_label(node: yaml.Node, index: int) -> str:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                key_node.value == "id"
                and isinstance(value_node, yaml.ScalarNode)
                and str(value_node.value).strip()
            ):
                return f"'{value_node.value}'"
    return f"#{index + 1}"


def _where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return ""
    return f" at line {mark.line + 1}, column {mark.column + 1}"


def _where_node(node: yaml.Node) -> str:
    return f" (line {node.start_mark.line + 1})"


def _problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def record_label(row: object, index: int, id_field: str = "id") -> str:
    """A record named by its id in quotes, or by its position (#3) if it has none."""
    raw_id = row.get(id_field) if isinstance(row, dict) else None
    return f"'{raw_id}'" if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"
