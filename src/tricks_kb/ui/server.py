"""Server hardening for the app: security headers on every response and no look-ups off the machine.

``serve.py`` (``./dev.sh app``) wraps ``app.py`` in ``st.App`` with :class:`SecurityHeaders`, after
:func:`stay_offline` has replaced Streamlit's external-IP look-up (an HTTP request to a public
address, made at start in headless mode and for every WebSocket with a foreign ``Origin``) and its
internal-IP probe (a UDP connect to a public address) by answers that need no network.
"""

from __future__ import annotations

from typing import Any

# 'self' only: no other site may put the app in a frame (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def stay_offline() -> None:
    """Make Streamlit's IP discovery answer without contacting anything (idempotent)."""
    from streamlit import net_util

    net_util.get_external_ip = lambda: None
    net_util.get_internal_ip = lambda: None


class SecurityHeaders:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response (WebSockets untouched)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message.get("type") == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.headers if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
