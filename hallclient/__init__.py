"""hallclient — counter client for government service halls (政务服务大厅窗口客户端)."""

__version__ = "0.1.0"
