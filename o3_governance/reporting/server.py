"""``o3-governance serve-reports``: a small read-only web app that lists the dated reports and serves
their files, behind a token.

- Token: ``O3_REPORTS_TOKEN``, passed in by ``o3-governance serve-reports``; sent as ``Authorization:
  Bearer <token>`` or ``?token=<token>``, compared in constant time. After a good ``?token=`` the
  browser gets a session cookie: an opaque random id the server maps to an expiry (never the token),
  HttpOnly, SameSite=Strict, and ``Secure`` when the request came over TLS: directly, or through a
  proxy whose address is in ``forwarded_allow_ips`` and that says ``X-Forwarded-Proto: https`` (the
  header is ignored from anyone else).
- Only ``/reports/<YYYY-MM-DD>/<file>`` where the file is listed in that folder's manifest (or is the
  manifest) and still matches its sha256, and ``/reports/certificates/deletion-certificate-<id>.json``
  listed with a matching sha256 in ``certificates/manifest.json`` (written from the retention
  domain's certificate register) are served; anything else is 404, whatever the encoding of the path.
  A symbolic link anywhere under the reports folder is never listed or served. A malformed manifest
  is a one-line 500 page; no error ever shows a traceback. Only GET/HEAD. Access logs are off: a
  query string can hold the token.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import ipaddress
import re
import secrets
import time
from pathlib import Path
from typing import Callable, Iterable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from o3_governance.reporting import history
from o3_governance.reporting.address import DEFAULT_HOST, DEFAULT_PORT
from o3_governance.storage.private import private_umask
from o3_governance.reporting.build import environment

TOKEN_ENV = "O3_REPORTS_TOKEN"
COOKIE = "o3_reports_session"
SESSION_SECONDS = 8 * 3600     # a working day; then the token is needed again
MAX_SESSIONS = 1000            # the oldest are forgotten first
MIN_TOKEN_LENGTH = 16

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
}
INLINE = {".html", ".png"}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


class TokenError(ValueError):
    pass


def check_token(token: str | None) -> str:
    """The configured token (``O3_REPORTS_TOKEN``, read by the entry point), when it is good enough."""
    token = token or ""
    if not token:
        raise TokenError(f"{TOKEN_ENV} is not set: the report server needs a token")
    if len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(f"{TOKEN_ENV} is too short (at least {MIN_TOKEN_LENGTH} characters)")
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text + "\n", status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


class TrustedProxies:
    """The proxies whose ``X-Forwarded-Proto`` is believed (``--forwarded-allow-ips``: addresses or
    networks, comma-separated, or ``*`` for any)."""

    def __init__(self, spec: str | Iterable[str] | None) -> None:
        items = [x.strip() for x in (spec.split(",") if isinstance(spec, str) else (spec or ())) if x.strip()]
        self.any = "*" in items
        try:
            self.networks = [ipaddress.ip_network(x, strict=False) for x in items if x != "*"]
        except ValueError:
            raise ValueError("--forwarded-allow-ips takes IP addresses or networks, comma-separated, or *") from None

    def trusts(self, host: str | None) -> bool:
        if not host:
            return False
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in n for n in self.networks)


def came_over_tls(request: Request, proxies: TrustedProxies) -> bool:
    """TLS to this server, or to a trusted proxy that forwarded the request (its header, from it only)."""
    if request.url.scheme == "https":
        return True
    client = request.client.host if request.client else None
    if not proxies.trusts(client):
        return False
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https"


class Sessions:
    """Opaque session ids → expiry, kept in the server's memory only (a restart logs everyone out)."""

    def __init__(self, clock: Callable[[], float], seconds: float = SESSION_SECONDS) -> None:
        self.clock, self.seconds = clock, seconds
        self._expiry: dict[str, float] = {}

    def start(self) -> str:
        now = self.clock()
        for sid in [s for s, until in self._expiry.items() if until <= now]:
            del self._expiry[sid]
        while len(self._expiry) >= MAX_SESSIONS:
            del self._expiry[min(self._expiry, key=self._expiry.__getitem__)]
        sid = secrets.token_urlsafe(32)
        self._expiry[sid] = now + self.seconds
        return sid

    def valid(self, sid: str) -> bool:
        until = self._expiry.get(sid) if sid else None
        if until is None:
            return False
        if until <= self.clock():
            del self._expiry[sid]
            return False
        return True


