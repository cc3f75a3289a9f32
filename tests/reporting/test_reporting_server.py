"""The report download app, tested with real HTTP clients against uvicorn on a free loopback port."""
from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from o3_governance.cli.reporting import cmd_serve
from o3_governance.reporting import server
from o3_governance.reporting.build import environment, write_index
from o3_governance.reporting.history import sha256_file

from support.reporting import AS_OF, build, seed, write_policy

TOKEN = "s3cret-token-for-tests-0123456789"
DAY = AS_OF.isoformat()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One report on disk and the app serving it; yields (base_url, reports_dir)."""
    from o3_governance.storage.layout import DataLayout

    root = tmp_path_factory.mktemp("srv")
    layout = DataLayout(root / "data").ensure()
    seed(layout)
    build(layout, AS_OF, write_policy(root))
    (layout.reports / "secret.txt").write_text("not a report")          # beside the dated folders
    (layout.reports / DAY / "stray.csv").write_text("not in the manifest")
    certs = layout.reports / "certificates"
    certs.mkdir(exist_ok=True)  # the report build writes its (empty) manifest
    (certs / "deletion-certificate-0123abcd.json").write_text('{"certificate": "deletion", "listed": 3}\n')
    (certs / "deletion-certificate-link.json").symlink_to(layout.reports / "secret.txt")
    (certs / "notes.txt").write_text("not a certificate")
    # Only what the certificate register lists (dispose.write_certificate_manifest) is a certificate.
    (certs / "manifest.json").write_text(json.dumps({"algorithm": "sha256", "files": {
        "deletion-certificate-0123abcd.json": {"sha256": sha256_file(certs / "deletion-certificate-0123abcd.json")},
        "deletion-certificate-link.json": {"sha256": sha256_file(layout.reports / "secret.txt")}}}))
    (certs / "deletion-certificate-fake0000.json").write_text('{"certificate": "deletion", "listed": 0}\n')
    # A dated folder that is a link to somewhere else: its names must never show.
    elsewhere = root / "elsewhere" / "2020-02-02"
    elsewhere.mkdir(parents=True)
    (elsewhere / "person-name-outside.csv").write_text("x")
    (elsewhere / "manifest.json").write_text(json.dumps({"files": {"person-name-outside.csv": {
        "sha256": sha256_file(elsewhere / "person-name-outside.csv")}}}))
    (layout.reports / "2020-02-02").symlink_to(elsewhere, target_is_directory=True)
    write_index(layout.reports)
    port = _free_port()
    config = uvicorn.Config(server.create_app(layout.reports, TOKEN), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        if time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", layout.reports
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _raw_get(base: str, path: str, token: str | None = TOKEN) -> tuple[int, bytes]:
    """http.client sends the path exactly as given: no dot-segment clean-up, no re-encoding."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _auth(token=TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_refused(live):
    base, _ = live
    for path in ("/", f"/reports/{DAY}/report.html", f"/reports/{DAY}/deletion_list.csv"):
        r = httpx.get(base + path)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert b"message_id" not in r.content and b"<svg" not in r.content


@pytest.mark.parametrize("how", ["header", "query", "cookie", "basic"])
def test_wrong_token_is_refused(live, how):
    base, _ = live
    url = f"{base}/reports/{DAY}/report.html"
    wrong = TOKEN[:-1] + "X"
    if how == "header":
        r = httpx.get(url, headers=_auth(wrong))
    elif how == "query":
        r = httpx.get(url, params={"token": wrong})
    elif how == "cookie":
        r = httpx.get(url, cookies={server.COOKIE: TOKEN})   # the token itself is not a session
    else:
        r = httpx.get(url, auth=("dpo", TOKEN))   # the token as a Basic password is not accepted
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    assert b"<svg" not in r.content


def test_good_download_of_the_html_report(live):
    base, reports = live
    r = httpx.get(f"{base}/reports/{DAY}/report.html", headers=_auth())
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-disposition"] == f'inline; filename="o3-report-{DAY}-report.html"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.content == (reports / DAY / "report.html").read_bytes()
    d = httpx.get(f"{base}/reports/{DAY}/report.html", headers=_auth(), params={"download": "1"})
    assert d.headers["content-disposition"] == f'attachment; filename="o3-report-{DAY}-report.html"'


