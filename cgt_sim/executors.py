"""Where replications run: in this process, in worker processes, or on a Dask cluster.

Every executor runs the same function on lists of replication indices (``run``), or any
module-level function on lists of arguments (``calls``: the design points of an analysis), and each replication
depends only on (scenario, root seed, replication index), so the results are the same whatever
the executor and the number of workers. Work goes out in chunks of several replications to keep
scheduling overhead small. An executor yields (replication indices, results) as chunks finish
(the serial one after every replication) and, when the caller stops early (Ctrl-C), cancels
what has not started.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
from collections.abc import Iterator

from .errors import OptionError, quoted
from .model.world import simulate
from .scenario import Scenario, whole_number

EXECUTORS = ("process", "serial", "dask")
MAX_CHUNK = 8  # replications per task: a few tens of seconds of a 2015-2045 run
CONNECT_SECONDS = 10.0  # for a Dask scheduler to answer


def simulate_chunk(scenario: Scenario, seed: int, reps: list[int]) -> list[dict]:
    """Run the replications ``reps`` one after another (the task sent to a worker)."""
    return [simulate(scenario, r, seed) for r in reps]  # each frees its own world: no gc needed


def chunk_size(replications: int, slots: int) -> int:
    """Replications per task: about four tasks per worker, at most MAX_CHUNK."""
    return max(1, min(MAX_CHUNK, math.ceil(replications / (max(1, slots) * 4))))


def chunks(reps: list[int], size: int) -> list[list[int]]:
    return [reps[i:i + size] for i in range(0, len(reps), size)]


DASK_MISSING = "dask needs Dask, which is not installed: pip install 'cgt-sim[dask]'"


def check_executor(executor: str, scheduler: str | None) -> None:
    """Raise OptionError for an unknown executor, a scheduler given without Dask, or Dask asked
    for where it is not installed (an extra: ``pip install 'cgt-sim[dask]'``)."""
    if executor not in EXECUTORS:
        raise OptionError("executor", f"unknown executor {quoted(executor)}; choose "
                            + ", ".join(EXECUTORS))
    if executor == "dask" and not dask_installed():
        raise OptionError("executor", DASK_MISSING)
    if scheduler is not None and executor != "dask":
        raise OptionError("scheduler", "only used with `executor` dask")
    if scheduler is not None and not str(scheduler).strip():
        raise OptionError("scheduler", "give a scheduler address such as tcp://host:8786")


def dask_installed() -> bool:
    """Whether Dask's distributed scheduler can be imported (the ``dask`` extra)."""
    import importlib.util

    try:
        return importlib.util.find_spec("distributed") is not None and importlib.util.find_spec("dask") is not None
    except (ImportError, ValueError):
        return False


def open_executor(executor: str, workers: int, scheduler: str | None = None):
    """A context manager for the executor; ``workers`` is already capped to the work. Inside
    ``kept_open``, worker processes of this machine are the block's pool (see there)."""
    check_executor(executor, scheduler)
    if executor == "dask":
        return DaskExecutor(workers, scheduler)
    if executor == "serial" or workers == 1:
        return SerialExecutor()
    kept = _KEPT.get()
    if kept is not None and workers <= kept.slots:
        return _Borrowed(kept)
    return ProcessExecutor(workers)


# The pool of worker processes kept open by the innermost ``kept_open`` block of this thread
# (a context variable: a run in another thread opens its own).
_KEPT: contextvars.ContextVar = contextvars.ContextVar("cgt_sim_kept_pool", default=None)


