"""Check-in location fields (签到位置) shared by every form that records a visit to a unit (inspection, patrol).

Hidden inputs that static/checkin.js fills from the browser's location (only over HTTPS or on localhost, and
only when the user allows it). A value that is no coordinate is dropped, meaning "no location", and never
shown as an error: the user can neither see nor fix a hidden field, and a browser's location is a claim,
not proof. The service side is webapp.services.units.check_in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from wtforms import HiddenField

LIMITS = {"latitude": 90.0, "longitude": 180.0, "accuracy": 1e7}  # degrees, degrees, metres


def _keep_coordinate(kind: str) -> Callable[[Any], str]:
    def keep(value: Any) -> str:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return ""
        limit = LIMITS[kind]
        ok = math.isfinite(number) and (0 <= number <= limit if kind == "accuracy" else abs(number) <= limit)
        return repr(number) if ok else ""

    return keep


def checkin_field(kind: str) -> HiddenField:
    """One hidden input, marked data-checkin="<kind>" for the script."""
    return HiddenField(filters=[_keep_coordinate(kind)], render_kw={"data-checkin": kind})


class CheckinFields:
    """Mixin for a form class: its data then holds checkin_latitude/-longitude/-accuracy (text; "" when none),
    which units.check_in(session, unit, *units.checkin_values(data)) measures against the unit."""

    checkin_latitude = checkin_field("latitude")
    checkin_longitude = checkin_field("longitude")
    checkin_accuracy = checkin_field("accuracy")
