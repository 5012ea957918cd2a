"""Sandboxed evaluation of BPMN scripts, gateway conditions and timer expressions.

BPMN files are data edited by administrators, so their Python runs through RestrictedPython:
no imports, no file access, no dunder attributes; only safe builtins, the app's registered
functions and the task data are visible. Task data must stay JSON so workflows serialize.
"""

import ast
import builtins
import json
import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from webapp.engine.errors import ScriptRefused

_EXTRA_BUILTINS = (
    "all", "any", "dict", "enumerate", "filter", "list", "map", "max", "min",
    "reversed", "set", "sorted", "sum", "tuple", "zip",
)
SAFE_BUILTINS = {**safe_builtins, **{name: getattr(builtins, name) for name in _EXTRA_BUILTINS}}
_FORBIDDEN_CALLS = frozenset(dir(builtins)) - frozenset(SAFE_BUILTINS)

_INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "|=": operator.ior, "&=": operator.iand,
}


def _inplace(op: str, target: Any, value: Any) -> Any:
    if op not in _INPLACE_OPERATORS:
        raise ScriptRefused(f"operator {op} is not allowed")
    return _INPLACE_OPERATORS[op](target, value)


_GUARDS = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
}


@lru_cache(maxsize=1024)
def compile_expression(source: str, mode: str = "eval") -> CodeType:
    """Compile under RestrictedPython ("eval" for expressions, "exec" for scripts)."""
    try:
        code = compile_restricted(source, filename=f"<{mode}>", mode=mode)
    except SyntaxError as error:
        raise ScriptRefused(f"refused {source!r}: {error}") from error
    forbidden = _forbidden_calls(source)
    if forbidden:
        raise ScriptRefused(f"refused {source!r}: calling {', '.join(sorted(forbidden))} is not allowed")
    return code


def _forbidden_calls(source: str) -> set[str]:
    """Builtins like open() or eval() that the sandbox lacks; named early for a clearer error."""
    return {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS
    }


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Runs restricted code against task data plus the registered functions."""

    def __init__(self, functions: Mapping[str, Callable]) -> None:
        super().__init__(dict(functions))

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        return eval(compile_expression(expression, "eval"), self._namespace(context, external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        namespace = self._namespace(context, external_context)
        exec(compile_expression(script, "exec"), namespace)
        reserved = set(_GUARDS) | set(self.globals) | set(external_context or {})
        results = {key: value for key, value in namespace.items() if key not in reserved}
        _require_json(results)
        for key in set(context) - set(namespace):
            del context[key]
        context.update(results)
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise ScriptRefused("service tasks are not supported; register an app function instead")

    def _namespace(self, context: dict, external_context: dict | None) -> dict:
        return {**context, **(external_context or {}), **self.globals, **_GUARDS}


def _require_json(values: dict) -> None:
    try:
        json.dumps(values)
    except (TypeError, ValueError) as error:
        raise ScriptRefused(f"scripts may only leave JSON values in task data: {error}") from error


class RestrictedScriptEngine(PythonScriptEngine):
    """Spiff's script engine with the sandbox and the clock ("now") of the current call.

    It is not serialized: the WorkflowEngine attaches a fresh one, bound to the caller's
    `now`, before every operation.
    """

    def __init__(self, functions: Mapping[str, Callable], now: datetime | None = None) -> None:
        super().__init__(environment=RestrictedEnvironment(functions))
        self.now = now

    def validate(self, expression: str) -> None:
        compile_expression(expression, "eval")
