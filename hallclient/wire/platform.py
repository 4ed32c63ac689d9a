"""The platform contract's typed bodies that the client parses as well as the simulator
serves (pydantic; imported only by those who need them): today, the day's appointments
(预约) the provincial booking system holds for a hall.

The applicant's ID number travels once, over the platform's authenticated link, so that a
hall can find the appointment when the card is swiped; the hall keeps only a keyed hash.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

DAY = r"^\d{4}-\d{2}-\d{2}$"


class AppointmentIn(BaseModel):
    """One booked time slot for one service (业务类别) of the hall."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(title="预约码", pattern=r"^[0-9A-Z]{4,12}$")
    time: str = Field(title="预约时段 HH:MM", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    service: str = Field(title="业务类别代码", min_length=1, max_length=20)
    phone: str = Field(default="", title="手机号", pattern=r"^(1[3-9]\d{9})?$")
    id_number: str = Field(default="", title="预约人身份证件号码（刷证取号核对用）",
                           pattern=r"^([0-9A-Z]{15,18})?$")


class AppointmentsIn(BaseModel):
    """The whole list of a day (it replaces what was there)."""

    model_config = ConfigDict(extra="forbid")

    appointments: list[AppointmentIn] = Field(max_length=5000)

    @field_validator("appointments")
    @classmethod
    def _codes_once(cls, found: list[AppointmentIn]) -> list[AppointmentIn]:
        return _unique(found)


def _unique(found: list[AppointmentIn]) -> list[AppointmentIn]:
    """A code names one appointment of the day: a list giving one twice is refused whole
    (which of the two is the booking?)."""
    seen: set[str] = set()
    twice: set[str] = set()
    for a in found:
        (twice if a.code in seen else seen).add(a.code)
    if twice:
        raise ValueError("预约码重复：" + "、".join(sorted(twice)[:5]))
    return found


class AppointmentsOut(BaseModel):
    day: str = Field(title="日期 YYYY-MM-DD", pattern=DAY)
    appointments: list[AppointmentIn]

    @field_validator("appointments")
    @classmethod
    def _codes_once(cls, found: list[AppointmentIn]) -> list[AppointmentIn]:
        return _unique(found)
