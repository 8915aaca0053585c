"""The HTTP surface every platform service has: a health check for the probes and one endpoint."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

VOCABULARY = ("shoes", "shirt", "shorts", "socks", "sandals", "scarf", "sweater")


def complete(prefix: str, limit: int = 5) -> list[str]:
    prefix = prefix.strip().lower()
    return [word for word in VOCABULARY if word.startswith(prefix)][:limit] if prefix else []


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def suggest(request: Request) -> JSONResponse:
    return JSONResponse({"suggestions": complete(request.query_params.get("q", ""))})


app = Starlette(routes=[Route("/healthz", healthz), Route("/suggest", suggest)])