class ManifestError(ValueError):
    """A manifest that is not what the report writer writes (one line, no content)."""


def create_app(reports_dir: Path, token: str, *, forwarded_allow_ips: str | Iterable[str] | None = None,
               clock: Callable[[], float] = time.monotonic) -> Starlette:
    if not token or len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(f"report server token must have at least {MIN_TOKEN_LENGTH} characters")
    reports_dir = Path(reports_dir).resolve()
    expected = token.encode("utf-8")
    env = environment()
    proxies = TrustedProxies(forwarded_allow_ips)
    sessions = Sessions(clock)

    def check(request: Request) -> tuple[Response | None, bool]:
        """(refusal or None, whether the token came in the query string)."""
        header = request.headers.get("authorization", "")
        from_query = "token" in request.query_params
        if header[:7].lower() == "bearer ":
            given = header[7:].strip()
        elif from_query:
            given = request.query_params.get("token", "")
        else:
            sid = request.cookies.get(COOKIE, "")
            if sid and sessions.valid(sid):
                return None, False
            given = ""
            if sid:
                return _plain(401, "the session has ended: open the link with the token again",
                              {"WWW-Authenticate": 'Bearer realm="o3-reports", error="invalid_token"'}), False
        if not given:
            return _plain(401, "a token is required", {"WWW-Authenticate": 'Bearer realm="o3-reports"'}), False
        if not hmac.compare_digest(given.encode("utf-8"), expected):
            return _plain(401, "the token is not valid",
                          {"WWW-Authenticate": 'Bearer realm="o3-reports", error="invalid_token"'}), False
        return None, from_query

    def remember(response: Response, request: Request, from_query: bool) -> Response:
        if from_query:
            response.set_cookie(COOKIE, sessions.start(), max_age=int(sessions.seconds), httponly=True,
                                samesite="strict", path="/", secure=came_over_tls(request, proxies))
        return response

    async def index(request: Request) -> Response:
        refusal, from_query = check(request)
        if refusal:
            return refusal
        html = env.get_template("index.html.j2").render(
            entries=history.index_entries(reports_dir, verify=False), prefix="/reports/",
            certificates=history.certificate_files(reports_dir), title="O3 Governance — audit reports")
        response = HTMLResponse(html, headers={**SECURITY_HEADERS, "Content-Security-Policy": HTML_CSP})
        return remember(response, request, from_query)

    async def report_file(request: Request) -> Response:
        refusal, from_query = check(request)
        if refusal:
            return refusal
        day, name = request.path_params["day"], request.path_params["name"]
        path = _resolve(reports_dir, day, name)
        if path is None:
            return _plain(404, "no such report file")
        sha = None
        if name != history.MANIFEST:
            sha = _listed_sha256(path.parent, name)
            if history.sha256_file(path) != sha:
                return _plain(409, "the file does not match its manifest; not served")
        suffix = path.suffix.lower()
        want_download = request.query_params.get("download") in ("1", "true", "yes")
        disposition = "inline" if suffix in INLINE and not want_download else "attachment"
        headers = {**SECURITY_HEADERS,
                   "Content-Disposition": f'{disposition}; filename="o3-report-{day}-{name}"'}
        if sha:
            headers["X-Content-SHA256"] = sha
        if suffix == ".html":
            headers["Content-Security-Policy"] = HTML_CSP
        body = b"" if request.method == "HEAD" else path.read_bytes()
        response = Response(body, media_type=CONTENT_TYPES[suffix], headers=headers)
        if request.method == "HEAD":
            response.headers["content-length"] = str(path.stat().st_size)
        return remember(response, request, from_query)

    async def day_listing(request: Request) -> Response:
        refusal, from_query = check(request)
        if refusal:
            return refusal
        day = request.path_params["day"]
        entries = [e for e in history.index_entries(reports_dir, verify={day}) if e.date == day]
        if not entries:
            return _plain(404, "no such report")
        html = env.get_template("index.html.j2").render(entries=entries, prefix="/reports/", certificates=[],
                                                        title=f"O3 Governance — audit report {day}")
        return remember(HTMLResponse(html, headers={**SECURITY_HEADERS, "Content-Security-Policy": HTML_CSP}),
                        request, from_query)

    async def certificate(request: Request) -> Response:
        refusal, from_query = check(request)
        if refusal:
            return refusal
        name = request.path_params["name"]
        if not history.CERTIFICATE_FILE.match(name):
            return _plain(404, "no such certificate")
        folder = reports_dir / history.CERTIFICATES
        path = folder / name
        if _has_link(reports_dir, path) or not path.is_file():
            return _plain(404, "no such certificate")
        listed = history.certificate_manifest(reports_dir)
        if listed is None and (folder / history.CERTIFICATE_MANIFEST).exists():
            raise ManifestError("the certificates' manifest is malformed")
        if not listed or name not in listed:
            return _plain(404, "no such certificate")
        body = path.read_bytes()
        sha = hashlib.sha256(body).hexdigest()
        if not hmac.compare_digest(sha, listed[name]):
            return _plain(409, "the certificate does not match its manifest; not served")
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"',
                   "X-Content-SHA256": sha}
        response = Response(b"" if request.method == "HEAD" else body, media_type=CONTENT_TYPES[".json"], headers=headers)
        if request.method == "HEAD":
            response.headers["content-length"] = str(len(body))
        return remember(response, request, from_query)

    async def healthz(request: Request) -> Response:  # no token: says nothing but "up"
        return _plain(200, "ok")

    routes = [
        Route("/", _guarded(index), methods=["GET"]),
        Route("/index.html", _guarded(index), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/reports/certificates/{name}", _guarded(certificate), methods=["GET"]),
        Route("/reports/{day}/", _guarded(day_listing), methods=["GET"]),
        Route("/reports/{day}/{name}", _guarded(report_file), methods=["GET"]),
    ]

    async def not_found(request: Request, exc) -> Response:
        return _plain(404, "not found")

    async def not_allowed(request: Request, exc) -> Response:
        return _plain(405, "read-only: only GET and HEAD", {"Allow": "GET, HEAD"})

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})