@pytest.mark.parametrize("name, content_type", [
    ("deletion_list.csv", "text/csv; charset=utf-8"),
    ("findings_summary.csv", "text/csv; charset=utf-8"),
    ("record_of_processing.json", "application/json"),
    ("manifest.json", "application/json"),
])
def test_good_download_of_extracts(live, name, content_type):
    base, reports = live
    r = httpx.get(f"{base}/reports/{DAY}/{name}", headers=_auth())
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert r.headers["content-disposition"] == f'attachment; filename="o3-report-{DAY}-{name}"'
    assert r.content == (reports / DAY / name).read_bytes()
    if name != "manifest.json":
        from o3_governance.reporting.history import sha256_file
        assert r.headers["x-content-sha256"] == sha256_file(reports / DAY / name)


def test_token_in_query_sets_a_cookie_that_then_works(live):
    base, _ = live
    with httpx.Client(base_url=base) as client:
        r = client.get("/", params={"token": TOKEN})
        assert r.status_code == 200 and f"/reports/{DAY}/report.html" in r.text
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain http
        assert TOKEN.lower() not in cookie                                     # an opaque id, not the token
        assert len(client.cookies[server.COOKIE]) >= 40
        assert client.get(f"/reports/{DAY}/archive_registry.csv").status_code == 200


def test_index_lists_reports(live):
    base, _ = live
    r = httpx.get(base + "/", headers=_auth())
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'href="/reports/{DAY}/deletion_list.csv"' in r.text and "manifest verified" not in r.text.split(DAY)[0]
    day = httpx.get(f"{base}/reports/{DAY}/", headers=_auth())
    assert day.status_code == 200 and f'href="/reports/{DAY}/report.html"' in day.text


@pytest.mark.parametrize("path", [
    "/reports/../secret.txt",
    f"/reports/{DAY}/../secret.txt",
    f"/reports/{DAY}/..%2Fsecret.txt",
    f"/reports/{DAY}/..%2f..%2f..%2fetc%2fpasswd",
    f"/reports/{DAY}/%2e%2e%2fsecret.txt",
    "/reports/..%2F..%2F..%2Fetc/passwd",
    f"/reports/{DAY}/....//secret.txt",
    f"/reports/{DAY}/%2Fetc%2Fpasswd",
    "/reports/%2e%2e/secret.txt",
    f"/reports/{DAY}/..\\secret.txt",
    "/../../../../etc/passwd",
])
def test_path_traversal_is_refused(live, path):
    base, _ = live
    status, body = _raw_get(base, path)
    assert status in (400, 404)
    assert b"not a report" not in body and b"root:" not in body


@pytest.mark.parametrize("path", [
    f"/reports/{DAY}/nope.csv",               # unknown file
    f"/reports/{DAY}/stray.csv",              # present on disk but not in the manifest
    "/reports/2020-01-01/report.html",       # unknown date
    "/reports/latest/report.html",           # not a date
    f"/reports/{DAY}/.hidden.json",
    "/secret.txt",
])
def test_unknown_files_are_refused(live, path):
    base, _ = live
    r = httpx.get(base + path, headers=_auth())
    assert r.status_code == 404
    assert b"not in the manifest" not in r.content and b"not a report" not in r.content


def test_a_tampered_file_is_not_served(live):
    base, reports = live
    target = reports / DAY / "summary.json"
    original = target.read_bytes()
    try:
        target.write_bytes(original.replace(b"{", b"{ ", 1))
        r = httpx.get(f"{base}/reports/{DAY}/summary.json", headers=_auth())
        assert r.status_code == 409
    finally:
        target.write_bytes(original)
    assert httpx.get(f"{base}/reports/{DAY}/summary.json", headers=_auth()).status_code == 200


def test_the_app_is_read_only(live):
    base, _ = live
    for method in ("POST", "PUT", "DELETE"):
        r = httpx.request(method, f"{base}/reports/{DAY}/report.html", headers=_auth())
        assert r.status_code == 405
    head = httpx.head(f"{base}/reports/{DAY}/report.html", headers=_auth())
    assert head.status_code == 200 and head.content == b""


