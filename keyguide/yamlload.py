"""The one YAML loader for what writers edit: facts.yml, page front matter and mkdocs.yml.

PyYAML accepts a key written twice (the second silently replaces the first) and raises a bare
ValueError, with no line, for an impossible date such as 2026-13-45. These loaders check the
composed document before building it, so either mistake becomes a `YamlProblem` that knows the
line(s) and the dotted path of the key, and each reader turns it into one line naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MERGE_TAG = "tag:yaml.org,2002:merge"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class YamlProblem(yaml.YAMLError):
    """A document that parses but cannot mean what the writer wrote: a duplicate key, an impossible value.

    `line` and `first_line` are 1-based lines of the text that was parsed (readers add their offset).
    """

    def __init__(self, line: int | None, path: str, problem: str, first_line: int | None = None) -> None:
        super().__init__(f"line {line}: {path}: {problem}")
        self.line, self.path, self.problem, self.first_line = line, path, problem, first_line

    def describe(self, file: str, line_offset: int = 0, context: str = "") -> str:
        """One line: `file:line: [context]…`, naming the first occurrence too for a duplicate key."""
        where = file if self.line is None else f"{file}:{self.line + line_offset}"
        if self.first_line is None:
            return f"{where}: {context}{self.path}: {self.problem}"
        first = f"{file}:{self.first_line + line_offset}"
        return f"{where}: {context}duplicate key {self.path} (first at {first}): {self.problem}"


class NotUtf8(ValueError):
    """A file with bytes that are not UTF-8; the message names the file, line and byte offset."""


def read_text(path: Path, where: str) -> str:
    """The file as text; NotUtf8 (one line, not Python's codec message) when a byte is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotUtf8(
            f"{where}:{line}: not UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}; "
            "save the file as UTF-8"
        ) from None


class _Checked:
    """Mixin for a PyYAML loader: refuse duplicate keys and impossible dates before constructing."""

    def construct_document(self, node: Node) -> Any:
        self._check(node, [], set())
        return super().construct_document(node)  # type: ignore[misc]

    def _check(self, node: Node, path: list[str], seen_nodes: set[int]) -> None:
        if id(node) in seen_nodes:  # an alias: its anchor was checked already (and may be recursive)
            return
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            keys: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self._key(key_node)
                line = key_node.start_mark.line + 1
                shown = ".".join([*path, str(key_node.value)])
                if key is not None and key in keys:
                    raise YamlProblem(line, shown, "the second would silently replace the first", keys[key])
                if key is not None:
                    keys[key] = line
                self._check(value_node, [*path, str(key_node.value)], seen_nodes)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self._check(item, [*path, str(index)], seen_nodes)
        elif isinstance(node, ScalarNode) and node.tag == TIMESTAMP_TAG:
            try:
                self.construct_yaml_timestamp(node)  # type: ignore[attr-defined]
            except ValueError as exc:
                shown = ".".join(path) or "(top level)"
                raise YamlProblem(node.start_mark.line + 1, shown, f"impossible date {node.value!r} ({exc})") from None

    def _key(self, node: Node) -> Any:
        """The key as the mapping will hold it (so `1` and `0x1`, `true` and `yes` collide); None if unhashable."""
        if not isinstance(node, ScalarNode):
            return None
        try:
            key = self.construct_object(node)  # type: ignore[attr-defined]
            hash(key)
        except (yaml.YAMLError, TypeError, ValueError):
            return None
        return key


class SafeLoader(_Checked, yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate keys and impossible dates."""


# libyaml when present: front matter is parsed for every page on every build.
_FAST_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastSafeLoader(_Checked, _FAST_BASE):  # type: ignore[misc, valid-type]
    """The same checks on libyaml's parser (CSafeLoader) where it is installed."""


def load(text: str, loader: type[Any] = SafeLoader) -> Any:
    """Parse one document; YamlProblem for a duplicate key or an impossible value, else yaml.YAMLError."""
    try:
        return yaml.load(text, Loader=loader)  # every loader here is a SafeLoader subclass
    except (yaml.YAMLError, RecursionError):
        raise
    except (ValueError, TypeError) as exc:  # a constructor's own error, with no mark: say so in one line
        raise YamlProblem(None, "(document)", f"cannot be read: {exc}") from None
