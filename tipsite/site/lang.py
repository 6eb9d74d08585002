"""The language is part of every page's URL (``/da/…``, ``/en/…``): no cookie, no session."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g

from tipsite.site.config import LANGUAGES


def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Take the language out of the URL into ``g.lang``; an unknown one is a 404."""
    lang = (values or {}).pop("lang", None)
    if lang not in LANGUAGES:
        abort(404)
    g.lang = lang


def add_lang(endpoint: str, values: dict[str, Any]) -> None:
    """Links stay in the language of the page they are on."""
    values.setdefault("lang", g.get("lang", LANGUAGES[0]))


def language_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint whose routes all live under ``/<lang>``."""
    blueprint = Blueprint(name, import_name, url_prefix="/<lang>")
    blueprint.url_value_preprocessor(pull_lang)
    blueprint.url_defaults(add_lang)
    return blueprint