def test_serve_reports_refuses_to_start_without_a_good_token(monkeypatch, capsys, data_layout):
    import argparse

    args = argparse.Namespace(host=None, port=None, reports_dir=None)
    monkeypatch.delenv(server.TOKEN_ENV, raising=False)
    assert cmd_serve(args) == 2
    assert "O3_REPORTS_TOKEN is not set" in capsys.readouterr().err
    monkeypatch.setenv(server.TOKEN_ENV, "short")
    assert cmd_serve(args) == 2
    assert "too short" in capsys.readouterr().err
    with pytest.raises(server.TokenError):
        server.create_app(data_layout.reports, "")


def test_loopback_is_the_default_bind():
    assert server.DEFAULT_HOST == "127.0.0.1" and server.is_loopback(server.DEFAULT_HOST)
    assert server.is_loopback("::1") and server.is_loopback("localhost")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("192.168.1.10")


@pytest.mark.parametrize("day, name", [
    (DAY, "../secret.txt"), (DAY, ".."), ("..", "secret.txt"), (DAY, "evil.csv"), (DAY, "report.exe"),
    (DAY, "stray.csv"), ("2026-13-99", "report.html"),
])
def test_resolver_refuses_anything_but_manifest_files_inside_the_folder(tmp_path, day, name):
    """Beneath the router: even a name that reached the resolver cannot leave the report folder,
    follow a symlink out of it, or name a file its manifest does not list."""
    import json

    reports = tmp_path / "reports"
    folder = reports / DAY
    folder.mkdir(parents=True)
    (reports / "secret.txt").write_text("not a report")
    (folder / "report.html").write_text("<p>ok</p>")
    (folder / "stray.csv").write_text("x")
    (folder / "evil.csv").symlink_to(reports / "secret.txt")
    from o3_governance.reporting.history import sha256_file
    (folder / "manifest.json").write_text(json.dumps({"files": {
        "report.html": {"sha256": sha256_file(folder / "report.html")},
        "evil.csv": {"sha256": sha256_file(reports / "secret.txt")}}}))
    assert server._resolve(reports.resolve(), DAY, "report.html") == (folder / "report.html").resolve()
    assert server._resolve(reports.resolve(), day, name) is None


def test_certificate_download_and_refusals(live):
    base, reports = live
    r = httpx.get(f"{base}/reports/certificates/deletion-certificate-0123abcd.json", headers=_auth())
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == 'attachment; filename="deletion-certificate-0123abcd.json"'
    assert r.json() == {"certificate": "deletion", "listed": 3}
    assert httpx.get(f"{base}/reports/certificates/deletion-certificate-0123abcd.json").status_code == 401
    for path in ("/reports/certificates/notes.txt", "/reports/certificates/deletion-certificate-link.json",
                 "/reports/certificates/deletion-certificate-nope.json", "/reports/certificates/",
                 "/reports/certificates/..%2Fsecret.txt", "/reports/certificates/../secret.txt"):
        status, body = _raw_get(base, path)
        assert status == 404, path
        assert b"not a report" not in body and b"not a certificate" not in body
    index = httpx.get(base + "/", headers=_auth()).text
    assert 'href="/reports/certificates/deletion-certificate-0123abcd.json"' in index and "notes.txt" not in index
    static = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="certificates/deletion-certificate-0123abcd.json"' in static


def test_check_token_takes_the_configured_token():
    assert server.check_token(TOKEN) == TOKEN
    with pytest.raises(server.TokenError, match="O3_REPORTS_TOKEN is not set"):
        server.check_token(None)
    with pytest.raises(server.TokenError, match="too short"):
        server.check_token("short")


