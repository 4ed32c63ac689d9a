"""PlatformClient: the counter's side of the provincial platform contract.

One instance per thread (it owns a ``requests.Session``); every request has a timeout.
Errors are typed so the sync engine can decide without parsing text:
- TransientError: try again later (network, 5xx, 429, a request still in progress, a body cut
  short); ``retry_after`` carries the server's Retry-After in seconds when it gave one;
- RejectedError: the platform refused the content; ``fields`` lists its field errors;
- AuthError: the device credentials are refused (re-authentication did not help).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from hallclient.core.appointments import Appointment
from hallclient.core.network_words import network_problem
from hallclient.core.validators import platform_url as check_url
from hallclient.wire import PLATFORM_API as API

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class PlatformError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransientError(PlatformError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InProgressError(TransientError):
    """The platform is still handling the same request (its key is held): ask again after
    ``retry_after``."""


class OfflineError(TransientError):
    """The platform could not be reached at all (network down, timeout, reset)."""


class RejectedError(PlatformError):
    def __init__(self, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


class AuthError(PlatformError):
    pass


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


@dataclass(frozen=True)
class CatalogResult:
    changed: bool
    etag: str | None
    body: Any = None


@dataclass
class BlobUpload:
    """One attachment on its way up, kept across tries: how much of it the platform is known
    to hold. ``offset`` None means unknown — a resend after an earlier attempt, or a request
    whose answer was lost (it may have been applied) — and the next try asks (HEAD) first."""

    sha256: str
    data: bytes
    offset: int | None = 0
    complete: bool = False


class PlatformClient:
    def __init__(self, base_url: str, device_id: str, secret: str, *,
                 ca_bundle: str | None = None, timeout: tuple[float, float] = (5.0, 30.0),
                 session: requests.Session | None = None) -> None:
        self.base = check_url(base_url)
        self.device_id = device_id
        self.secret = secret
        self.timeout = timeout
        self.session = session or requests.Session()
        # passed on every request: a Session's own ``verify`` loses to REQUESTS_CA_BUNDLE /
        # CURL_CA_BUNDLE in the environment, which would silently drop the county's CA
        self.verify: str | bool = ca_bundle or True
        self.token: str | None = None

    # -- plumbing -------------------------------------------------------------------------

    def authenticate(self) -> None:
        if not self.device_id or not self.secret:
            raise AuthError("本机尚未登记设备标识和密钥：请信息管理员运行 hallclient admin set-device")
        response = self._send("POST", API + "/auth/token", auth=False,
                              json={"device_id": self.device_id, "secret": self.secret})
        if response.status_code in (400, 401, 403, 422):
            raise AuthError("平台拒绝了本机的设备凭据，请联系信息管理员重新登记")
        self._raise_for(response)
        self.token = self._json(response)["access_token"]

    def _send(self, method: str, path: str, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            if self.token is None:
                self.authenticate()
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            return self.session.request(method, self.base + path, headers=headers,
                                        timeout=self.timeout, verify=self.verify, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise TransientError(f"无法验证平台证书（请检查 CA 证书配置）：{exc}") from exc
        except requests.exceptions.RequestException as exc:
            raise OfflineError(f"连接平台失败：{network_problem(exc)}") from exc

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with the device token; on an expired token authenticate once and resend."""
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            self.token = None
            response = self._send(method, path, **kwargs)
            if response.status_code == 401:
                raise AuthError("平台令牌无效，重新认证后仍被拒绝")
        return response

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:   # a body cut short on the way
            raise TransientError("平台返回的数据不完整") from exc

    def _raise_for(self, response: requests.Response) -> None:
        code = response.status_code
        if code < 400:
            return
        if code in (429, 502, 503, 504) or code >= 500:
            raise TransientError(f"平台暂时不可用（HTTP {code}）",
                                 retry_after_seconds(response.headers.get("Retry-After")))
        detail = self._json(response) if response.content else {}
        inner = detail.get("detail", detail) if isinstance(detail, Mapping) else {}
        error = inner.get("error") if isinstance(inner, Mapping) else None
        if code == 409 and error == "in_progress":
            raise InProgressError("平台正在处理同一请求",
                                  retry_after_seconds(response.headers.get("Retry-After")) or 1.0)
        if code == 409 and error == "offset_mismatch":
            raise TransientError("平台正在处理同一请求", 1.0)
        fields = (inner.get("fields") if isinstance(inner, Mapping) else None) or (
            detail.get("fields", []) if isinstance(detail, Mapping) else [])
        if isinstance(inner, list):     # schema validation: [{"loc": [...], "msg": ...}, ...]
            error = "invalid"
            fields = [{"field": ".".join(str(p) for p in item.get("loc", [])[1:]),
                       "reason": str(item.get("msg", ""))} for item in inner if isinstance(item, Mapping)]
        reasons = "；".join(f"{f.get('field')}：{f.get('reason')}" for f in fields)
        message = f"平台拒收（HTTP {code}，{error or '无说明'}）" + (f"：{reasons}" if reasons else "")
        raise RejectedError(message, fields)

    # -- the contract ---------------------------------------------------------------------

    def catalog(self, etag: str | None = None) -> CatalogResult:
        headers = {"If-None-Match": etag} if etag else {}
        response = self.request("GET", API + "/catalog", headers=headers)
        if response.status_code in (304, 404):    # unchanged, or none published: keep ours
            return CatalogResult(False, etag)
        self._raise_for(response)
        return CatalogResult(True, response.headers.get("ETag"), self._json(response))

    def upsert_case(self, uid: str, body: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
        response = self.request("PUT", f"{API}/cases/{uid}", json=dict(body),
                                headers={"Idempotency-Key": idempotency_key})
        self._raise_for(response)
        result: dict[str, Any] = self._json(response)
        return result

    def blob_offset(self, sha256: str) -> tuple[int, bool]:
        response = self.request("HEAD", f"{API}/blobs/{sha256}")
        if response.status_code == 404:
            return 0, False
        self._raise_for(response)
        offset = int(response.headers.get("Upload-Offset", "0"))
        return offset, response.headers.get("Upload-Complete") == "1"

    def upload_blob(self, sha256: str, data: bytes, chunk: int = CHUNK, *, ask_first: bool = True) -> int:
        """Send what the platform does not hold yet; returns the bytes sent this time.

        ``ask_first=False`` skips the HEAD on a first attempt: the platform answers a PUT from
        offset 0 with "complete" or with the offset it really holds, so nothing is lost.
        """
        return self.send_blob(BlobUpload(sha256, data, None if ask_first else 0), chunk)

    def send_blob(self, upload: BlobUpload, chunk: int = CHUNK) -> int:
        """Go on with ``upload`` from what the platform is known to hold (asking it first when
        that is unknown); returns the bytes sent by this call. ``upload`` keeps its place when
        a request fails, for the next try."""
        data = upload.data
        if hashlib.sha256(data).hexdigest() != upload.sha256:
            raise RejectedError("本地附件内容与其 sha256 不符，附件可能已损坏")
        if upload.offset is None:
            upload.offset, upload.complete = self.blob_offset(upload.sha256)
        sent = 0
        total = len(data)
        while not upload.complete and upload.offset is not None and upload.offset < total:
            start = upload.offset
            end = min(start + chunk, total)
            upload.offset = None          # a request without an answer may have been applied
            response = self.request("PUT", f"{API}/blobs/{upload.sha256}", data=data[start:end],
                                    headers={"Content-Range": f"bytes {start}-{end - 1}/{total}",
                                             "Content-Type": "application/octet-stream"})
            if response.status_code == 409 and "Upload-Offset" in response.headers:
                upload.offset = int(response.headers["Upload-Offset"])   # the platform knows better
                continue
            if response.status_code >= 500:
                # the platform answered and did not take this chunk; were it held after all,
                # the next PUT from here hears the real offset (409) or "complete" (200)
                upload.offset = start
            self._raise_for(response)
            sent += end - start
            upload.offset = end
            upload.complete = response.status_code in (200, 201)
        return sent

    def put_evaluation(self, uid: str, body: Mapping[str, Any]) -> None:
        response = self.request("PUT", f"{API}/evaluations/{uid}", json=dict(body))
        self._raise_for(response)

    def preapplication(self, code: str) -> dict[str, Any] | None:
        response = self.request("GET", f"{API}/preapplications/{code}")
        if response.status_code == 404:
            return None
        self._raise_for(response)
        result: dict[str, Any] = self._json(response)
        return result

    def changes(self, cursor: int) -> tuple[list[dict[str, Any]], int]:
        response = self.request("GET", API + "/changes", params={"cursor": cursor})
        self._raise_for(response)
        body = self._json(response)
        return list(body["changes"]), int(body["cursor"])

    def appointments(self, day: date) -> list[Appointment]:
        """The booking system's appointments of ``day`` for this hall (预约), checked against
        the contract; RejectedError for an answer that does not fit it."""
        from pydantic import ValidationError

        from hallclient.wire.platform import AppointmentsOut

        response = self.request("GET", API + "/appointments", params={"day": day.isoformat()})
        self._raise_for(response)
        try:
            body = AppointmentsOut.model_validate(self._json(response))
        except ValidationError as exc:
            raise RejectedError(f"平台返回的预约名单格式不对：{exc.error_count()} 处不符合接口") from None
        if body.day != day.isoformat():
            raise RejectedError(f"平台返回的预约名单不是 {day.isoformat()} 的")
        return [Appointment(body.day, a.time, a.code, a.phone, a.service, a.id_number)
                for a in body.appointments]

    def close(self) -> None:
        self.session.close()


def dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True)