@contextlib.contextmanager
def kept_open(workers: int | None = None):
    """Inside the block, every run on worker processes of this machine (``executor="process"``)
    uses one pool of ``workers`` processes (default: all cores), started when first needed and
    closed when the block ends, instead of starting a pool per run: about 0.1 s a run with the
    fork start method, about 1 s with spawn or forkserver (macOS, Windows). A calibration, a
    comparison, a sweep and a sensitivity analysis run their evaluations inside one. Results do
    not change (a replication depends only on scenario, seed and index). A run stopped early
    (Ctrl-C, an error) terminates the pool, and the next run starts it again. ``workers`` that
    is not a whole number >= 1 is an OptionError naming it, as ``run`` says."""
    if workers is not None:
        workers = whole_number(workers, "workers", 1)
    workers = process_workers(workers)
    if workers == 1 or _KEPT.get() is not None:  # nothing to keep, or kept already (an outer block)
        yield _KEPT.get()
        return
    pool = ProcessExecutor(workers)
    token = _KEPT.set(pool)
    try:
        yield pool
    finally:
        _KEPT.reset(token)
        pool.__exit__(None, None, None)


class _Borrowed:
    """A run's use of the pool of ``kept_open``: starts it when it is not running; a run stopped
    early terminates it (its workers may still be busy with chunks of that run)."""

    def __init__(self, pool: ProcessExecutor):
        self.pool = pool
        self.slots = pool.slots

    def __enter__(self):
        if not self.pool.workers:
            self.pool.__enter__()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None or self.pool.unfinished:
            self.pool._stop(terminate=True)  # started again by the next run
        return False

    def run(self, scenario: Scenario, seed: int, reps: list[int], size: int) -> Iterator[tuple[list, list]]:
        return self.pool.run(scenario, seed, reps, size)

    def calls(self, fn, arguments: list[tuple]) -> Iterator[tuple[int, object]]:
        return self.pool.calls(fn, arguments)


class SerialExecutor:
    """Replications one by one in this process."""

    slots = 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, scenario: Scenario, seed: int, reps: list[int], size: int) -> Iterator[tuple[list, list]]:
        for r in reps:  # one at a time, so progress and Ctrl-C see every replication
            yield [r], simulate_chunk(scenario, seed, [r])

    def calls(self, fn, arguments: list[tuple]) -> Iterator[tuple[int, object]]:
        """``fn(*args)`` for each ``args`` of ``arguments``, in order; yields (index, value)."""
        for i, args in enumerate(arguments):
            yield i, fn(*args)


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; the parent decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor:
    """Chunks of replications on worker processes of this machine, each fed over its own pipe.

    This process reads the pipes itself, on the thread that runs the replications' loop, and
    only when a result is there. Stopping early (Ctrl-C) terminates the workers and closes the
    pipes: no helper thread is left reading a result a terminated worker had half sent, which
    can keep a ``concurrent.futures`` pool, and so the interpreter, from ever exiting.
    """

    def __init__(self, workers: int):
        self.slots = workers
        self.workers: list = []  # (process, this end of its pipe)
        self.unfinished = False  # a run stopped with chunks still being worked on

    def __enter__(self):
        ctx = multiprocessing.get_context()
        self.unfinished = False
        # a worker started by a fork server is that server's child, not this process's: it ends
        # when this process does by reading the end of its pipe (between chunks)
        parent = os.getpid() if ctx.get_start_method() in ("fork", "spawn") else None
        try:
            for _ in range(self.slots):
                here, there = ctx.Pipe()
                proc = ctx.Process(target=_work, args=(there, parent), daemon=True)
                proc.start()
                there.close()
                self.workers.append((proc, here))
        except BaseException:
            self._stop(terminate=True)
            raise
        return self

    def __exit__(self, exc_type, *exc):
        self._stop(terminate=exc_type is not None or self.unfinished)
        return False

    def _stop(self, terminate: bool) -> None:
        for proc, conn in self.workers:
            if terminate:
                proc.terminate()
            else:
                with contextlib.suppress(OSError):
                    conn.send(None)  # no more work
        for proc, conn in self.workers:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
        self.workers = []

    def run(self, scenario: Scenario, seed: int, reps: list[int], size: int) -> Iterator[tuple[list, list]]:
        parts = chunks(reps, size)
        for i, tables in self.calls(simulate_chunk, [(scenario, seed, part) for part in parts]):
            yield parts[i], tables

    def calls(self, fn, arguments: list[tuple]) -> Iterator[tuple[int, object]]:
        """``fn(*args)`` for each ``args`` of ``arguments`` on the workers, in order as workers
        free up; yields (index into ``arguments``, value) as each call finishes. ``fn`` must be a
        module-level function (it travels by name)."""
        todo = list(enumerate(arguments))[::-1]  # the first call last: taken with pop()
        idle = [conn for _, conn in self.workers]
        busy: dict = {}  # pipe -> the index of the call its worker is running
        try:
            while todo or busy:
                while todo and idle:
                    conn = idle.pop()
                    i, args = todo.pop()
                    busy[conn] = i
                    conn.send((fn, args))
                for conn in multiprocessing.connection.wait(list(busy)):
                    try:
                        ok, payload = conn.recv()
                    except EOFError:
                        raise RuntimeError("a worker process stopped unexpectedly") from None
                    i = busy.pop(conn)
                    idle.append(conn)
                    if not ok:
                        raise payload
                    yield i, payload
        finally:
            self.unfinished = bool(busy)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies (Linux)