def test_serve_reports_hands_the_configured_token_to_the_app(monkeypatch, data_layout, capsys):
    """The entry point reads O3_REPORTS_TOKEN (through the settings) and passes it down."""
    import argparse

    started = {}
    monkeypatch.setenv(server.TOKEN_ENV, TOKEN)
    monkeypatch.setattr(server, "serve", lambda reports, token, host, port, **kw: started.update(
        reports=reports, token=token, host=host, port=port, **kw))
    assert cmd_serve(argparse.Namespace(host=None, port=None, reports_dir=None)) == 0
    assert started == {"reports": data_layout.reports.resolve(), "token": TOKEN, "host": server.DEFAULT_HOST,
                       "port": server.DEFAULT_PORT}
    assert TOKEN not in capsys.readouterr().out
    started.clear()
    assert cmd_serve(argparse.Namespace(host=None, port=None, reports_dir=None,
                                        forwarded_allow_ips="10.0.0.0/8,192.168.1.1")) == 0
    assert started["forwarded_allow_ips"] == "10.0.0.0/8,192.168.1.1"
    assert cmd_serve(argparse.Namespace(host=None, port=None, reports_dir=None, forwarded_allow_ips="proxy.lan")) == 2
    assert "--forwarded-allow-ips" in capsys.readouterr().err


# ---- sessions, TLS through a trusted proxy, certificates through the manifest, symlinks, malformed
# manifests, and names printed without their control and bidi characters

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(reports, *, client=("127.0.0.1", 5000), base_url="http://testserver", **app_kw):
    from starlette.testclient import TestClient

    return TestClient(server.create_app(reports, TOKEN, **app_kw), base_url=base_url, client=client,
                      raise_server_exceptions=False)


def test_a_session_is_opaque_kept_on_the_server_and_ends(live):
    _, reports = live
    clock = FakeClock()
    with _client(reports, clock=clock) as c:
        r = c.get("/", params={"token": TOKEN})
        sid = c.cookies[server.COOKIE]
        assert r.status_code == 200 and sid and TOKEN not in sid
        assert c.get(f"/reports/{DAY}/summary.json").status_code == 200
        c.cookies.set(server.COOKIE, sid[:-2] + "xx")                 # a made-up id
        assert c.get(f"/reports/{DAY}/summary.json").status_code == 401
        c.cookies.set(server.COOKIE, sid)
        clock.now += server.SESSION_SECONDS + 1                       # the session ends
        assert c.get(f"/reports/{DAY}/summary.json").status_code == 401
    with _client(reports, clock=clock) as other:                       # another server knows no session
        other.cookies.set(server.COOKIE, sid)
        assert other.get(f"/reports/{DAY}/summary.json").status_code == 401


@pytest.mark.parametrize("peer, allow, forwarded, base_url, secure", [
    ("10.0.0.5", "10.0.0.0/8", "https", "http://testserver", True),        # trusted proxy, TLS outside
    ("10.0.0.5", "10.0.0.5", "https, http", "http://testserver", True),    # first hop counts
    ("10.0.0.5", "10.0.0.0/8", "http", "http://testserver", False),        # the proxy says plain http
    ("203.0.113.9", "10.0.0.0/8", "https", "http://testserver", False),    # not a trusted proxy: header ignored
    ("10.0.0.5", None, "https", "http://testserver", False),               # no proxy trusted
    ("10.0.0.5", "*", "https", "http://testserver", True),
    ("127.0.0.1", None, None, "https://testserver", True),                 # TLS straight to the server
])
def test_the_cookie_is_secure_when_the_request_came_over_tls(live, peer, allow, forwarded, base_url, secure):
    _, reports = live
    headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
    with _client(reports, client=(peer, 4000), base_url=base_url, forwarded_allow_ips=allow) as c:
        r = c.get("/", params={"token": TOKEN}, headers=headers)
        assert r.status_code == 200
        assert ("; secure" in r.headers["set-cookie"].lower()) is secure


def test_a_certificate_dropped_into_the_folder_is_not_served_or_listed(live):
    base, reports = live
    r = httpx.get(f"{base}/reports/certificates/deletion-certificate-fake0000.json", headers=_auth())
    assert r.status_code == 404 and b"listed" not in r.content
    assert "fake0000" not in httpx.get(base + "/", headers=_auth()).text
    # A listed certificate whose file changed is not served either.
    cert = reports / "certificates" / "deletion-certificate-0123abcd.json"
    original = cert.read_bytes()
    try:
        cert.write_bytes(original.replace(b"3", b"0"))
        assert httpx.get(f"{base}/reports/certificates/{cert.name}", headers=_auth()).status_code == 409
    finally:
        cert.write_bytes(original)


