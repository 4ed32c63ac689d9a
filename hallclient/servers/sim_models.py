"""platform_sim's request and response bodies: the contract's fields, with the GB/T
39046-2020 names as titles and every value bounded as the store keeps it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator

INT64 = 2**63 - 1                     # SQLite's integers


def valid_unicode(value: Any) -> Any:
    """Refuse text SQLite cannot store (lone surrogates), wherever it is in a value."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("文本含有无效的 Unicode 字符") from exc
    elif isinstance(value, list):
        for item in value:
            valid_unicode(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            valid_unicode(key)
            valid_unicode(item)
    return value


class Wire(BaseModel):
    """A request body: text must be valid Unicode."""

    @field_validator("*", mode="after")
    @classmethod
    def _valid_text(cls, value: Any) -> Any:
        return valid_unicode(value)


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
    receipt: Literal["kept", "original_verified", "original_returned", "paper_copy", "missing",
                     "not_applicable"] | None = Field(
        default=None, title="收取情况",
        description="kept 已收取（电子件）, original_verified 原件已核验不留存, original_returned "
                    "已收原件（已核验并退还）, paper_copy 已收纸质复印件, missing 未提供, "
                    "not_applicable 不适用")


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


def _time_with_offset(text: str) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.fff]+08:00``: a real time, with its offset from UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("时间应写成 YYYY-MM-DDTHH:MM:SS+08:00") from None
    if "T" not in text or when.tzinfo is None or not 2000 <= when.year <= 2999:
        raise ValueError("时间应写成 YYYY-MM-DDTHH:MM:SS+08:00（含时区，2000—2999 年）")
    return text


TimeWithOffset = Annotated[str, Field(min_length=25, max_length=35, pattern=r"^[0-9T:.+\-]+$",
                                      title="时间 YYYY-MM-DDTHH:MM:SS[.fff]+08:00"),
                           AfterValidator(_time_with_offset)]
Reason = Annotated[str, Field(min_length=1, max_length=100)]


class EvaluationIn(Wire):
    case_no: str | None = Field(default=None, title="办件编号（本设备的办件）", min_length=1,
                                max_length=50)
    level: str = Field(title="评价等级（5 非常满意 … 1 非常不满意）", pattern="^[1-5]$")
    reasons: list[Reason] = Field(default_factory=list, title="差评原因", max_length=20)
    comment: str = Field(default="", title="评价内容", max_length=500)
    channel: str = Field(title="评价渠道", min_length=1, max_length=50)
    at: TimeWithOffset = Field(title="评价时间")
