"""`python -m reference_service`: serve the app on `PORT`, the variable the platform's
Deployment sets to the container port (`ml-platform:services.<name>.port`, default 8080).

`HOST` defaults to every interface, as a container needs; tests bind 127.0.0.1.
"""

from __future__ import annotations

import os

import uvicorn

DEFAULT_PORT = 8080


def main() -> None:
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    host = os.environ.get("HOST", "0.0.0.0")  # a container listens on its pod IP
    # The kubelet sends SIGTERM after the preStop sleep; uvicorn then finishes in-flight requests.
    uvicorn.run("reference_service.app:app", host=host, port=port, proxy_headers=False)


if __name__ == "__main__":
    main()