def test_a_symlinked_report_folder_is_never_listed_or_served(live):
    base, _ = live
    index = httpx.get(base + "/", headers=_auth()).text
    assert "2020-02-02" not in index and "person-name-outside" not in index
    for path in ("/reports/2020-02-02/", "/reports/2020-02-02/person-name-outside.csv",
                 "/reports/2020-02-02/manifest.json"):
        r = httpx.get(base + path, headers=_auth())
        assert r.status_code == 404 and b"person-name-outside" not in r.content, path


def test_a_symlinked_certificates_folder_is_refused(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "deletion-certificate-aaaa.json").write_text("{}\n")
    (outside / "manifest.json").write_text(json.dumps({"files": {"deletion-certificate-aaaa.json": {
        "sha256": sha256_file(outside / "deletion-certificate-aaaa.json")}}}))
    (reports / "certificates").symlink_to(outside, target_is_directory=True)
    with _client(reports) as c:
        assert c.get("/reports/certificates/deletion-certificate-aaaa.json", headers=_auth()).status_code == 404
        assert "aaaa" not in c.get("/", headers=_auth()).text


@pytest.mark.parametrize("manifest", [
    {"files": {"report.html": {"bytes": 9}}},            # an entry without sha256
    {"files": {"report.html": "abc"}},                   # an entry that is not a mapping
    {"files": {"report.html": {"sha256": None}}},
    {"files": ["report.html"]},                          # files not a mapping
    "not json at all {",
])
def test_a_malformed_manifest_is_a_one_line_500(tmp_path, manifest):
    reports = tmp_path / "reports"
    folder = reports / DAY
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<p>ok</p>")
    (folder / "manifest.json").write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    with _client(reports) as c:
        r = c.get(f"/reports/{DAY}/report.html", headers=_auth())
        assert r.status_code == 500, r.text
        assert len(r.text.strip().splitlines()) == 1 and "manifest" in r.text
        assert "Traceback" not in r.text and "Error" not in r.text and "<p>ok</p>" not in r.text


def test_a_malformed_certificate_manifest_is_a_one_line_500(tmp_path):
    certs = tmp_path / "reports" / "certificates"
    certs.mkdir(parents=True)
    (certs / "deletion-certificate-aaaa.json").write_text("{}\n")
    (certs / "manifest.json").write_text(json.dumps({"files": {"deletion-certificate-aaaa.json": {}}}))
    with _client(tmp_path / "reports") as c:
        r = c.get("/reports/certificates/deletion-certificate-aaaa.json", headers=_auth())
        assert r.status_code == 500 and len(r.text.strip().splitlines()) == 1 and "Traceback" not in r.text


def test_any_failure_in_a_route_is_one_line_without_a_traceback(live, monkeypatch):
    _, reports = live

    def boom(*a, **k):
        raise RuntimeError("secret detail from a library")

    monkeypatch.setattr(server.history, "index_entries", boom)
    with _client(reports) as c:
        r = c.get("/", headers=_auth())
    assert r.status_code == 500 and r.text.strip() == "the report server could not answer (RuntimeError)"


SPOOFED = "Client \u202eexe.gpj\u202c Bruxelles\nforged line\u2028\u2066x\u2069\u200e\u200f\x1b[31m"


def test_printable_neutralises_control_and_bidi_characters():
    from o3_governance.identity.chats import printable

    out = printable(SPOOFED)
    assert out == "Client exe.gpj Bruxelles\ufffdforged line\ufffdx\ufffd[31m"
    assert printable(None) == "" and printable("Werf Leuven") == "Werf Leuven"


def test_report_pages_print_names_without_control_or_bidi_characters():
    html = environment().from_string("<td>{{ name }}</td>{{ chart }}").render(
        name=SPOOFED, chart=__import__("markupsafe").Markup("<svg>\n</svg>"))
    assert "\u202e" not in html and "\u2066" not in html and "\x1b" not in html
    assert "<td>Client exe.gpj Bruxelles\ufffdforged line" in html and "<svg>\n</svg>" in html