def die_with_parent(parent: int) -> None:
    """End this process when its parent ``parent`` (a process id) ends, however it ends (a
    ``kill -9`` included, which runs no cleanup of the parent's): on Linux the kernel sends
    SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread watches the parent's process id
    every half second. A worker would otherwise run on, holding its memory, to the end of its
    chunk or for ever (a worker forked from the parent holds both ends of its own pipe, so it
    never reads an end of file)."""
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent died before the call: nothing will tell us
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="cgt-sim-parent-watch", daemon=True).start()


def _work(conn, parent: int | None = None) -> None:
    """A worker process: make the calls that come over ``conn`` (function, arguments) until told
    to stop, or until the process ``parent`` ends."""
    if parent is not None:
        die_with_parent(parent)
    _ignore_sigint()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            fn, args = task
            reply = (True, fn(*args))
        except Exception as exc:  # sent back to be raised where the run was started
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # e.g. an exception that does not pickle
            conn.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))


@contextlib.contextmanager
def _on_sigint(handler):
    """Ctrl-C goes to ``handler`` (``signal.SIG_IGN``: ignored) inside the block."""
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def local_cluster(workers: int):
    """A Dask LocalCluster of ``workers`` single-threaded worker processes, which ignore Ctrl-C
    (this process stops the run and closes the cluster).

    The workers are forked from a fork server started with Ctrl-C ignored, so they ignore it
    from birth, while this process keeps listening: a Ctrl-C pressed while the cluster starts
    is raised once it is up (the caller then closes it), not lost."""
    import logging
    import multiprocessing.forkserver

    import dask
    from dask.distributed import LocalCluster

    def start(method: str = "forkserver"):
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                dashboard_address=None, silence_logs=logging.ERROR)

    if threading.current_thread() is not threading.main_thread():  # only it may set signal handlers
        return start()
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows: workers inherit the
        with _on_sigint(signal.SIG_IGN):  # ignored Ctrl-C, which is lost here
            return start("spawn")
    with _on_sigint(signal.SIG_IGN):  # inherited by the fork server
        multiprocessing.forkserver.ensure_running()
    pressed = []
    try:
        with _on_sigint(lambda *_: pressed.append(True)):
            cluster = start()
    except BaseException:
        if pressed:
            raise KeyboardInterrupt from None
        raise
    if pressed:
        cluster.close()
        raise KeyboardInterrupt
    return cluster


