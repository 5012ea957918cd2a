"""Procedures: each is a BPMN file in workflows/ + forms + document templates + a module here.

Every module in this package that defines `PROCEDURE` is registered at start-up; adding a
procedure never means editing the engine or this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from webapp.procedures import registry


def load_all() -> list[registry.Procedure]:
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "registry":
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        procedure = getattr(module, "PROCEDURE", None)
        if procedure is not None:
            registry.register(procedure)
    return registry.all_procedures()
