"""The web server behind ``tertius serve``: a Starlette application with a fixed set of routes.

What it protects, and how (docs/security.md says the same for users):

* Hosts: only requests addressed to the host it listens on (and localhost) are answered, which
  stops DNS-rebinding pages from reaching it through the browser.
* Origins: a request that changes state (every POST) must come from the page itself: a foreign
  ``Origin`` or a cross-site ``Sec-Fetch-Site`` gets 403, and JSON routes take only
  ``application/json`` bodies, which a foreign page cannot send without a preflight that fails.
* Size: a body over :attr:`Limits.max_body` gets 413, counted as it streams, whatever
  ``Content-Length`` says. Scenarios, draws and sweeps have their own limits, and every model run
  has a time limit; sweeps run in the background and can be cancelled.
* Files: no route reads a path taken from a request. Static files and bundled scenarios are looked
  up by name in fixed tables, so anything else, ``..`` included, is 404. Uploads are parsed by
  tertius's own readers from a private temporary folder, under a fixed name.
* Failures: a user's mistake is a 400 with the CLI's one-line error; anything else is a 500 with a
  one-line message, and the server goes on.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from importlib import resources
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tertius.errors import InputError
from tertius.models import MODELS
from tertius.scenario import Scenario
from tertius.schemas import scenario_schema
from tertius.version import __version__
from tertius.web import api
from tertius.web.api import Limits
from tertius.web.pool import Busy, HeavyPool

#: The page's files, by the name the page asks for: nothing outside this table is ever served.
STATIC = {
    "app.js": ("tertius", "web/static/app.js", "text/javascript; charset=utf-8"),
    "app.css": ("tertius", "web/static/app.css", "text/css; charset=utf-8"),
    "plotly.min.js": ("plotly", "package_data/plotly.min.js", "text/javascript; charset=utf-8"),
}

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "form-action 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _static(package: str, name: str) -> bytes:
    return (resources.files(package) / name).read_bytes()


class _Guard:
    """ASGI middleware: refuse cross-origin state changes (403) and bodies over the limit (413),
    and add the security headers to every response."""

    def __init__(self, app: Any, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
                       send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def send_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            origin = headers.get("origin")
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            site = headers.get("sec-fetch-site")
            if (origin is not None and origin != own) or (site is not None and site not in ("same-origin", "none")):
                await JSONResponse({"error": "refused: the request did not come from this page"},
                                   status_code=403)(scope, receive, send_headers)
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limits.max_body):
            await _too_large(self.limits)(scope, receive, send_headers)
            return
        await self.app(scope, receive, send_headers)


def _too_large(limits: Limits) -> JSONResponse:
    return JSONResponse({"error": f"the request is larger than the page's limit of {limits.max_body // 1000} kB",
                         "fix": "use the command line for large files: tertius run FILE"}, status_code=413)


class _Handlers:
    """The routes' handlers and the state they share: the limits, the running sweeps and the
    limiter that keeps at most two computations at once."""

    def __init__(self, scenario: Scenario | None, limits: Limits, pool: HeavyPool) -> None:

        self.limits = limits
        self.pages = {"index": _static("tertius", "web/static/index.html")}
        self.sweeps: dict[str, api.SweepRun] = {}
        self.lock = threading.Lock()
        self.compute = anyio.CapacityLimiter(2)
        self.pool = pool  # heavy requests run here, in worker processes, and are refused (429) when it is full
        self.schema = scenario_schema()  # the page's conflict editor is drawn from it
        self.initial = scenario.to_data() if scenario is not None else api.bundled_data("second-opium-war")

    async def body(self, request: Request) -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.limits.max_body:
                raise HTTPException(413)
            chunks.append(chunk)
        return b"".join(chunks)

    async def json_body(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(415)
        try:
            data = json.loads(await self.body(request))
        except (ValueError, UnicodeDecodeError):
            raise InputError("the request is not valid JSON", file="the page's request",
                             fix="reload the page") from None
        if not isinstance(data, dict):
            raise InputError("the request is not a JSON object", file="the page's request", fix="reload the page")
        return data

    async def timed(self, fn: Callable[[], Any], limiter: anyio.CapacityLimiter | None = None) -> Any:
        """Run a computation in a worker thread, at most two at once (or as ``limiter`` allows),
        within the time limit."""
        with anyio.fail_after(self.limits.run_seconds):
            return await anyio.to_thread.run_sync(fn, limiter=limiter or self.compute, abandon_on_cancel=True)

    async def heavy(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a heavy computation in the worker pool within the time limit; :class:`Busy` (429)
        when the pool is full, or when the request waited the whole limit for a worker."""
        return await self.pool.run(fn, *args, timeout=self.limits.run_seconds)

    async def scenario_and_seed(self, request: Request) -> tuple[dict[str, Any], Scenario, int]:
        data = await self.json_body(request)
        seed = _seed_of(data)
        return data, api.scenario_of(data.get("scenario"), self.limits), seed

    async def index(self, request: Request) -> Response:
        return Response(self.pages["index"], media_type="text/html; charset=utf-8")

    async def static(self, request: Request) -> Response:
        entry = STATIC.get(request.path_params["name"])
        if entry is None:
            raise HTTPException(404)
        package, name, media = entry
        return Response(_static(package, name), media_type=media)

    async def info(self, request: Request) -> Response:
        limits = self.limits
        return JSONResponse({
            "version": __version__, "initial": self.initial, "bundled": api.bundled(), "schema": self.schema,
            "models": api.model_list(), "options": api.option_list(), "uploads": list(api.SUFFIXES),
            "limits": {"max_sweep": limits.max_sweep, "max_draws": limits.max_draws, "max_body": limits.max_body,
                       "max_actors": limits.max_actors, "max_issues": limits.max_issues},
            "pool": {"workers": self.pool.workers, "kind": self.pool.kind, "fallback": self.pool.fallback_reason}})

    async def bundled(self, request: Request) -> Response:
        data = api.bundled_data(request.path_params["sid"])
        if data is None:
            raise HTTPException(404)
        return JSONResponse({"scenario": data})

    async def upload(self, request: Request) -> Response:
        content = await self.body(request)
        name = request.query_params.get("name", "upload")
        select = request.query_params.get("select")
        return JSONResponse(await self.timed(lambda: api.upload(name, content, self.limits, select)))

    async def run(self, request: Request) -> Response:
        data, s, seed = await self.scenario_and_seed(request)
        models = data.get("models")
        if models is not None and (not isinstance(models, list) or not all(m in MODELS for m in models)):
            raise InputError("models must be a list of registered models", file="the page's request",
                             path=("models",), fix=f"use some of: {', '.join(MODELS)}")
        params = api.params_of(data.get("params"))
        return JSONResponse(await self.timed(lambda: api.run(s, models, seed, params)))

    async def breakeven(self, request: Request) -> Response:
        data, s, seed = await self.scenario_and_seed(request)
        params = api.params_of(data.get("params"))
        return JSONResponse(await self.heavy(api.breakevens, s, None, seed, params))

    async def third_parties(self, request: Request) -> Response:
        data, s, seed = await self.scenario_and_seed(request)
        draws = data.get("draws", 200)
        if isinstance(draws, bool) or not isinstance(draws, int):
            raise InputError("draws must be a whole number", file="the page's request", path=("draws",), fix="e.g. 200")
        return JSONResponse({"third_parties": await self.heavy(api.third_parties, s, draws, seed, self.limits)})

    async def sweep_start(self, request: Request) -> Response:
        data = await self.json_body(request)
        s = api.scenario_of(data.get("scenario"), self.limits)
        job = api.sweep_run(s, data, self.limits)
        job.executor = self.pool
        with self.lock:
            # the cap on sweeps first: its message says what to do, whatever the pool's load
            if sum(j.state == "running" for j in self.sweeps.values()) >= self.limits.max_sweeps:
                return JSONResponse({"error": f"{self.limits.max_sweeps} sweeps are running already",
                                     "fix": "wait for one to finish, or cancel it"}, status_code=429)
            self.pool.admit()  # a full pool refuses a new sweep (429), as it refuses other heavy work
            for key in [k for k, j in self.sweeps.items() if j.state != "running"][:-8]:
                del self.sweeps[key]  # keep the last few finished sweeps only
            key = secrets.token_urlsafe(12)
            self.sweeps[key] = job
        job.start()
        return JSONResponse({"id": key, "n": job.n})

    def sweep_of(self, request: Request) -> api.SweepRun:
        job = self.sweeps.get(request.path_params["key"])
        if job is None:
            raise HTTPException(404)
        return job

    async def sweep_status(self, request: Request) -> Response:
        return JSONResponse(self.sweep_of(request).status())

    async def sweep_cancel(self, request: Request) -> Response:
        job = self.sweep_of(request)
        job.cancelled.set()
        return JSONResponse({"state": "cancelling"})

    async def export(self, request: Request) -> Response:
        kind = request.path_params["kind"]
        if kind not in ("yaml", "xlsx", "decide", "results", "report"):
            raise HTTPException(404)
        _, s, seed = await self.scenario_and_seed(request)
        if kind in ("results", "report"):  # the whole analysis: heavy
            filename, media, content = await self.heavy(api.export, s, kind, seed)
        else:
            filename, media, content = await self.timed(lambda: api.export(s, kind, seed))
        stem, _, ext = filename.rpartition(".")
        return Response(content, media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{api.safe_name(stem)}.{ext}"'})

    async def input_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, InputError)
        return JSONResponse(api.error_payload(exc), status_code=400)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 413:
            return _too_large(self.limits)
        words = {404: "not found", 405: "method not allowed", 415: "the request must be JSON"}
        return JSONResponse({"error": words.get(exc.status_code, exc.detail)}, status_code=exc.status_code)

    async def too_slow(self, request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"the computation passed the page's limit of {self.limits.run_seconds:g} s",
                             "fix": "use the command line for this scenario: tertius run FILE"}, status_code=503)

    async def busy(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Busy)
        return JSONResponse({"error": "the server is busy with other heavy requests",
                             "fix": f"try again in {exc.retry_after} s (the page retries by itself)",
                             "retry_after": exc.retry_after},
                            status_code=429, headers={"Retry-After": str(exc.retry_after)})

    async def failure(self, request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)


