"""Every YAML and JSON text cgt-sim reads, read within bounds.

Scenario files and the files they name (``extends``, ``calibrated``), targets and fitted files,
``--set`` and ``--grid`` values, manifests and checkpoint records all come through here:

- only a regular file is read, of at most ``MAX_YAML_BYTES`` (YAML) or ``MAX_JSON_BYTES``
  (JSON): a FIFO, a device (``/dev/zero``), a socket or a folder is refused before it is read,
  and a FIFO is never waited on (its type is looked up without opening it, and it is opened
  without blocking); a path holding a NUL character is refused;
- nesting is bounded (``MAX_DEPTH`` levels of mappings and lists);
- YAML aliases are measured on the composed node graph, before anything is built from it: an
  alias inside the value it names (``&r [*r]``) is refused, and so is a document whose
  aliases expand to more than ``MAX_NODES`` values (an "alias bomb": a few hundred bytes that
  stand for billions of values). Each node is measured once (memoised), so measuring costs
  what the text costs;
- a duplicate key is located on the composed graph without expanding aliases.

A YAML text that breaks a bound, or is no YAML, raises ``Unreadable`` (a ValueError) with a
short reason (and the dotted key, for a duplicate key); the file readers turn it into the
caller's error class naming the file. Reading errors of the system (no permission, a name too
long) are ``SystemRefused``.
"""

from __future__ import annotations

import json
import os
import stat

import yaml

from .errors import ResultError, ScenarioError, quoted, refused
from .paths import user_path

MAX_YAML_BYTES = 1 << 20  # 1 MiB; the library's largest scenario file is about 5 kB
MAX_JSON_BYTES = 16 << 20  # 16 MiB; a run's manifest is about 15 kB
MAX_DEPTH = 64  # levels of mappings and lists (a scenario file needs about 8)
MAX_NODES = 100_000  # values of a YAML document once its aliases are expanded


class Unreadable(ValueError):
    """A text that is no YAML (or JSON) cgt-sim reads: ``reason`` says why in a few words,
    ``key`` is the dotted key it concerns (a duplicate key), or None."""

    def __init__(self, reason: str, key: str | None = None):
        super().__init__(reason)
        self.reason, self.key = reason, key


# --------------------------------------------------------------------------- files

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    """What a file of ``mode`` is when it is no regular file ("a FIFO (named pipe)"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _refuse_kind(what: str | None, path, error, where, key) -> None:
    if what is None:
        return
    if where is not None:  # named by another file: that file and its key
        raise error(where, key, f"cannot read {path}: it is {what}, not a file")
    raise error(path, None, f"cannot read it: it is {what}, not a file")


def read_bytes(path, limit: int, error=ScenarioError, where=None, key: str | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them. A missing file is an
    ``error`` naming ``where`` and ``key`` (the file and key that name it) when given, else the
    file; anything but a regular file, or a larger one, an ``error`` naming the file; the
    system's refusals (no permission, a name too long) a ``SystemRefused``."""
    path = user_path(path, error)
    try:
        mode = os.stat(path).st_mode  # (follows links, opens nothing: a FIFO is not waited on)
    except (FileNotFoundError, NotADirectoryError):
        raise error(where or path, key, f"file not found: {path}") from None
    except OSError as exc:
        raise refused(exc, path, "cannot be read", "") from None
    _refuse_kind(_not_regular(mode), path, error, where, key)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(where or path, key, f"file not found: {path}") from None
    except OSError as exc:
        raise refused(exc, path, "cannot be read", "") from None
    try:
        _refuse_kind(_not_regular(os.fstat(fd).st_mode), path, error, where, key)  # (the file opened)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise refused(exc, path, "cannot be read", "") from None
    finally:
        os.close(fd)
    if size > limit:
        raise error(path, None, f"is larger than {limit:,} bytes, more than any file cgt-sim reads holds")
    return b"".join(chunks)


def read_text(path, limit: int, error=ScenarioError, where=None, key: str | None = None) -> str:
    """``read_bytes`` as UTF-8 text; other bytes are an ``error`` naming the file."""
    data = read_bytes(path, limit, error, where, key)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(user_path(path, error), None, "not a UTF-8 text file") from None


def read_yaml(path, error=ScenarioError, where=None, key: str | None = None):
    """The YAML document of the file ``path`` (see ``read_bytes`` for the file, ``yaml_text``
    for the text); its problems are an ``error`` naming the file (and the key, when known)."""
    text = read_text(path, MAX_YAML_BYTES, error, where, key)
    try:
        return yaml_text(text)
    except Unreadable as exc:
        raise error(user_path(path, error), exc.key, exc.reason) from None


def read_json(path, error=ResultError):
    """The JSON value of the file ``path`` (at most ``MAX_JSON_BYTES``, ``MAX_DEPTH`` deep);
    its problems are an ``error`` naming the file."""
    text = read_text(path, MAX_JSON_BYTES, error)
    try:
        return json_text(text)
    except Unreadable as exc:
        raise error(user_path(path, error), None, exc.reason) from None


# --------------------------------------------------------------------------- JSON

