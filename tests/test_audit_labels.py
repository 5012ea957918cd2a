"""Every action the code writes to the audit log has a Chinese label for the audit page."""

import re
from pathlib import Path

from webapp.models.audit import AUDIT_ACTIONS, AUDIT_OBJECT_TYPES

WEBAPP = Path(__file__).resolve().parents[1] / "webapp"
# audit.record(..., action="x", object_type="y") and the views' small wrappers _audit_commit("x", ...).
ACTION = re.compile(r'(?:action=|_audit_commit\(|_commit_with_audit\()"([a-z_]+)"')
OBJECT_TYPE = re.compile(r'object_type="([a-z_]+)"')


def _recorded(pattern: re.Pattern) -> set[str]:
    sources = [p.read_text() for p in WEBAPP.rglob("*.py") if "migrations" not in p.parts]
    return {name for text in sources if "audit" in text for name in pattern.findall(text)}


def test_every_recorded_action_and_object_type_has_a_label():
    actions = _recorded(ACTION) - {"start", "complete", "send_back", "withdraw", "reassign", "timer"}  # case events
    assert {"access_denied", "task_complete", "login"} <= actions
    assert actions - set(AUDIT_ACTIONS) == set()
    assert _recorded(OBJECT_TYPE) - set(AUDIT_OBJECT_TYPES) == set()


def test_audit_page_shows_labels_not_codes(sign_in, small_town):
    admin = sign_in("admin")
    assert sign_in("clerk").get("/admin/users").status_code == 403
    page = admin.get("/admin/audit").get_data(as_text=True)
    html = page[page.index("<tbody>"):]  # the rows, not the action filter's option values
    assert "拒绝访问" in html and "登录" in html
    assert "access_denied" not in html and ">login<" not in html
