"""platform_sim: a reference provincial platform (省一体化在线政务服务平台) for demos, training
and tests — a real HTTP server on loopback with its own SQLite and fault injection.

The contract it serves (``/openapi.json``) is the one the client speaks; field titles give
the GB/T 39046-2020 names. Semantics:
- device tokens expire; 401 ``token_expired`` asks the client to authenticate again;
- the catalog carries an ETag; ``If-None-Match`` gives 304;
- a case belongs to the device that first stored it: another device's ``PUT`` or ``GET`` of
  it, or an evaluation naming its 办件编号, is 403 ``not_owner`` (permanent: the device may
  never touch it; 403 rather than 404 because a case uid is the client's own random UUID,
  so there is nothing to hide, and the clerk of a replaced PC needs to hear why, not "not
  found"), and ``/changes`` lists only the device's own cases;
- ``PUT /cases/{uid}`` needs ``Idempotency-Key``: a repeat returns the first response; keys
  are each device's own (another device's key of the same text is another key, so no device
  can take one before its owner uses it); the same key with another uid or a different body
  is 422 ``idempotency_key_reused``; a lower version than stored is 409 ``stale_version``;
  attachments must be uploaded first (by the same device);
- a request still in progress holds its key for a lease (30 s): a repeat meanwhile is 409
  ``in_progress`` with ``Retry-After`` (the seconds left of the lease). A key held by a
  request that never finished (the platform stopped or crashed during it) is taken over
  by the next repeat once the lease is over, or at once after a restart, and completes.
  A client that keeps hearing ``in_progress`` past its own bound (hallclient: 10 minutes)
  stops resending and shows the case to the clerk as 需处理 with that reason;
- blobs are addressed by sha256 and resumable: HEAD tells ``Upload-Offset``; PUT with
  ``Content-Range: bytes a-b/total`` appends from the offset; the hash is verified at the end.
  Each device uploads, resumes and sees only its own: another device's upload of the same
  bytes is neither shown to it nor added to, and a case may name only the device's own;
- evaluations are idempotent by uid (each device's own); platform-side status changes come
  from ``/changes``;
- request bodies are bounded: 1 MB for JSON, 8 MB for one piece of a blob (the client sends
  1 MB pieces; a blob without ``Content-Range`` is one piece), 16 MB for the simulator's admin
  ones. A larger ``Content-Length`` is 413 ``too_large`` before any of the body is read; a
  body without a length is cut off at the limit with the same 413;
- every operation but ``/auth/token`` and the simulator's ``/admin`` ones needs the device
  token (``Authorization: Bearer``), checked before anything in the request is: an
  anonymous or expired caller gets 401 whatever it sent;
- every refusal has one body, ``ErrorOut``: ``{"error": code, "fields": [{"field", "reason"}]}``
  (``fields`` when content is refused; ``offset``, ``current_version`` or ``retry_after``
  where the code says so). Out-of-range numbers, malformed headers, text that is not valid
  Unicode and bodies that are not JSON are refused with 400 or 422, never a 5xx.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from hallclient.wire import PLATFORM_API as API

from .sim_faults import FaultInjector, Faults
from .sim_limits import BodyLimit
from .sim_store import SimStore

IDEMPOTENCY_LEASE_S = 30.0    # how long a case upsert in progress holds its key


# -- the contract's bodies (GB/T 39046 names as titles) ------------------------------------

INT64 = 2**63 - 1                     # SQLite's integers
MAX_BLOB = 1 << 34                    # 16 GiB: more than any scan


def _unicode(value: Any) -> Any:
    """Refuse text SQLite cannot store (lone surrogates), wherever it is in a value."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("文本含有无效的 Unicode 字符") from exc
    elif isinstance(value, list):
        for item in value:
            _unicode(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _unicode(key)
            _unicode(item)
    return value


class Wire(BaseModel):
    """A request body: text must be valid Unicode."""

    @field_validator("*", mode="after")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return _unicode(value)


class FieldError(BaseModel):
    field: str = Field(title="字段")
    reason: str = Field(title="原因")


class ErrorOut(BaseModel):
    """Every refusal the platform answers (4xx, 5xx)."""

    error: str = Field(title="错误代码")
    fields: list[FieldError] | None = Field(default=None, title="字段错误")
    offset: int | None = Field(default=None, title="已收字节数（offset_mismatch）")
    current_version: int | None = Field(default=None, title="平台现存版本（stale_version）")
    retry_after: int | None = Field(default=None, title="几秒后重试（in_progress）")


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: float


class CaseSaved(BaseModel):
    uid: str
    version: int
    created: bool


class StoredCase(BaseModel):
    uid: str
    version: int
    status: int
    case: dict[str, Any]


class BlobDone(BaseModel):
    sha256: str
    complete: bool


class BlobProgress(BaseModel):
    offset: int


class EvaluationSaved(BaseModel):
    uid: str


class ChangeOut(BaseModel):
    seq: int
    case_no: str
    status: int
    at: float


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    cursor: int


class FaultsIn(Wire):
    """What platform_sim breaks, and how often (see ``sim_faults.Faults``)."""

    error_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after_rate: float = Field(default=0.0, ge=0, le=1)
    retry_after_seconds: int = Field(default=1, ge=0, le=86400)
    retry_after_as_date: bool = False
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    truncate_rate: float = Field(default=0.0, ge=0, le=1)
    slow_ms: int = Field(default=0, ge=0, le=60000)
    upsert_delay_ms: int = Field(default=0, ge=0, le=600000)
    expire_tokens: bool = False
    reject_fields: dict[str, str] = Field(default_factory=dict)
    seed: int | None = Field(default=None, ge=-INT64, le=INT64)


class TokenRequest(Wire):
    device_id: str = Field(title="设备标识", min_length=1, max_length=64)
    secret: str = Field(title="设备密钥", min_length=1, max_length=200)


class MaterialIn(Wire):
    code: str = Field(title="材料编码", max_length=20)
    name: str = Field(title="材料名称", max_length=200)
    received: bool = Field(title="是否收取")
    form: str = Field(title="收取方式", max_length=30)
    count: int = Field(title="收取数量", ge=0, le=999)
    received_at: str | None = Field(default=None, title="收取时间")
    attachments: list[str] = Field(default_factory=list, title="附件（sha256）")


class CaseIn(Wire):
    version: int = Field(title="数据版本", ge=1, le=INT64)
    case_no: str = Field(title="办件编号", min_length=1, max_length=50)
    impl_code: str = Field(title="实施编码", min_length=1, max_length=36)
    item_name: str = Field(title="事项名称", max_length=200)
    case_type: int = Field(title="办件类型（1即办件 2承诺件 9其他）", ge=0, le=99)
    applicant_name: str = Field(title="申请者名称", min_length=1, max_length=200)
    id_type: str = Field(title="申请者证件类型代码", max_length=10)
    id_number: str = Field(title="申请者证件号码", max_length=50)
    legal_rep: str | None = Field(default=None, title="法定代表人")
    agent_name: str | None = Field(default=None, title="代理人姓名")
    agent_id_number: str | None = Field(default=None, title="代理人证件号码")
    mobile: str = Field(title="手机", max_length=20)
    address: str | None = Field(default=None, title="通讯地址", max_length=300)
    source: int = Field(title="申报来源（1窗口 2电脑端 3移动端 4快递 9其他）", ge=0, le=99)
    accepted_by_unit: str = Field(title="受理单位", max_length=200)
    accepted_by: str = Field(title="受理人员", max_length=50)
    accepted_at: str = Field(title="受理时间")
    promised_date: str | None = Field(default=None, title="承诺办结时间")
    status: int = Field(title="办件状态", ge=0, le=9999)
    materials: list[MaterialIn] = Field(default_factory=list, title="材料")
    delivery: str = Field(default="window", title="送达方式")
    post_address: str | None = Field(default=None, title="物流地址")


class EvaluationIn(Wire):
    case_no: str | None = Field(default=None, title="办件编号")
    level: str = Field(title="评价等级（5 非常满意 … 1 非常不满意）", pattern="^[1-5]$")
    reasons: list[str] = Field(default_factory=list, title="差评原因")
    comment: str = Field(default="", title="评价内容", max_length=500)
    channel: str = Field(title="评价渠道")
    at: str = Field(title="评价时间")


# -- the application ------------------------------------------------------------------------

def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    said = {304: "未改变", 400: "请求格式不对（请求头、内容不是 JSON ……）", 401: "未认证或令牌无效、过期",
            404: "不存在", 409: "冲突（正在处理 / 版本过旧 / 续传位置不符）",
            422: "内容被拒（见 fields）"}
    said |= {403: "不是本设备的办件（永久拒绝，勿重试）", 413: "请求内容太大（见 fields）"}
    return {code: ({"description": said[code]} if code == 304 else
                   {"model": ErrorOut, "description": said[code]}) for code in codes}


BODY_UNREADABLE = "内容无法读成 JSON（不是 UTF-8 文本，或层层嵌套过深）"
NOT_OWNER = "该办件由另一台设备上报，本设备无权查看或修改；如更换了窗口电脑，请联系信息管理员"


def _not_owner(field: str) -> HTTPException:
    return HTTPException(403, {"error": "not_owner", "fields": [{"field": field, "reason": NOT_OWNER}]})


BEARER = HTTPBearer(auto_error=False, scheme_name="deviceToken",
                    description="设备令牌：POST /api/v1/auth/token 以设备标识和密钥换取")


def create_app(data_dir: Path, faults: Faults | None = None, token_ttl_s: float = 3600.0,
               clock: Callable[[], float] = time.time,
               idempotency_lease_s: float = IDEMPOTENCY_LEASE_S) -> Any:
    """``clock`` (seconds, like ``time.time``) is what device tokens and idempotency leases
    expire by."""
    store = SimStore(data_dir)
    api = FastAPI(title="省一体化在线政务服务平台 — hallclient 参考接口 (platform_sim)",
                  version="1.0.0", description=__doc__)
    api.state.store = store
    api.state.token_ttl_s = token_ttl_s
    api.state.idempotency_lease_s = idempotency_lease_s
    owner = secrets.token_hex(8)      # this run: markers of an earlier run were left by a crash

    def device_of(authorization: str | None) -> str:
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise HTTPException(401, {"error": "no_token"}, {"WWW-Authenticate": "Bearer"})
        found = store.token(value.strip())
        if found is None:
            raise HTTPException(401, {"error": "bad_token"}, {"WWW-Authenticate": "Bearer"})
        device, expires_at = found
        if expires_at < clock() or injector.faults.expire_tokens:
            raise HTTPException(401, {"error": "token_expired"}, {"WWW-Authenticate": "Bearer"})
        return device

    def needs_token(request: Request) -> bool:
        path = request.url.path
        return (path.startswith(API + "/") and not path.startswith(API + "/admin")
                and path != API + "/auth/token")

    def device(request: Request,
               _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]) -> str:
        return device_of(request.headers.get("authorization"))

    @api.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:               # name every method the path has
            headers["Allow"] = ", ".join(_allowed(api, request.url.path))
        if isinstance(exc.detail, dict):
            body = exc.detail
        elif exc.status_code == 400:             # a body FastAPI could not read as JSON
            if needs_token(request):
                try:
                    device_of(request.headers.get("authorization"))
                except HTTPException as denied:
                    return await refused(request, denied)
            body = {"error": "bad_json", "fields": [
                {"field": "body", "reason": BODY_UNREADABLE}]}
        else:
            body = {"error": {404: "not_found", 405: "method_not_allowed"}.get(
                exc.status_code, "http_" + str(exc.status_code))}
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if needs_token(request):                 # who is asking comes before what was sent
            try:
                device_of(request.headers.get("authorization"))
            except HTTPException as denied:
                return await refused(request, denied)
        fields = []
        for item in exc.errors():
            where = [str(p) for p in item.get("loc", ())]
            kind = where[0] if where else ""
            fields.append({"field": ".".join(where[1:]) or kind,
                           "reason": _reason(item)})
        malformed = any(w.get("type") == "json_invalid" for w in exc.errors())
        return JSONResponse({"error": "bad_json" if malformed else "invalid", "fields": fields},
                            status_code=400 if malformed else 422)

    uid_param = PathParam(min_length=1, max_length=100, title="办件 UUID")
    sha_param = PathParam(pattern="^[0-9a-f]{64}$", title="附件 sha256（小写十六进制）")

    @api.post(API + "/auth/token", summary="设备认证，换取访问令牌", response_model=TokenOut,
              responses=_errors(400, 401, 413, 422))
    def token(body: TokenRequest) -> dict[str, Any]:
        known = store.device_secret(body.device_id)
        if known is None or not secrets.compare_digest(known.encode("utf-8"),
                                                       body.secret.encode("utf-8")):
            raise HTTPException(401, {"error": "bad_credentials"})
        value = secrets.token_urlsafe(24)
        store.add_token(value, body.device_id, clock() + api.state.token_ttl_s)
        return {"access_token": value, "token_type": "Bearer", "expires_in": api.state.token_ttl_s}

    @api.get(API + "/catalog", summary="事项目录（ETag）",
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                              "description": "事项目录"}, **_errors(304, 401, 404, 422)})
    def catalog(device: str = Depends(device),
                if_none_match: str | None = Header(default=None, max_length=200)) -> Response:
        served = store.catalog()
        if served is None:
            raise HTTPException(404, {"error": "no_catalog"})
        text, etag = served
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(text, media_type="application/json", headers={"ETag": etag})

    @api.put(API + "/cases/{uid}", summary="办件上报（按客户端 UUID + 版本幂等）",
             status_code=201, response_model=CaseSaved,
             responses={200: {"model": CaseSaved, "description": "已更新（或同一请求的重复）"},
                        **_errors(400, 401, 403, 409, 413, 422)})
    async def upsert_case(request: Request, body: CaseIn, uid: str = uid_param,
                          device: str = Depends(device),
                          idempotency_key: str = Header(min_length=1, max_length=200,
                                                        pattern="^[!-~]+$")) -> Response:
        raw = await request.body()
        body_hash = hashlib.sha256(raw).hexdigest()
        with store.lock:
            stored = store.case(uid)
            if stored is not None and stored["device_id"] != device:
                raise _not_owner("uid")
            seen = store.idempotency(device, idempotency_key)
            if seen is not None:
                if seen["uid"] not in (None, uid):
                    raise HTTPException(422, {"error": "idempotency_key_reused", "fields": [
                        {"field": "Idempotency-Key", "reason": "该幂等键已用于其他办件"}]})
                if seen["body_hash"] != body_hash:
                    raise HTTPException(422, {"error": "idempotency_key_reused", "fields": [
                        {"field": "Idempotency-Key", "reason": "该幂等键已用于不同的内容"}]})
                if seen["state"] != "in_progress":
                    return Response(seen["response"], status_code=seen["status_code"] or 200,
                                    media_type="application/json")
                held_for = clock() - float(seen["started_at"] or 0.0)
                if seen["owner"] == owner and held_for < api.state.idempotency_lease_s:
                    wait = max(1, math.ceil(api.state.idempotency_lease_s - held_for))
                    raise HTTPException(409, {"error": "in_progress", "retry_after": wait},
                                        headers={"Retry-After": str(wait)})
                # a marker left by a run that crashed, or past its lease: this request takes it
            store.begin_idempotent(device, idempotency_key, body_hash, uid, owner, clock())
        try:
            if injector.faults.upsert_delay_ms:
                await asyncio.sleep(injector.faults.upsert_delay_ms / 1000)
            status, result = _store_case(store, uid, body, device, injector.faults)
        except BaseException:
            store.forget_idempotent(device, idempotency_key)
            raise
        text = json.dumps(result, ensure_ascii=False)
        if status >= 500 or status in (403, 409):
            store.forget_idempotent(device, idempotency_key)
        else:
            store.finish_idempotent(device, idempotency_key, status, text)
        return Response(text, status_code=status, media_type="application/json")

    @api.get(API + "/cases/{uid}", summary="查询已上报办件", response_model=StoredCase,
             responses=_errors(401, 403, 404, 422))
    def get_case(uid: str = uid_param, device: str = Depends(device)) -> dict[str, Any]:
        stored = store.case(uid)
        if stored is None:
            raise HTTPException(404, {"error": "not_found"})
        if stored["device_id"] != device:
            raise _not_owner("uid")
        return {"uid": uid, "version": stored["version"], "status": stored["status"],
                "case": json.loads(stored["body"])}

    @api.head(API + "/blobs/{sha256}", summary="附件已收字节数（断点续传）",
              responses={404: {"description": "尚未开始上传（Upload-Offset: 0）"},
                         **_errors(401, 422)})
    def blob_offset(sha256: str = sha_param, device: str = Depends(device)) -> Response:
        begun = store.blob(device, sha256)
        if begun is None:
            return Response(status_code=404, headers={"Upload-Offset": "0"})
        held = begun[0] if begun[1] else _size(_partial_path(store, device, sha256))
        return Response(status_code=200, headers={
            "Upload-Offset": str(held), "Upload-Length": str(begun[0]),
            "Upload-Complete": "1" if begun[1] else "0"})

    @api.put(API + "/blobs/{sha256}", summary="上传附件（Content-Range 续传，完成后校验 sha256）",
             status_code=201, response_model=BlobDone,
             responses={200: {"model": BlobDone, "description": "此前已传完"},
                        202: {"model": BlobProgress, "description": "已收到这一段，继续上传"},
                        **_errors(400, 401, 409, 413, 422)},
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
    async def put_blob(request: Request, sha256: str = sha_param, device: str = Depends(device),
                       content_range: str | None = Header(
                           default=None, max_length=100,
                           pattern=r"^bytes [0-9]{1,15}-[0-9]{1,15}/[0-9]{1,15}$")) -> Response:
        data = await request.body()
        start, end, total = _parse_range(content_range, len(data))
        path = _partial_path(store, device, sha256)
        with store.lock:
            row = store.blob(device, sha256)
            if row is not None and row[1]:
                return JSONResponse({"sha256": sha256, "complete": True}, status_code=200)
            held = _size(path)
            if row is not None and row[0] != total:
                raise HTTPException(422, {"error": "length_changed", "fields": [
                    {"field": "Content-Range", "reason": "附件总长度与此前不同"}]})
            if start != held:
                return JSONResponse({"error": "offset_mismatch", "offset": held}, status_code=409,
                                    headers={"Upload-Offset": str(held)})
            if row is None:
                store.begin_blob(device, sha256, total)
            with open(path, "ab") as fh:
                fh.write(data)
            held += len(data)
            if held < total:
                return JSONResponse({"offset": held}, status_code=202, headers={"Upload-Offset": str(held)})
            if _file_sha256(path) != sha256 or held != total:
                path.unlink()
                store.drop_blob(device, sha256)
                raise HTTPException(422, {"error": "hash_mismatch", "fields": [
                    {"field": "sha256", "reason": "收到的内容与 sha256 不符"}]})
            path.replace(_blob_path(store, sha256))    # the same bytes whoever sent them
            store.complete_blob(device, sha256)
        return JSONResponse({"sha256": sha256, "complete": True}, status_code=201)

    @api.put(API + "/evaluations/{uid}", summary="好差评（按 UUID 幂等）", status_code=201,
             response_model=EvaluationSaved,
             responses={200: {"model": EvaluationSaved, "description": "同一评价的重复"},
                        **_errors(400, 401, 403, 413, 422)})
    async def put_evaluation(body: EvaluationIn, uid: str = uid_param,
                             device: str = Depends(device)) -> Response:
        text = json.dumps(body.model_dump(), ensure_ascii=False, sort_keys=True)
        with store.lock:
            if body.case_no is not None and store.case_owner(body.case_no) not in (None, device):
                raise _not_owner("case_no")
            kept = store.evaluation(device, uid)
            if kept is not None:
                if kept != text:
                    raise HTTPException(422, {"error": "uid_reused", "fields": [
                        {"field": "uid", "reason": "该 UUID 已用于另一条评价"}]})
                return JSONResponse({"uid": uid}, status_code=200)
            store.add_evaluation(device, uid, text)
        return JSONResponse({"uid": uid}, status_code=201)

    @api.get(API + "/preapplications/{code}", summary="网上预申请查询",
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}},
                              "description": "预申请内容"}, **_errors(401, 404, 422)})
    def preapplication(code: str = PathParam(min_length=1, max_length=64),
                       device: str = Depends(device)) -> Any:
        found = store.preapplication(code)
        if found is None:
            raise HTTPException(404, {"error": "not_found"})
        return found

    @api.get(API + "/changes", summary="平台侧办件状态变化（游标）", response_model=ChangesOut,
             responses=_errors(401, 422))
    def changes(cursor: int = Query(default=0, ge=0, le=INT64),
                limit: int = Query(default=100, ge=1, le=1000),
                device: str = Depends(device)) -> dict[str, Any]:
        rows = store.changes(device, cursor, limit)
        return {"changes": [{"seq": r[0], "case_no": r[1], "status": r[2], "at": r[3]} for r in rows],
                "cursor": rows[-1][0] if rows else cursor}

    # -- admin (tests, demo, training) --------------------------------------------------

    @api.post(API + "/admin/devices", summary="登记设备（模拟器管理）", tags=["admin"],
              responses=_errors(400, 413, 422))
    def add_device(body: TokenRequest) -> dict[str, str]:
        store.add_device(body.device_id, body.secret)
        return {"device_id": body.device_id}

    @api.put(API + "/admin/catalog", summary="载入事项目录（模拟器管理）", tags=["admin"],
             responses=_errors(400, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}})
    async def set_catalog(request: Request) -> dict[str, str]:
        raw = await request.body()
        text = _json_object(raw)
        etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
        store.set_catalog(text, etag)
        return {"etag": etag}

    @api.put(API + "/admin/preapplications/{code}", summary="登记网上预申请（模拟器管理）",
             tags=["admin"], responses=_errors(400, 413, 422),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}})
    async def set_preapplication(request: Request,
                                 code: str = PathParam(min_length=1, max_length=64)) -> dict[str, str]:
        text = _json_object(await request.body())
        store.set_preapplication(code, text)
        return {"code": code}

    @api.post(API + "/admin/cases/{case_no}/status", summary="平台侧改变办件状态（如办结）",
              tags=["admin"], responses=_errors(404, 422))
    def set_status(case_no: str = PathParam(min_length=1, max_length=50),
                   status: int = Query(ge=0, le=9999)) -> dict[str, Any]:
        if not store.change_status(case_no, status, time.time()):
            raise HTTPException(404, {"error": "not_found"})
        return {"case_no": case_no, "status": status}

    @api.put(API + "/admin/faults", summary="设置故障注入", tags=["admin"],
             responses=_errors(400, 413, 422))
    def set_faults(body: FaultsIn) -> dict[str, Any]:
        injector.configure(Faults(**body.model_dump()))
        return asdict(injector.faults)

    @api.get(API + "/admin/stats", summary="模拟器统计", tags=["admin"])
    def stats() -> dict[str, int]:
        return store.stats()

    def refuse_caller(scope: dict[str, Any]) -> dict[str, Any] | None:
        """The 401 of a caller without a valid device token, where the API needs one."""
        if not needs_token(Request(scope)):
            return None
        authorization = next((value.decode("latin-1") for name, value in scope["headers"]
                              if name == b"authorization"), None)
        try:
            device_of(authorization)
        except HTTPException as denied:
            return {"status": denied.status_code, "body": denied.detail, "headers": denied.headers}
        return None

    injector = FaultInjector(api, faults or Faults(), API)
    return PlatformSim(api=api, asgi=BodyLimit(injector, API, refuse_caller), store=store,
                       injector=injector)


