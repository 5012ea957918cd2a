"""WTForms classes: English field names (= service/template keys), Chinese labels and messages.

Every module here registers its forms on import; `load_all` imports them before the start-up
cross-check, so procedures never need to import forms (and Flask) themselves.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
