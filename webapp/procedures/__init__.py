"""Procedure packages: one folder per procedure, the same inner shape each time.

`webapp/procedures/<key>/procedure.py` declares `PROCEDURE` (steps and hooks, defaults, job kinds,
web modules); the rest of the package holds its models, forms, views and services. `load_all` is the
one loader: the app factory calls it, and nothing else imports procedure packages by scanning.
`load_package` loads one package, also one kept outside this folder.
"""

from __future__ import annotations

import importlib
import pkgutil

from webapp.cases import registry


def load_all(with_web: bool = True) -> list[registry.Procedure]:
    """Import and register every procedure package here; with `with_web`, also its forms and views."""
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            load_package(f"{__name__}.{info.name}", with_web=with_web)
    return registry.all_procedures()


def load_package(package: str, with_web: bool = True) -> registry.Procedure:
    """Import and register one procedure package (any importable package with a `procedure` module)."""
    procedure = importlib.import_module(f"{package}.procedure").PROCEDURE
    procedure.package = package
    if with_web:
        procedure.web = [importlib.import_module(f"{package}.{name}") for name in procedure.web_modules]
    registry.register(procedure)
    return procedure
