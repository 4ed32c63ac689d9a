"""Network failures as a clerk reads them (Chinese), not as exception class names.

Pure: it looks at the names along the exception's class hierarchy, so that core needs no
HTTP library; requests' and the standard library's exceptions are covered.
"""

from __future__ import annotations

_BY_CLASS = (
    # (a class name in the exception's hierarchy, what it means for the clerk) — most specific first
    ("SSLError", "证书验证失败"),
    ("ConnectTimeout", "连接超时"),
    ("ReadTimeout", "等待回答超时"),
    ("Timeout", "超时"),
    ("TimeoutError", "超时"),
    ("ProxyError", "代理服务器不通"),
    ("ChunkedEncodingError", "回答不完整"),
    ("ContentDecodingError", "回答不完整"),
    ("ConnectionResetError", "连接被对方断开"),
    ("ConnectionRefusedError", "对方拒绝连接（服务未运行？）"),
    ("ConnectionError", "网络不通或服务未运行"),
    ("InvalidURL", "地址格式不对"),
    ("MissingSchema", "地址格式不对"),
)


def network_problem(exc: BaseException) -> str:
    """连接超时 / 网络不通或服务未运行 / …: what went wrong on the way, in Chinese."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return next((words for name, words in _BY_CLASS if name in names), "网络出错")