def json_text(text: str):
    """The JSON value of ``text``, nested at most ``MAX_DEPTH`` levels; ``Unreadable``
    otherwise."""
    try:
        value = json.loads(text)
    except RecursionError:  # (the decoder's own bound, far above ours)
        raise Unreadable(f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise Unreadable(f"is not JSON ({str(exc).splitlines()[0][:120]})") from None
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise Unreadable(f"is nested more than {MAX_DEPTH} levels deep")
            stack.extend((x, depth + 1) for x in (item.values() if isinstance(item, dict) else item))
    return value


# --------------------------------------------------------------------------- YAML

class _Bound(yaml.YAMLError):
    def __init__(self, problem: str, mark):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, mark, first):
        super().__init__(f"duplicate key {quoted(key)}")
        self.key, self.mark, self.first = key, mark, first


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader (no tags that run code), bounded: nesting beyond ``MAX_DEPTH`` stops
    composing at once. Also refuses a key given twice in one mapping (plain PyYAML keeps the
    last; keys brought in by a YAML merge, ``<<: *anchor``, may be overridden, as YAML
    intends), and leaves a date-like value that is no date (2025-13-01) as text, so that the
    reader of the value can say which key holds it."""

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Bound(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if first is not key_node.start_mark:
                    raise _DuplicateKey(key, key_node.start_mark, first)
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", BoundedLoader.construct_yaml_timestamp)


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _measure(root) -> None:
    """Refuse a composed graph with a cycle (a recursive alias), or one that stands for more
    than ``MAX_NODES`` values or more than ``MAX_DEPTH`` levels once its aliases are expanded.
    Each node is measured once, its size and depth memoised (an alias is a second edge to the
    node it names, not a copy), without recursion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the way from the root to the one measured
    stack = [(root, False)]
    while stack:
        node, closing = stack.pop()
        here = id(node)
        kids = _children(node)
        if closing:
            open_.discard(here)
            size[here] = 1 + sum(size[id(k)] for k in kids)
            depth[here] = 1 + max((depth[id(k)] for k in kids), default=0)
            mark = node.start_mark
            if size[here] > MAX_NODES:
                raise _Bound(f"its aliases expand to more than {MAX_NODES:,} values (an alias bomb?)", mark)
            if depth[here] > MAX_DEPTH:
                raise _Bound(f"its aliases expand to more than {MAX_DEPTH} levels of nesting", mark)
            continue
        if here in size:
            continue
        open_.add(here)
        stack.append((node, True))
        for kid in kids:
            if id(kid) in open_:
                raise _Bound("a recursive alias (an alias inside the value it names)", node.start_mark)
            if id(kid) not in size:
                stack.append((kid, False))


def _key_path(root, mark) -> str | None:
    """The dotted path ("set.market.nrdl_price_cut") of the mapping key that starts at
    ``mark`` in the composed graph ``root``, or None; each node is visited once, aliases not
    followed again."""
    seen: set[int] = set()
    stack = [(root, "")]
    where = (mark.line, mark.column)
    while stack:
        node, prefix = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                name = f"{prefix}{key_node.value}" if isinstance(key_node, yaml.ScalarNode) else prefix
                if (key_node.start_mark.line, key_node.start_mark.column) == where:
                    return name
                found.append((value, name + "."))
        elif isinstance(node, yaml.SequenceNode):
            found = [(item, f"{prefix}{i}.") for i, item in enumerate(node.value)]
        stack.extend(reversed(found))  # in the order of the text
    return None


def _compose(text: str):
    loader = BoundedLoader(text)  # (a text composed once already)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def yaml_text(text: str):
    """The YAML document of ``text`` as Python values (None for an empty one), read as
    scenario files are read (see ``BoundedLoader``), within bounds: ``Unreadable`` with the
    reason (and the line and column) otherwise."""
    if len(text) > MAX_YAML_BYTES:
        raise Unreadable(f"is longer than {MAX_YAML_BYTES:,} characters")
    loader = None
    try:
        loader = BoundedLoader(text)  # (its reader refuses control characters at once)
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node)
        return loader.construct_document(node)
    except _DuplicateKey as exc:
        key = _key_path(_compose(text), exc.mark) or quoted(exc.key)
        raise Unreadable(f"line {exc.mark.line + 1}, column {exc.mark.column + 1}: duplicate key (first on line "
                         f"{exc.first.line + 1}); each key may appear only once in a mapping", key) from None
    except _Bound as exc:
        mark = exc.problem_mark
        raise Unreadable(f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["?"])[0]
        pos = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise Unreadable(f"{pos}malformed YAML ({quoted_text(problem)})") from None
    except (ValueError, TypeError, OverflowError) as exc:  # well formed, value impossible (!!int abc)
        raise Unreadable(f"invalid value in YAML ({quoted_text(str(exc))})") from None
    finally:
        if loader is not None:
            loader.dispose()


def quoted_text(text: str, limit: int = 120) -> str:
    """A message of a parser, cut to its first line and ``limit`` characters (it may quote
    what it read: an undefined alias's name, which can be a megabyte long)."""
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[:limit - 3] + "..."
