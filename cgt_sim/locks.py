"""One writer per output: a lock file beside each result folder (or output file) while it is written.

A run into ``out`` holds ``.<out name>.lock`` in the folder of ``out`` from its checks to its
last write, and so owns ``out`` and ``out.partial`` alike; every other writer of an output
(``ResultSet.save``, a report, a sweep, a sensitivity analysis, compare's table, a fitted file)
holds it while it puts its output in place. A second writer of the same output is refused
with one line naming the holder: its process id, host, start time and command. The lock is
the system's (``flock``), so it goes with its process: a writer killed with ``kill -9`` leaves
a lock file that no process holds, and the next writer takes it over with a note
(``StaleNote``). Holding is re-entrant within a thread (a run holds the lock of ``out`` and
saves its result there); another thread of the same process is refused as another process is.

The lock binds the processes of one machine, and those of several on a network file system
that supports ``flock`` (NFS v4 does); where the file system supports no locks the output is
written without one, with a note.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import socket
import sys
import threading
import warnings
from pathlib import Path

from .errors import ResultError, quoted, refused
from .paths import user_path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class StaleNote(UserWarning):
    """A note on state a killed writer left behind (a lock, temporary folders), which this
    writer took over or removed; the command line says it as "note: ..."."""


_HELD: dict[str, list] = {}  # lock file -> [file descriptor, holding thread, depth, folders made]
_GUARD = threading.Lock()


def lock_path(out) -> Path:
    """The lock file of the output ``out`` (where a symbolic link points, if it is one)."""
    out = user_path(out)
    with contextlib.suppress(OSError, RuntimeError):
        if out.is_symlink():
            out = out.resolve()
    out = Path(os.path.abspath(out))
    return out.parent / f".{out.name}.lock"


def _me() -> dict:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": command[:200]}


def holder_text(info: dict | None) -> str:
    """"process 1234 on host, started 2025-01-01T10:00:00+08:00: cgt-sim run ..." (a lock file's
    record as a message says it)."""
    if not isinstance(info, dict):
        return "a process that left no record"
    pid, host, started = info.get("pid"), info.get("host"), info.get("started")
    text = f"process {quoted(pid, 20)}" + (f" on {quoted(host, 60)[1:-1]}" if isinstance(host, str) else "")
    if isinstance(started, str):
        text += f", started {started[:40]}"
    command = info.get("command")
    if isinstance(command, str) and command:
        text += f": {command[:80]}" + ("..." if len(command) > 80 else "")
    return text


def busy(out, holder: dict | None) -> ResultError:
    """The refusal of a second writer of ``out``, naming the ``holder`` (its lock file's record)."""
    return ResultError(out, None, f"is being written by another cgt-sim run ({holder_text(holder)}); wait for it to "
                       "end, or choose another `out`")


def _record(fd: int) -> dict | None:
    try:
        text = os.pread(fd, 8192, 0) if hasattr(os, "pread") else b""
        found = json.loads(text.decode("utf-8")) if text.strip() else None
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _try_lock(fd: int) -> bool:
    """Take the system's lock on ``fd`` without waiting: True when taken, False when another
    open file holds it. OSError(ENOLCK, EOPNOTSUPP...) where the file system has no locks."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError as exc:  # pragma: no cover
        if exc.errno in (errno.EACCES, errno.EDEADLK):
            return False
        raise
    return True  # pragma: no cover


def _acquire(path: Path, out) -> int | None:
    """Open and lock ``path`` for ``out``; None where the file system has no locks."""
    for _ in range(20):  # a holder that lets go removes the file: lock the one that is there
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise refused(exc, out) from None
        try:
            if not _try_lock(fd):
                raise busy(out, _record(fd))
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                warnings.warn(f"{out}: the file system holds no locks; nothing stops another run from writing "
                              "here at the same time", StaleNote, stacklevel=4)
                return None
            raise refused(exc, out) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if not same:  # locked a file that its holder removed as it let go: try again
            os.close(fd)
            continue
        previous = _record(fd)
        if previous:
            warnings.warn(f"{out}: took over the lock left by {holder_text(previous)}, which ended without "
                          "letting go of it", StaleNote, stacklevel=4)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(_me()).encode("utf-8"))
        except OSError as exc:
            _let_go(path, fd)
            raise refused(exc, out) from None
        return fd
    raise ResultError(out, None, "is being written by other cgt-sim runs, one after another; try again")


def _let_go(path: Path, fd: int | None) -> None:
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.unlink(path)  # (while still locked: a writer that opened it before tries again)
    os.close(fd)


@contextlib.contextmanager
def hold(out):
    """Hold the lock of the output ``out`` inside the block (see the module's notes): a
    ResultError naming ``out`` and the holder when another process (or thread) holds it. Folders
    made to hold the lock file are removed again when they are left empty. Yields whether this
    call took the lock (False when this thread held it already)."""
    path = lock_path(out)
    key = str(path)
    me = threading.get_ident()
    with _GUARD:
        held = _HELD.get(key)
        taken = held is None
        if held is not None and held[1] != me:
            raise ResultError(out, None, "is being written by another thread of this process; wait for it to "
                              "end, or choose another `out`")
        if held is not None:
            held[2] += 1
    if held is None:
        made = [p for p in path.parents if not p.exists()]
        above = made[-1].parent if made else path.parent
        if not above.is_dir():  # (as storage.check_writable says it, before anything is made)
            raise ResultError(out, None, f"cannot be written: {above} is a file, not a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise refused(exc, path.parent, "cannot be made") from None
        try:
            fd = _acquire(path, out)
        except BaseException:
            _remove_empty(made)
            raise
        held = [fd, me, 1, made]
        with _GUARD:
            _HELD[key] = held
    try:
        yield held[2] == 1 and taken
    finally:
        with _GUARD:
            held[2] -= 1
            last = held[2] == 0
            if last:
                del _HELD[key]
        if last:
            _let_go(path, held[0])
            _remove_empty(held[3])


def _remove_empty(folders) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()


def holds(out) -> bool:
    """Whether this thread holds the lock of ``out``."""
    held = _HELD.get(str(lock_path(out)))
    return held is not None and held[1] == threading.get_ident()
