"""The HTTP surface every platform service has: the probes' endpoints and one endpoint of its own.

The paths are the platform's defaults (`ml-platform:services.<name>.probes`): the kubelet's
startup and liveness probes call `/healthz`, the readiness probe and the ALB's health check call
`/ready`. A service built from this layout with default settings passes all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

VOCABULARY = ("shoes", "shirt", "shorts", "socks", "sandals", "scarf", "sweater")


def complete(prefix: str, limit: int = 5) -> list[str]:
    prefix = prefix.strip().lower()
    return [word for word in VOCABULARY if word.startswith(prefix)][:limit] if prefix else []


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # A real service loads its model here; it is ready to take traffic only once that is done.
    app.state.ready = True
    yield
    app.state.ready = False


async def healthz(_: Request) -> JSONResponse:
    """Liveness: the process answers. Never depends on anything downstream."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """Readiness: the service can take traffic (its startup work is done)."""
    if getattr(request.app.state, "ready", False):
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "starting"}, status_code=503)


async def suggest(request: Request) -> JSONResponse:
    return JSONResponse({"suggestions": complete(request.query_params.get("q", ""))})


app = Starlette(
    routes=[Route("/healthz", healthz), Route("/ready", ready), Route("/suggest", suggest)],
    lifespan=lifespan,
)