def _seed_of(data: dict[str, Any]) -> int:
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise InputError("seed must be a whole number from 0", file="the page's request", path=("seed",),
                         fix="e.g. seed 0")
    return seed


def create_app(scenario: Scenario | None = None, *, limits: Limits | None = None,
               hosts: list[str] | None = None, pool: HeavyPool | None = None) -> Starlette:
    """The web application. ``scenario`` is shown first (default: the bundled default scenario);
    ``hosts`` are the Host names it answers besides 127.0.0.1 and localhost; ``pool`` runs the
    heavy requests (default: a :class:`~tertius.web.pool.HeavyPool` of worker processes sized from
    the CPU count, started by the first heavy request and shut down with the application)."""
    limits = limits or Limits()
    h = _Handlers(scenario, limits, pool or HeavyPool())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            h.pool.shutdown()

    routes = [
        Route("/", h.index), Route("/static/{name}", h.static), Route("/api/info", h.info),
        Route("/api/bundled/{sid}", h.bundled), Route("/api/upload", h.upload, methods=["POST"]),
        Route("/api/run", h.run, methods=["POST"]), Route("/api/third-parties", h.third_parties, methods=["POST"]),
        Route("/api/broker", h.third_parties, methods=["POST"]),  # the route's name up to 0.2.0
        Route("/api/breakeven", h.breakeven, methods=["POST"]),
        Route("/api/sweep", h.sweep_start, methods=["POST"]), Route("/api/sweep/{key}", h.sweep_status),
        Route("/api/sweep/{key}/cancel", h.sweep_cancel, methods=["POST"]),
        Route("/api/export/{kind}", h.export, methods=["POST"]),
    ]
    allowed = ["127.0.0.1", "localhost", "[::1]", *(hosts or [])]
    return Starlette(routes=routes, lifespan=lifespan, middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed),
        Middleware(_Guard, limits=limits),
    ], exception_handlers={Busy: h.busy, InputError: h.input_error, HTTPException: h.http_error, TimeoutError: h.too_slow,
                           Exception: h.failure})


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(scenario: Scenario | None, host: str = "127.0.0.1", port: int = 8765,
          announce: Callable[[str], None] = print) -> None:
    """Serve the page until interrupted. On an address other than loopback the page answers any
    Host name (the machine's names are not known in advance), and ``announce`` warns that it has
    no login."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise InputError(f"cannot listen on {host}:{port}: {e.strerror or e}", file="--host/--port",
                         fix=f"choose another port, e.g. --port {port + 1}") from None
    app = create_app(scenario, hosts=None if host in LOOPBACK else ["*"])
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    if host not in LOOPBACK:
        announce(f"warning: the page has no login; anyone who can reach {shown}:{port} can use it "
                 "(serve on 127.0.0.1, the default, to keep it to this machine)")
    announce(f"tertius {__version__}: serving on http://{shown}:{port}/ (Ctrl-C stops)")
    server.run()


__all__ = ["STATIC", "Limits", "create_app", "serve"]
