"""platform_sim: a reference provincial platform (省一体化在线政务服务平台) for demos, training
and tests — a real HTTP server on loopback with its own SQLite and fault injection.

The contract it serves (``/openapi.json``) is the one the client speaks; field titles give
the GB/T 39046-2020 names. Semantics:
- device tokens expire; 401 ``token_expired`` asks the client to authenticate again;
- the catalog carries an ETag; ``If-None-Match`` gives 304;
- a case belongs to the device that first stored it: another device's ``PUT`` or ``GET`` of
  it is 403 ``not_owner`` (permanent: the device may never touch it; 403 rather than 404
  because a case uid is the client's own random UUID, so there is nothing to hide, and the
  clerk of a replaced PC needs to hear why, not "not found"), and ``/changes`` lists only the
  device's own cases;
- a case number (办件编号) is unique per device: the same number from two devices is two
  cases, each its device's own, so no device can take or block another's numbers; an
  evaluation naming a 办件编号 names the device's own case of that number;
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
  bytes is neither shown to it nor added to, and a case may name only the device's own.
  One blob is at most 200 MB (413 ``too_large``); the declared totals of a device's
  unfinished uploads at most 2 GiB (507 ``quota_exceeded``: finish them first); a piece of
  a blob still being received is 409 ``in_progress`` to a second request for it;
- evaluations are idempotent by uid (each device's own); platform-side status changes come
  from ``/changes``;
- request bodies are bounded: 1 MB for JSON, 8 MB for one piece of a blob (the client sends
  1 MB pieces; a blob without ``Content-Range`` is one piece), 16 MB for the simulator's admin
  ones. A larger ``Content-Length`` is 413 ``too_large`` before any of the body is read; a
  body without a length is cut off at the limit with the same 413;
- every operation but ``/auth/token`` and the simulator's ``/admin`` ones needs the device
  token (``Authorization: Bearer``), checked before anything in the request is, its body
  included: an anonymous or expired caller gets 401 whatever it sent, and none of its body
  is read;
- the simulator's ``/admin`` calls (devices, catalog, statuses, faults) need no token but
  answer only clients on this machine (127.0.0.1 / ::1): any other is 403 ``admin_local_only``
  before its body is read. Behind a reverse proxy on the same machine every caller looks
  local: do not put one in front of the simulator. Registering a device again (a new
  secret) ends every token it was given before;
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
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from hallclient.wire import PLATFORM_API as API
from hallclient.wire.platform import DAY, AppointmentsIn, AppointmentsOut

from .sim_blobs import declared_length, held_size, parse_range, partial_path, receive_blob
from .sim_faults import FaultInjector, Faults
from .sim_limits import BodyLimit
from .sim_models import (
    INT64,
    BlobDone,
    BlobProgress,
    CaseIn,
    CaseSaved,
    ChangesOut,
    ErrorOut,
    EvaluationIn,
    EvaluationSaved,
    FaultsIn,
    StoredCase,
    TokenOut,
    TokenRequest,
    valid_unicode,
)
from .sim_store import SimStore

IDEMPOTENCY_LEASE_S = 30.0    # how long a case upsert in progress holds its key
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})   # who may call /admin


# -- the application ------------------------------------------------------------------------

def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    said = {304: "未改变", 400: "请求格式不对（请求头、内容不是 JSON ……）", 401: "未认证或令牌无效、过期",
            404: "不存在", 409: "冲突（正在处理 / 版本过旧 / 续传位置不符）",
            422: "内容被拒（见 fields）"}
    said |= {403: "不是本设备的办件（永久拒绝，勿重试）", 413: "请求内容太大（见 fields）",
             507: "本设备未传完的附件已达上限（见 fields）"}
    return {code: ({"description": said[code]} if code == 304 else
                   {"model": ErrorOut, "description": said[code]}) for code in codes}


BODY_UNREADABLE = "内容无法读成 JSON（不是 UTF-8 文本，或层层嵌套过深）"
NOT_OWNER = "该办件由另一台设备上报，本设备无权查看或修改；如更换了窗口电脑，请联系信息管理员"


ADMIN_LOCAL_ONLY = "模拟器管理接口只接受本机（127.0.0.1 / ::1）的调用"
ADMIN_REFUSED: dict[str, Any] = {"error": "admin_local_only", "fields": [
    {"field": "client", "reason": ADMIN_LOCAL_ONLY}]}


def _admin_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**_errors(*codes), 403: {"model": ErrorOut, "description": ADMIN_LOCAL_ONLY}}


def _local(scope: Mapping[str, Any]) -> bool:
    """Whether the client is this machine (its loopback address)."""
    client = scope.get("client")
    return client is not None and client[0] in LOOPBACK


def local_only(request: Request) -> None:
    """The admin calls' guard (the body limit checks the same before reading the body)."""
    if not _local(request.scope):
        raise HTTPException(403, ADMIN_REFUSED)


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
    receiving: set[tuple[str, str]] = set()     # (device, sha256) of blob pieces on their way

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
        held = begun[0] if begun[1] else held_size(partial_path(store, device, sha256))
        return Response(status_code=200, headers={
            "Upload-Offset": str(held), "Upload-Length": str(begun[0]),
            "Upload-Complete": "1" if begun[1] else "0"})

    @api.put(API + "/blobs/{sha256}", summary="上传附件（Content-Range 续传，完成后校验 sha256）",
             status_code=201, response_model=BlobDone,
             responses={200: {"model": BlobDone, "description": "此前已传完"},
                        202: {"model": BlobProgress, "description": "已收到这一段，继续上传"},
                        **_errors(400, 401, 409, 413, 422, 507)},
             openapi_extra={"requestBody": {"content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
    async def put_blob(request: Request, sha256: str = sha_param, device: str = Depends(device),
                       content_range: str | None = Header(
                           default=None, max_length=100,
                           pattern=r"^bytes [0-9]{1,15}-[0-9]{1,15}/[0-9]{1,15}$")) -> Response:
        start, piece, total = parse_range(content_range, declared_length(request))
        key = (device, sha256)
        if key in receiving:      # another request is still writing this device's blob
            raise HTTPException(409, {"error": "in_progress", "retry_after": 1},
                                headers={"Retry-After": "1"})
        receiving.add(key)
        try:
            return await receive_blob(store, request, device, sha256, (start, piece, total))
        finally:
            receiving.discard(key)

    @api.put(API + "/evaluations/{uid}", summary="好差评（按 UUID 幂等）", status_code=201,
             response_model=EvaluationSaved,
             responses={200: {"model": EvaluationSaved, "description": "同一评价的重复"},
                        **_errors(400, 401, 403, 413, 422)})
    async def put_evaluation(body: EvaluationIn, uid: str = uid_param,
                             device: str = Depends(device)) -> Response:
        text = json.dumps(body.model_dump(), ensure_ascii=False, sort_keys=True)
        with store.lock:
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

    @api.get(API + "/appointments", summary="本大厅某日的预约（预约系统）",
             response_model=AppointmentsOut, responses=_errors(401, 422))
    def appointments(day: str = Query(pattern=DAY, title="日期 YYYY-MM-DD"),
                     device: str = Depends(device)) -> dict[str, Any]:
        found = store.appointments(day)
        return {"day": day, "appointments": found["appointments"] if found else []}

    @api.get(API + "/changes", summary="平台侧办件状态变化（游标）", response_model=ChangesOut,
             responses=_errors(401, 422))
    def changes(cursor: int = Query(default=0, ge=0, le=INT64),
                limit: int = Query(default=100, ge=1, le=1000),
                device: str = Depends(device)) -> dict[str, Any]:
        rows = store.changes(device, cursor, limit)
        return {"changes": [{"seq": r[0], "case_no": r[1], "status": r[2], "at": r[3]} for r in rows],
                "cursor": rows[-1][0] if rows else cursor}

    # -- admin (tests, demo, training) --------------------------------------------------

    admin: dict[str, Any] = {"tags": ["admin"], "dependencies": [Depends(local_only)]}

    @api.post(API + "/admin/devices", summary="登记设备，或换设备密钥（此前的令牌随之失效）",
              responses=_admin_errors(400, 413, 422), **admin)
    def add_device(body: TokenRequest) -> dict[str, str]:
        store.add_device(body.device_id, body.secret)
        return {"device_id": body.device_id}

    @api.put(API + "/admin/catalog", summary="载入事项目录（模拟器管理）",
             responses=_admin_errors(400, 413, 422), **admin,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}})
    async def set_catalog(request: Request) -> dict[str, str]:
        raw = await request.body()
        text = _json_object(raw)
        etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
        store.set_catalog(text, etag)
        return {"etag": etag}

    @api.put(API + "/admin/preapplications/{code}", summary="登记网上预申请（模拟器管理）",
             responses=_admin_errors(400, 413, 422), **admin,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object"}}}}})
    async def set_preapplication(request: Request,
                                 code: str = PathParam(min_length=1, max_length=64)) -> dict[str, str]:
        text = _json_object(await request.body())
        store.set_preapplication(code, text)
        return {"code": code}

    @api.put(API + "/admin/appointments/{day}", summary="载入某日的预约（模拟器管理，替换当日全部）",
             responses=_admin_errors(400, 413, 422), **admin)
    def set_appointments(body: AppointmentsIn,
                         day: str = PathParam(pattern=DAY)) -> dict[str, Any]:
        store.set_appointments(day, body.model_dump_json())
        return {"day": day, "appointments": len(body.appointments)}

    @api.post(API + "/admin/cases/{case_no}/status", summary="平台侧改变办件状态（如办结）",
              description="办件编号按设备区分：device_id 指明哪台设备的办件；只有一台设备有该"
                          "编号时可省略。", responses=_admin_errors(404, 409, 422), **admin)
    def set_status(case_no: str = PathParam(min_length=1, max_length=50),
                   status: int = Query(ge=0, le=9999),
                   device_id: str | None = Query(default=None, min_length=1, max_length=64,
                                                 title="设备标识")) -> dict[str, Any]:
        holders = store.devices_of_case_no(case_no)
        if device_id is None and len(holders) > 1:
            raise HTTPException(409, {"error": "ambiguous", "fields": [
                {"field": "device_id", "reason": "多台设备都有该办件编号，请用 device_id 指明"}]})
        device_id = device_id or (holders[0] if holders else "")
        if not store.change_status(device_id, case_no, status, time.time()):
            raise HTTPException(404, {"error": "not_found"})
        return {"case_no": case_no, "device_id": device_id, "status": status}

    @api.put(API + "/admin/faults", summary="设置故障注入", responses=_admin_errors(400, 413, 422),
             **admin)
    def set_faults(body: FaultsIn) -> dict[str, Any]:
        injector.configure(Faults(**body.model_dump()))
        return asdict(injector.faults)

    @api.get(API + "/admin/stats", summary="模拟器统计", responses=_admin_errors(), **admin)
    def stats() -> dict[str, int]:
        return store.stats()

    def refuse_caller(scope: dict[str, Any]) -> dict[str, Any] | None:
        """The refusal of a caller that may not go on, before its body is read: 403 to an
        admin call from another machine, 401 without a valid device token where the API
        needs one."""
        if scope.get("path", "").startswith(API + "/admin") and not _local(scope):
            return {"status": 403, "body": ADMIN_REFUSED, "headers": None}
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
        valid_unicode(value)
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


# 收取情况 values that mean the material was received (是否收取 = true)
RECEIVED = frozenset({"kept", "original_verified", "original_returned", "paper_copy"})


def _store_case(store: SimStore, uid: str, body: CaseIn, device: str,
                faults: Faults) -> tuple[int, dict[str, Any]]:
    errors = [{"field": f, "reason": r} for f, r in faults.reject_fields.items()
              if f in body.model_fields_set or f in type(body).model_fields]
    if body.case_type not in (1, 2, 9):
        errors.append({"field": "case_type", "reason": "办件类型只能是 1、2、9"})
    if body.source not in (1, 2, 3, 4, 9):
        errors.append({"field": "source", "reason": "申报来源只能是 1、2、3、4、9"})
    for i, m in enumerate(body.materials):
        if m.receipt is not None and m.received != (m.receipt in RECEIVED):
            errors.append({"field": f"materials[{i}].received",
                           "reason": f"收取情况「{m.receipt}」与是否收取不符"})
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
        other = store.case_uid(device, body.case_no)     # numbers are each device's own
        if other is not None and other != uid:
            return 422, {"error": "rejected",
                         "fields": [{"field": "case_no", "reason": "办件编号已被其他办件使用"}]}
        if row is None:
            store.add_case(uid, body.case_no, body.version, text, device, body.status, time.time())
            return 201, {"uid": uid, "version": body.version, "created": True}
        store.update_case(uid, body.version, text, body.status)
        return 200, {"uid": uid, "version": body.version, "created": False}