def _guarded(handler):
    """Any failure inside a route is answered here with one line and no traceback, in the page and in
    the log (Starlette's error middleware would log the traceback, and a library's text could quote data)."""
    async def route(request: Request) -> Response:
        try:
            return await handler(request)
        except ManifestError as exc:
            return _plain(500, f"{exc}: nothing is served from it until the report is rebuilt")
        except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into one line
            return _plain(500, f"the report server could not answer ({type(exc).__name__})")
    return route


def _has_link(root: Path, path: Path) -> bool:
    """Whether ``path`` or any folder between ``root`` and it is a symbolic link (or it leaves ``root``)."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return True
    here = root
    for part in rel.parts:
        here = here / part
        if here.is_symlink():
            return True
    return False


def _listed_sha256(folder: Path, name: str) -> str:
    """The sha256 the folder's manifest gives ``name``; ManifestError when the manifest or the entry is
    malformed (no sha256, not a mapping, not JSON)."""
    try:
        doc = json.loads((folder / history.MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ManifestError("the report's manifest is malformed") from None
    entry = doc.get("files", {}).get(name) if isinstance(doc, dict) and isinstance(doc.get("files"), dict) else None
    sha = entry.get("sha256") if isinstance(entry, dict) else None
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ManifestError("the report's manifest has no sha256 for this file")
    return sha


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _resolve(reports_dir: Path, day: str, name: str) -> Path | None:
    """The file, or None when the request names anything but a file of a dated report's manifest."""
    if not _DAY.match(day) or not history.FILE_NAME.match(name) or ".." in name:
        return None
    if Path(name).suffix.lower() not in CONTENT_TYPES:
        return None
    folder = reports_dir / day
    path = folder / name
    if _has_link(reports_dir, path):
        return None
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != folder.resolve() or not resolved.is_relative_to(reports_dir) or not resolved.is_file():
        return None
    if name == history.MANIFEST:
        return resolved
    try:
        doc = json.loads((folder / history.MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise ManifestError("the report's manifest is malformed") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise ManifestError("the report's manifest is malformed")
    if name not in doc["files"]:
        return None
    return resolved


def serve(reports_dir: Path, token: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          forwarded_allow_ips: str | None = None) -> None:
    """Runs the app. uvicorn's own proxy handling stays off: the app judges X-Forwarded-Proto itself,
    from the trusted proxies only, and the client address stays the real peer's."""
    private_umask()  # the server writes nothing, but nothing it might write is for others to read
    uvicorn.run(create_app(reports_dir, token, forwarded_allow_ips=forwarded_allow_ips), host=host, port=port,
                log_level="warning", access_log=False, server_header=False, proxy_headers=False)
