"""A Streamlit session driven over the app's own WebSocket protocol, as the browser drives it, without a browser.

The load benchmark uses it to put N real sessions on the server (each its own Streamlit session: own
session state, own script runs) while leaving the machine's cores to the server rather than to N
browsers drawing pages. The messages are Streamlit's protobufs (``streamlit.proto``): a ``rerun_script``
``BackMsg`` with the page's query string or the search box's new value, answered by ``ForwardMsg`` deltas
and a ``script_finished``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FRIENDLY_ERROR = "Sorry, something went wrong"


@dataclass
class Run:
    """What one script run sent: its markdown text, whether it failed, how long it took."""

    text: list[str] = field(default_factory=list)
    exception: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.exception or any(FRIENDLY_ERROR in t for t in self.text)


class Session:
    """One browser-like session: ``open(query)`` loads ``/?q=query``; ``search(q)`` types into the search box."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: websockets.ClientConnection | None = None
        self.page_hash = ""
        self.box_id: str | None = None
        self.query_string = ""  # the page's URL query, as the app last set it (the browser sends it back)

    async def open(self, query: str, timeout: float) -> Run:
        ws_url = self.url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], origin=self.url.rstrip("/"),
                                           max_size=None, open_timeout=timeout)
        msg = BackMsg()
        self.query_string = "q=" + query.replace(" ", "+")
        msg.rerun_script.query_string = self.query_string
        return await self._run(msg, timeout)

    async def search(self, query: str, timeout: float) -> Run:
        if self.box_id is None:
            raise RuntimeError("the page has no search box")
        msg = BackMsg()
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.query_string = self.query_string
        msg.rerun_script.widget_states.widgets.append(WidgetState(id=self.box_id, string_value=query))
        return await self._run(msg, timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def _run(self, msg: BackMsg, timeout: float) -> Run:
        assert self.ws is not None
        run, t0 = Run(), time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + timeout
        while True:
            raw = await _recv(self.ws, deadline)
            fwd = ForwardMsg.FromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = fwd.page_info_changed.query_string
            elif kind == "navigation":
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                what = el.WhichOneof("type")
                if what == "markdown":
                    run.text.append(el.markdown.body)
                elif what == "exception":
                    run.exception = True
                elif what == "text_input" and el.text_input.label == "Search":
                    self.box_id = el.text_input.id
            elif kind == "script_finished":
                run.seconds = time.perf_counter() - t0
                return run


async def _recv(ws: websockets.ClientConnection, deadline: float) -> bytes:
    import asyncio

    raw = await asyncio.wait_for(ws.recv(), timeout=max(0.001, deadline - time.perf_counter()))
    return raw if isinstance(raw, bytes) else raw.encode()
