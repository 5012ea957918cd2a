import pytest

from tests.engine.engine_support import KNOWN_FORMS, KNOWN_ROLES, KNOWN_TEMPLATES, write_variant
from webapp.engine import ScriptRefused, SpecRegistry
from webapp.engine.scripting import RestrictedEnvironment


@pytest.mark.parametrize("expression", ["__import__('os')", "open('x')", "().__class__.__bases__",
                                        "decision.__class__", "eval('1')"])
def test_dangerous_expressions_are_refused(expression):
    with pytest.raises(ScriptRefused):
        RestrictedEnvironment({}).evaluate(expression, {"decision": "ok"})


def test_expressions_see_task_data_and_registered_functions_only():
    environment = RestrictedEnvironment({"double": lambda value: value * 2})
    assert environment.evaluate("double(n) + sum([1, 2])", {"n": 4}) == 11
    with pytest.raises(NameError):
        environment.evaluate("os", {})


def test_scripts_write_json_back_to_task_data():
    data = {"votes": ["approve", "reject"], "approvers": ["a", "b"], "old": 1}
    script = "\n".join([
        "rejected = [approvers[i] for i, v in enumerate(votes) if v == 'reject']",
        "count = 0",
        "count += 2",
        "del old",
    ])
    RestrictedEnvironment({}).execute(script, data)
    assert data == {"votes": ["approve", "reject"], "approvers": ["a", "b"], "rejected": ["b"], "count": 2}


def test_scripts_may_not_leave_non_json_values():
    with pytest.raises(ScriptRefused, match="JSON"):
        RestrictedEnvironment({}).execute("value = {1, 2}", {})


@pytest.mark.parametrize("condition", ["__import__('os')", "open('x')", "().__class__.__bases__"])
def test_check_refuses_dangerous_gateway_conditions(tmp_path, condition):
    write_variant(tmp_path, ("decision == 'send_back'", condition.replace("'", "&apos;")))
    problems = SpecRegistry.load(tmp_path).check(KNOWN_FORMS, KNOWN_TEMPLATES, KNOWN_ROLES)
    assert [(problem.element_id, "refused" in problem.message) for problem in problems] == [
        ("flow_send_back", True)]
