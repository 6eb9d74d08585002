"""The tip form: field names are a data contract (README, "The tip form")."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import Field, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from tipsite.core.receipt import normalise
from tipsite.core.vocabulary import INDICATORS, RELATION_IDS, SETTING_IDS

DESCRIPTION_MAX = 5000
SHORT_MAX = 500  # location, when, people, vehicles
CONTACT_MAX = 500
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, CR, LF


def plain_text(form: FlaskForm, field: Field) -> None:
    """Refuse NUL and other control characters, and bytes that were not UTF-8."""
    value = field.data or ""
    if "\ufffd" in value:
        # Werkzeug turns undecodable bytes into U+FFFD; the text is not what was sent.
        raise ValidationError(_l("This text contains characters we could not read."))
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(_l("This text contains invisible control characters."))


def one_of(allowed: frozenset[str] | set[str]) -> Any:
    """A validator: the value (or each value of a list) is one of ``allowed``."""

    def check(form: FlaskForm, field: Field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in allowed for v in values if v):
            raise StopValidation(_l("Please choose one of the options shown."))

    return check


def text_field(label: Any, max_length: int, required_message: Any = None) -> Any:
    """A free-text field of at most ``max_length`` characters, plain text only."""
    first = DataRequired(message=required_message) if required_message else Optional()
    too_long = Length(max=max_length, message=_l("Please keep this under %(max)d characters."))
    return TextAreaField(label, validators=[first, too_long, plain_text])


class SiteForm(FlaskForm):  # type: ignore[misc]
    """A form of the public site: read from a posted form only, never from a JSON body.

    Flask-WTF reads a JSON body as the form's data, and a JSON scalar (``0``) made it
    raise, a 500 (found by tests/test_property.py): no browser posts JSON to these pages.
    """

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if request.is_json:
                return ImmutableMultiDict()  # an empty form: refused as one, with a page
            return super().wrap_formdata(form, formdata)


class TipForm(SiteForm):
    """What a tipster can tell the centre. Only the first three are required.

    Choice fields carry no ``choices``: the templates render them from
    ``tipsite.core.vocabulary`` and the ``one_of`` validators check the ids.
    """

    class Meta(SiteForm.Meta):
        csrf_field_name = "csrf_token"

    setting = RadioField(
        _l("Where did you see it?"),
        validate_choice=False,
        validators=[DataRequired(_l("Please choose the kind of place.")), one_of(SETTING_IDS)],
    )
    location = text_field(_l("Where is it?"), SHORT_MAX, _l("Please describe where it is."))
    description = text_field(
        _l("What did you see?"), DESCRIPTION_MAX, _l("Please tell us what you saw.")
    )
    indicators = SelectMultipleField(
        _l("Signs you noticed"),
        validate_choice=False,
        validators=[Optional(), one_of(set(INDICATORS))],
    )
    when = text_field(_l("When, and how often?"), SHORT_MAX)
    people = text_field(_l("Who did you see?"), SHORT_MAX)
    vehicles = text_field(_l("Vehicles and companies"), SHORT_MAX)
    relation = RadioField(
        _l("How do you know the place?"),
        validate_choice=False,
        validators=[Optional(), one_of(RELATION_IDS)],
    )
    contact = text_field(_l("Your contact details (optional)"), CONTACT_MAX)
    # The honeypot: hidden from people; bots fill in fields with names like "website".
    website = StringField(_l("Leave this field empty"))

    def is_bot(self) -> bool:
        """True if the hidden honeypot field was filled in (people never see it)."""
        return bool((self.website.data or "").strip())


def receipt_code(form: FlaskForm, field: Field) -> None:
    """A receipt code is 20 digits; spaces and dashes between them are fine."""
    if normalise(field.data or "") is None:
        raise StopValidation(
            _l("A receipt code has 20 digits, like 1234 5678 9012 3456 7890."))


class FollowupForm(SiteForm):
    """The follow-up page: a receipt code, and optionally more to tell the centre."""

    code = StringField(
        _l("Your receipt code"),
        validators=[DataRequired(_l("Please type your receipt code.")), receipt_code],
    )
    message = text_field(_l("More information for the centre"), DESCRIPTION_MAX)
