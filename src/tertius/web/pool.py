"""The page's heavy requests (third-party analysis, break-even searches, sweeps and the exports that
run the whole analysis) run here, in a pool of worker processes, so that they do not hold the
server's interpreter lock while ``/api/run`` answers edits.

The pool is bounded: it admits at most :attr:`HeavyPool.capacity` tasks at once (running or
queued). A request that finds it full is refused at once with 429 and a ``Retry-After`` (see
:mod:`tertius.web.app`), rather than left to queue past the page's time limit and end as a 503.
Where worker processes cannot start (a sandbox without semaphores, say), the pool falls back to
threads, with the same bound. Work done in a worker is the library's own, called with the same
arguments, so the page's numbers are the same wherever it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tertius.models import bdm_kernel

#: Modules a worker process imports before its first task, so the first heavy request is not slow.
PRELOAD = ["tertius.web.api"]

#: How much lower the worker processes' scheduling priority is than the server's (``os.nice``):
#: an edit's ``/api/run``, answered in the server, goes before the previous edit's third-party
#: analysis still running in a worker, rather than sharing the CPU with it evenly.
WORKER_NICE = 5


class Busy(Exception):
    """The pool is full: the caller answers 429 with ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the server is busy with {retry_after} s of work")
        self.retry_after = retry_after


def default_workers() -> int:
    """One worker per CPU this process may use, less one left to the server for ``/api/run``
    (at least one)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, cpus - 1)


def _ready() -> int:
    return os.getpid()


def _lower_priority(step: int) -> None:
    """A worker process's initializer: lower its priority by ``step`` (where the system allows),
    and run the bdm kernel on one thread (the workers and the server share the cores)."""
    bdm_kernel.one_thread()
    if step > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(step)


class HeavyPool(Executor):
    """A bounded executor of heavy tasks: processes where they can start, else threads.

    ``nice`` (default :data:`WORKER_NICE`) lowers the worker processes' priority below the
    server's; threads, which share the server's process, keep its priority.
    ``capacity`` (default: the workers plus one: a task admitted waits behind few others, so within the
    page's time limit) is how many tasks may be admitted at once,
    running or waiting; :meth:`admit` raises :class:`Busy` beyond it. Tasks submitted with
    :meth:`submit` (the sweep engine's chunks of a sweep already admitted) are counted but never
    refused. A worker that dies (``BrokenProcessPool``) is replaced before the next task."""

    def __init__(self, workers: int | None = None, capacity: int | None = None, processes: bool = True,
                 nice: int | None = None) -> None:
        self.workers = workers or default_workers()
        self.nice = WORKER_NICE if nice is None else nice
        self.capacity = capacity or self.workers + 1
        self.want_processes = processes
        self.kind = "none"
        self.fallback_reason: str | None = None
        self._lock = threading.Lock()
        self._executor: Executor | None = None
        self.in_flight = 0

    # ------------------------------------------------------------------ the executor
    def _start(self) -> Executor:
        if self.want_processes:
            try:
                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                ctx = multiprocessing.get_context(method)
                if method == "forkserver":
                    ctx.set_forkserver_preload(PRELOAD)
                executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                               initializer=_lower_priority, initargs=(self.nice,))
                executor.submit(_ready).result(timeout=120)  # processes that cannot start fail here
                self.kind = "processes"
                return executor
            except (OSError, BrokenProcessPool, RuntimeError, TimeoutError) as error:
                # no worker processes here (a sandbox without semaphores, a frozen interpreter; RuntimeError
                # covers its subclasses that multiprocessing raises there): threads, and /api/info says why
                self.fallback_reason = f"{type(error).__name__}: {error}"
        self.kind = "threads"
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tertius-heavy")

    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = self._start()
            return self._executor

    def _broken(self, executor: Executor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ admission
    def retry_after(self) -> int:
        """Seconds a refused client should wait: about one task per worker ahead of it."""
        return max(1, min(30, round(2 * self.in_flight / self.workers)))

    def admit(self) -> None:
        """Raise :class:`Busy` when ``capacity`` tasks are in flight already."""
        with self._lock:
            if self.in_flight >= self.capacity:
                raise Busy(self.retry_after())

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit a task (the :class:`concurrent.futures.Executor` interface, so the sweep engine
        can run its chunks here); counted in :attr:`in_flight` until it ends."""
        executor = self.executor()
        with self._lock:
            self.in_flight += 1
        try:
            future = executor.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._broken(executor)
            executor = self.executor()
            future = executor.submit(fn, *args, **kwargs)
        except BaseException:
            with self._lock:
                self.in_flight -= 1
            raise

        def done(f: Future[Any]) -> None:
            with self._lock:
                self.in_flight -= 1
            if isinstance(f.exception() if not f.cancelled() else None, BrokenProcessPool):
                self._broken(executor)

        future.add_done_callback(done)
        return future

    async def run(self, fn: Callable[..., Any], /, *args: Any, timeout: float | None = None) -> Any:
        """Admit (or raise :class:`Busy`), run ``fn(*args)`` in the pool and await its result.

        Past ``timeout`` seconds, a task still waiting for a worker is withdrawn and the caller
        told the pool is busy (:class:`Busy`, a 429: the server is loaded, the request is fine); a
        task that has started raises :class:`TimeoutError` (the computation is too slow)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        self.admit()
        if self._executor is None:  # the first heavy request starts the workers, off the event loop
            await asyncio.to_thread(self.executor)
            self.admit()
        future = self.submit(fn, *args)
        left = None if deadline is None else max(0.0, deadline - loop.time())
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), left)
        except TimeoutError:
            if future.cancel():
                raise Busy(self.retry_after()) from None
            raise

    def shutdown(self, wait: bool = False, *, cancel_futures: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)


__all__ = ["Busy", "HeavyPool", "default_workers"]
