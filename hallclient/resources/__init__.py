"""Bundled resources: demo hall, document templates, sounds."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """Absolute path of a bundled resource file."""
    return ROOT.joinpath(*parts)