def check_scheduler(address: str, seconds: float | None = None) -> None:
    """Ask ``address`` who it is, within ``seconds`` (default ``CONNECT_SECONDS``); raise
    OSError unless a Dask scheduler answers. A server of another kind (the dashboard's port,
    say) can accept the connection and then never answer, or answer with bytes a Dask client
    would read as a message of exabytes."""
    import asyncio

    from distributed.comm import connect
    from distributed.comm.addressing import parse_address, parse_host_port

    seconds = CONNECT_SECONDS if seconds is None else seconds
    scheme, location = parse_address(address)  # ValueError for an unknown scheme
    if scheme in ("tcp", "tls", "ws", "wss"):
        try:
            host, port = parse_host_port(location)
        except ValueError:
            raise ValueError(f"{quoted(location)} is not host:port, e.g. 10.0.0.5:8786") from None
        if not 0 < port < 65536:  # the connection would only time out
            raise ValueError(f"port {port} is not a port number, which runs from 1 to 65535")
        # a refused connection or an unknown host fails at once here; Dask's own connect
        # retries it until its timeout
        with socket.create_connection((host.strip("[]"), port), timeout=seconds):
            pass

    async def identity():
        comm = await connect(address, timeout=seconds)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), seconds))
    except asyncio.TimeoutError:
        raise OSError(f"no answer as a Dask scheduler within {seconds:g} s") from None
    except (OSError, ValueError, TypeError):
        raise
    except Exception as exc:  # whatever reading a foreign server's bytes raised
        raise OSError(f"it does not answer as a Dask scheduler: {type(exc).__name__}") from None
    if not (isinstance(reply, dict) and reply.get("type") == "Scheduler"):
        raise OSError("it does not answer as a Dask scheduler")


class DaskExecutor:
    """Chunks of replications on a Dask distributed cluster: the one at ``scheduler``
    (its workers need cgt-sim installed), or a LocalCluster of ``workers`` processes."""


    def __init__(self, workers: int, scheduler: str | None):
        self.workers, self.scheduler = workers, scheduler
        self.cluster = self.client = None
        self.slots = workers

    def __enter__(self):
        try:
            from dask.distributed import Client
        except ImportError:  # (checked before: check_executor)
            raise OptionError("executor", DASK_MISSING) from None
        try:
            if self.scheduler is None:
                self.cluster = local_cluster(self.workers)
                self.client = Client(self.cluster)
            else:
                try:
                    check_scheduler(self.scheduler)
                    self.client = Client(self.scheduler, timeout=CONNECT_SECONDS)
                except (OSError, ValueError, TypeError) as exc:
                    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    raise OptionError("scheduler", f"cannot connect to {quoted(self.scheduler)} ({reason})") from None
            self.slots = max(1, sum(self.client.nthreads().values()))
        except BaseException:  # Ctrl-C while starting, too: nothing is left running
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        client, cluster = self.client, self.cluster
        self.client = self.cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        return False

    def run(self, scenario: Scenario, seed: int, reps: list[int], size: int) -> Iterator[tuple[list, list]]:

        parts = chunks(reps, size)
        for i, tables in self.calls(simulate_chunk, [(scenario, seed, part) for part in parts]):
            yield parts[i], tables

    def calls(self, fn, arguments: list[tuple]) -> Iterator[tuple[int, object]]:
        """``fn(*args)`` for each ``args`` of ``arguments`` on the cluster (``fn`` a module-level
        function its workers can import); yields (index into ``arguments``, value) as each finishes."""
        from dask.distributed import as_completed

        work = {self.client.submit(fn, *args, pure=False): i for i, args in enumerate(arguments)}
        try:
            for fut in as_completed(list(work)):
                yield work.pop(fut), fut.result()  # popped: the cluster lets the result go
        finally:
            self.client.cancel([f for f in work if not f.done()])


def process_workers(workers: int | None) -> int:
    """Worker processes to use: the number asked for, by default all cores; in a daemonic process
    (a worker of a ``multiprocessing.Pool``, as the EMA Workbench's MultiprocessingEvaluator
    starts), which may not start processes of its own, 1: the work runs in that process."""
    if multiprocessing.current_process().daemon:
        if workers is not None and workers > 1:
            raise OptionError("workers", f"this is a daemonic process (a worker of a multiprocessing.Pool, say), "
                              f"which cannot start the {workers} worker processes asked for; leave `workers` out "
                              "or give 1 to run here")
        return 1
    return workers or os.cpu_count() or 1


def default_workers(replications: int, workers: int | None) -> int:
    """Workers to use: the number asked for (default all cores; 1 in a daemonic process, see
    ``process_workers``), at most one per replication."""
    return max(1, min(process_workers(workers), replications))
