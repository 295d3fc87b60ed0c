"""The app's server as ``./dev.sh app`` runs it (``streamlit run serve.py``): headers, hosts, no outside contact.

A ``sitecustomize`` audit hook in the server process records every socket connect, DNS look-up and
URL request; after a start, hostile handshakes and a real page load in chromium, every recorded
address must be on this machine.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import textwrap
from pathlib import Path

import pytest

from tricks_kb.testing import CHROMIUM, CHROMIUM_ARGS, start_server

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "test-output" / "logs"

HOOK = textwrap.dedent('''
    import os, sys
    _LOG = os.environ["TRICKS_KB_NET_LOG"]
    def _hook(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.bind"):
            line = f"{event}\\t{args[1]!r}"
        elif event == "socket.getaddrinfo":
            line = f"{event}\\t{args[0]!r}"
        elif event == "urllib.Request":
            line = f"{event}\\t{args[0]!r}"
        else:
            return
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(line + "\\n")
    sys.addaudithook(_hook)
''')


def _is_local(value: str) -> bool:
    """True for loopback addresses, 'localhost', unix socket paths and None host look-ups."""
    import ast

    try:
        v = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    if v is None or isinstance(v, (str, bytes)) and (str(v).startswith("/") or str(v) in ("localhost", "")):
        return isinstance(v, (str, bytes, type(None)))
    host = v[0] if isinstance(v, tuple) else v
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", "", None) or str(host).startswith("/"):
        return True
    if isinstance(host, str) and host.startswith(("http://localhost", "http://127.0.0.1")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handshake(port: int, host: str, origin: str) -> int:
    """HTTP status of a WebSocket upgrade to Streamlit's stream endpoint."""
    req = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: streamlit\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req.encode())
        head = s.recv(4096).decode(errors="replace")
    return int(head.split()[1]) if head.startswith("HTTP/") else 0


BARE = "Bare links https://evil.example/x and www.evil.example/login and mail@evil.example in plain text"


@pytest.fixture(scope="module")
def watched_server(tmp_path_factory, search_index):
    d = tmp_path_factory.mktemp("nethook")
    (d / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    log = d / "net.log"
    catalog = d / "tricks"
    shutil.copytree(search_index.catalog_dir, catalog)
    entry = catalog / "dropout.yaml"
    text = entry.read_text(encoding="utf-8")
    entry.write_text(re.sub(r"(?m)^summary: .*$", lambda m: m.group(0) + " " + BARE, text, count=1)
                     .replace("summary: >-\n", "summary: >-\n  " + BARE + "\n", 1), encoding="utf-8")
    env = {"TRICKS_KB_CATALOG": str(catalog), "TRICKS_KB_INDEX": str(search_index.index_dir),
           "TRICKS_KB_NET_LOG": str(log), "PYTHONPATH": os.pathsep.join(filter(None, [str(d), os.environ.get("PYTHONPATH")]))}
    with start_server(LOGS / "server-hardening.log", env=env) as server:
        yield server, log


def test_security_headers(watched_server) -> None:
    import urllib.request

    server, _ = watched_server
    with urllib.request.urlopen(server.url + "/", timeout=10) as r:  # noqa: S310  # nosec B310 # local test server
        headers = {k.lower(): v for k, v in r.headers.items()}
    assert headers["content-security-policy"] == "frame-ancestors 'self'"
    assert headers["x-frame-options"] == "SAMEORIGIN" and headers["x-content-type-options"] == "nosniff"


def test_foreign_host_is_refused_and_local_is_accepted(watched_server) -> None:
    server, _ = watched_server
    port = server.port
    assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
    # DNS rebinding: the attacker's name resolves to this machine, Host and Origin match each other.
    assert _handshake(port, "evil.example", "http://evil.example") != 101
    assert _handshake(port, f"evil.example:{port}", f"http://evil.example:{port}") != 101
    # A foreign page connecting to localhost: refused, and the origin check contacts nothing.
    assert _handshake(port, f"localhost:{port}", "http://evil.example") != 101


def test_server_contacts_nothing_off_the_machine(watched_server) -> None:
    from playwright.sync_api import sync_playwright

    server, log = watched_server
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./dev.sh test does it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.url + "/?q=warmup", timeout=90_000)
        page.get_by_test_id("stApp").wait_for(timeout=90_000)
        page.get_by_text("results for").first.wait_for(timeout=90_000)
        browser.close()
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    assert any(ln.startswith("socket.bind") for ln in lines), "the audit hook saw no bind: it is not installed"
    outside = [ln for ln in lines if not ln.startswith("socket.bind") and not _is_local(ln.split("\t", 1)[1])]
    assert outside == [], outside


def test_no_bare_or_attacker_url_becomes_a_link(watched_server) -> None:
    from urllib.parse import quote, urlsplit

    from playwright.sync_api import sync_playwright

    server, _ = watched_server
    pages = ["/trick?trick=dropout", "/trick?trick=" + quote("https://evil.example/login"),
             "/?q=" + quote("www.evil.example/login"), "/?q=" + quote("https://evil.example/x dropout"),
             "/compare?compare=" + quote("https://evil.example/x,dropout,www.evil.example"),
             "/?q=dropout"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for path in pages:
            page.goto(server.url + path, timeout=90_000)
            page.get_by_test_id("stApp").wait_for(timeout=90_000)
            page.wait_for_function("() => document.body.innerText.includes('evil')", timeout=90_000)
            page.wait_for_timeout(500)
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            # a link to the attacker's host (the page's own URL, in "skip to content", is not one)
            assert not [h for h in hrefs if "evil" in (urlsplit(h).hostname or "") or h.startswith("mailto:")], (path, hrefs)
        body = page.inner_text("body")
        browser.close()
    assert "evil.example" in body  # the text is shown, only not as a link


def test_the_checker_would_see_an_outside_address() -> None:
    assert not _is_local("('8.8.8.8', 1)") and not _is_local("'checkip.amazonaws.com'")
    assert _is_local("('127.0.0.1', 8501)") and _is_local("'localhost'") and _is_local("'/tmp/x.sock'")


def _other_address() -> str | None:
    """A non-loopback IPv4 address of this machine (None when it has none)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks the outgoing interface
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if ipaddress.ip_address(addr).is_loopback else addr


def test_expose_serves_the_named_host_only(search_index, tmp_path) -> None:
    env = {"TRICKS_KB_CATALOG": str(search_index.catalog_dir), "TRICKS_KB_INDEX": str(search_index.index_dir)}
    with start_server(LOGS / "server-expose.log", env=env, args=["--expose", "kb.example.org"]) as server:
        port = server.port
        assert _handshake(port, f"kb.example.org:{port}", f"http://kb.example.org:{port}") == 101
        assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
        assert _handshake(port, f"evil.example:{port}", f"http://evil.example:{port}") != 101
        other = _other_address()
        if other:  # listening on every interface, not only loopback
            with socket.create_connection((other, port), timeout=10):
                pass


def test_default_server_listens_on_loopback_only(watched_server) -> None:
    server, _ = watched_server
    other = _other_address()
    if other is None:
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError):
        socket.create_connection((other, server.port), timeout=5).close()


@pytest.mark.parametrize("args, message", [
    (["--expose"], "needs the host name"),
    (["--expose", "--server.port"], "needs the host name"),
    (["--expose", "http://kb.example.org:80"], "not a host name"),
])
def test_expose_without_a_usable_host_is_a_usage_error(args, message, capsys) -> None:
    from tricks_kb.ui.serve import main

    assert main(["serve.py", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --expose") and message in err
