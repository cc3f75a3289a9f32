"""The report download app, tested with real HTTP clients against uvicorn on a free loopback port."""
from __future__ import annotations

import http.client
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from o3_governance.cli.reporting import cmd_serve
from o3_governance.reporting import server
from o3_governance.reporting.build import write_index

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
    certs.mkdir()
    (certs / "deletion-certificate-0123abcd.json").write_text('{"certificate": "deletion", "listed": 3}\n')
    (certs / "deletion-certificate-link.json").symlink_to(layout.reports / "secret.txt")
    (certs / "notes.txt").write_text("not a certificate")
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
        r = httpx.get(url, cookies={server.COOKIE: wrong})
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
        assert "httponly" in cookie and "samesite=strict" in cookie
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
    monkeypatch.setattr(server, "serve", lambda reports, token, host, port: started.update(
        reports=reports, token=token, host=host, port=port))
    assert cmd_serve(argparse.Namespace(host=None, port=None, reports_dir=None)) == 0
    assert started == {"reports": data_layout.reports.resolve(), "token": TOKEN, "host": server.DEFAULT_HOST,
                       "port": server.DEFAULT_PORT}
    assert TOKEN not in capsys.readouterr().out
