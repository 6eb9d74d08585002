"""The staff API (placeholder until the staff workflow lands; registers nothing)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff API on ``app`` if it is configured."""
