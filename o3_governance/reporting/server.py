"""``o3-governance serve-reports``: a small read-only web app that lists the dated reports and serves
their files, behind a token.

- Token: ``O3_REPORTS_TOKEN``, passed in by ``o3-governance serve-reports``; sent as ``Authorization: Bearer <token>`` or ``?token=<token>``.
  After a good ``?token=`` the browser gets an HttpOnly, same-site cookie so the index's links work
  without putting the token in every URL. Compared in constant time.
- Only ``/reports/<YYYY-MM-DD>/<file>`` where the file is listed in that folder's manifest (or is the
  manifest) and still matches its sha256, and ``/reports/certificates/deletion-certificate-<id>.json``
  (the retention domain's proof of disposal) are served; anything else is 404, whatever the
  encoding of the path. Only GET/HEAD. Access logs are off: a query string can hold the token.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from o3_governance.reporting import history
from o3_governance.reporting.build import environment

TOKEN_ENV = "O3_REPORTS_TOKEN"
COOKIE = "o3_reports_token"
MIN_TOKEN_LENGTH = 16
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

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


def create_app(reports_dir: Path, token: str) -> Starlette:
    if not token or len(token) < MIN_TOKEN_LENGTH:
        raise TokenError(f"report server token must have at least {MIN_TOKEN_LENGTH} characters")
    reports_dir = Path(reports_dir).resolve()
    expected = token.encode("utf-8")
    env = environment()

    def check(request: Request) -> tuple[Response | None, bool]:
        """(refusal or None, whether the token came in the query string)."""
        header = request.headers.get("authorization", "")
        from_query = "token" in request.query_params
        if header[:7].lower() == "bearer ":
            given = header[7:].strip()
        elif from_query:
            given = request.query_params.get("token", "")
        else:
            given = request.cookies.get(COOKIE, "")
        if not given:
            return _plain(401, "a token is required", {"WWW-Authenticate": 'Bearer realm="o3-reports"'}), False
        if not hmac.compare_digest(given.encode("utf-8"), expected):
            return _plain(401, "the token is not valid",
                          {"WWW-Authenticate": 'Bearer realm="o3-reports", error="invalid_token"'}), False
        return None, from_query

    def remember(response: Response, request: Request, from_query: bool) -> Response:
        if from_query:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                                secure=request.url.scheme == "https")
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
            manifest = history.read_manifest(path.parent) or {"files": {}}
            sha = manifest["files"][name]["sha256"]
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
        folder = (reports_dir / history.CERTIFICATES).resolve()
        try:
            path = (folder / name).resolve(strict=True)
        except (OSError, RuntimeError):
            return _plain(404, "no such certificate")
        if path.parent != folder or not path.is_relative_to(reports_dir) or not path.is_file():
            return _plain(404, "no such certificate")
        body = path.read_bytes()
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"',
                   "X-Content-SHA256": hashlib.sha256(body).hexdigest()}
        response = Response(b"" if request.method == "HEAD" else body, media_type=CONTENT_TYPES[".json"], headers=headers)
        if request.method == "HEAD":
            response.headers["content-length"] = str(len(body))
        return remember(response, request, from_query)

    async def healthz(request: Request) -> Response:  # no token: says nothing but "up"
        return _plain(200, "ok")

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/index.html", index, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/reports/certificates/{name}", certificate, methods=["GET"]),
        Route("/reports/{day}/", day_listing, methods=["GET"]),
        Route("/reports/{day}/{name}", report_file, methods=["GET"]),
    ]

    async def not_found(request: Request, exc) -> Response:
        return _plain(404, "not found")

    async def not_allowed(request: Request, exc) -> Response:
        return _plain(405, "read-only: only GET and HEAD", {"Allow": "GET, HEAD"})

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _resolve(reports_dir: Path, day: str, name: str) -> Path | None:
    """The file, or None when the request names anything but a file of a dated report's manifest."""
    if not _DAY.match(day) or not history.FILE_NAME.match(name) or ".." in name:
        return None
    if Path(name).suffix.lower() not in CONTENT_TYPES:
        return None
    folder = reports_dir / day
    path = folder / name
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved.parent != folder.resolve() or not resolved.is_relative_to(reports_dir) or not resolved.is_file():
        return None
    if name == history.MANIFEST:
        return resolved
    manifest = history.read_manifest(folder)
    if manifest is None or name not in manifest["files"]:
        return None
    return resolved


def serve(reports_dir: Path, token: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    uvicorn.run(create_app(reports_dir, token), host=host, port=port, log_level="warning", access_log=False,
                server_header=False, proxy_headers=False)