def _allowed(api: Any, path: str) -> list[str]:
    """Every method some route of ``path`` answers."""
    from starlette.routing import Match

    scope = {"type": "http", "path": path, "method": "GET"}
    methods: set[str] = set()
    for route in api.router.routes:
        if route.matches(scope)[0] != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _reason(item: Any) -> str:
    reason = str(item.get("msg", ""))
    return reason.removeprefix("Value error, ")


def _json_object(raw: bytes) -> str:
    """A request body that must be a JSON object, as UTF-8 text; 400 or 422 otherwise."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HTTPException(400, {"error": "bad_json", "fields": [
            {"field": "body", "reason": BODY_UNREADABLE}]}) from exc
    if not isinstance(value, dict):
        raise HTTPException(422, {"error": "invalid", "fields": [
            {"field": "body", "reason": "内容应是 JSON 对象"}]})
    try:
        _unicode(value)
    except ValueError as exc:
        raise HTTPException(422, {"error": "invalid", "fields": [
            {"field": "body", "reason": str(exc)}]}) from exc
    return text


@dataclass
class PlatformSim:
    api: Any            # the FastAPI application (routes, OpenAPI document)
    asgi: Any           # what to serve: the application behind the fault injector
    store: SimStore
    injector: FaultInjector


class RunningServer:
    """platform_sim served by uvicorn on a loopback port in a background thread."""

    def __init__(self, sim: PlatformSim, host: str = "127.0.0.1", port: int = 0,
                 certfile: str | None = None, keyfile: str | None = None) -> None:
        from . import serve_in_thread

        self.sim = sim
        self.server, self.thread, self.port = serve_in_thread(
            sim.asgi, "platform-sim", host, port, ssl_certfile=certfile, ssl_keyfile=keyfile)
        self.url = f"{'https' if certfile else 'http'}://{host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sim.store.close()


def _store_case(store: SimStore, uid: str, body: CaseIn, device: str,
                faults: Faults) -> tuple[int, dict[str, Any]]:
    errors = [{"field": f, "reason": r} for f, r in faults.reject_fields.items()
              if f in body.model_fields_set or f in type(body).model_fields]
    if body.case_type not in (1, 2, 9):
        errors.append({"field": "case_type", "reason": "办件类型只能是 1、2、9"})
    if body.source not in (1, 2, 3, 4, 9):
        errors.append({"field": "source", "reason": "申报来源只能是 1、2、3、4、9"})
    for i, m in enumerate(body.materials):
        for sha in m.attachments:
            if not store.blob_complete(device, sha):
                errors.append({"field": f"materials[{i}].attachments", "reason": f"附件 {sha[:12]}… 未上传"})
    if errors:
        return 422, {"error": "rejected", "fields": errors}
    text = json.dumps(body.model_dump(), ensure_ascii=False, sort_keys=True)
    with store.lock:
        row = store.case(uid)
        if row is not None and row["device_id"] != device:      # stored meanwhile by another
            return 403, {"error": "not_owner", "fields": [{"field": "uid", "reason": NOT_OWNER}]}
        if row is not None and (row["version"] > body.version
                                or (row["version"] == body.version and row["body"] != text)):
            return 409, {"error": "stale_version", "current_version": row["version"]}
        code = _device_code(body.case_no)
        if code and store.device_code_holder(CASE_NO_PREFIX, code) not in (None, device):
            return 403, {"error": "not_owner", "fields": [{"field": "case_no", "reason": (
                f"办件编号中的设备代码 {code} 已由另一台设备使用：请信息管理员检查本机的"
                "设备代码（hall.device_code），每台窗口电脑须不同")}]}
        other = store.case_uid(body.case_no)
        if other is not None and other != uid:
            return 422, {"error": "rejected",
                         "fields": [{"field": "case_no", "reason": "办件编号已被其他办件使用"}]}
        if row is None:
            store.add_case(uid, body.case_no, body.version, text, device, body.status, time.time())
            return 201, {"uid": uid, "version": body.version, "created": True}
        store.update_case(uid, body.version, text, body.status)
        return 200, {"uid": uid, "version": body.version, "created": False}


CASE_NO_PREFIX = 14                 # 6-digit region + yyyymmdd, before the device code


def _device_code(case_no: str) -> str:
    """The device code inside a 办件编号 (region + date + device code + 4-digit serial), or
    "" for a number not of that form."""
    found = re.fullmatch(r"\d{14}(.+)\d{4}", case_no)
    return found.group(1) if found else ""


def _blob_path(store: SimStore, sha256: str) -> Path:
    return store.blob_dir / sha256


def _partial_path(store: SimStore, device: str, sha256: str) -> Path:
    """Where a device's upload of a blob grows until its hash is checked."""
    return store.partial_dir / (hashlib.sha256(device.encode("utf-8")).hexdigest()[:16] + "-" + sha256)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _file_sha256(path: Path) -> str:
    """A file's sha256, read a piece at a time (a blob may be far larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


def _parse_range(header: str | None, length: int) -> tuple[int, int, int]:
    """``bytes a-b/total`` -> (a, b, total); without the header the body is the whole blob."""
    if not header:
        return 0, length - 1, length
    try:
        unit, _, rest = header.partition(" ")
        span, _, total = rest.partition("/")
        a, _, b = span.partition("-")
        start, end, size = int(a), int(b), int(total)
    except ValueError as exc:
        raise HTTPException(400, {"error": "bad_content_range"}) from exc
    if (unit != "bytes" or end - start + 1 != length or end >= size or start < 0
            or size > MAX_BLOB):
        raise HTTPException(400, {"error": "bad_content_range", "fields": [
            {"field": "Content-Range", "reason": "应为 bytes 起-止/总长，且与收到的字节数一致"}]})
    return start, end, size
