import re

from sqlalchemy import select

from tests.factories import PASSWORD
from webapp.models import GridNode, Unit, User


def _node(session, name):
    return session.scalar(select(GridNode).where(GridNode.name == name))


def test_admin_creates_user_who_can_log_in(sign_in, session, small_town, app):
    admin = sign_in("admin")
    village = small_town.other_village
    response = admin.post("/admin/users/new", {
        "username": "liuan_clerk", "display_name": "白雪", "roles": ["clerk", "inspector"],
        "scope_id": village.id, "enabled": "y", "password": "secret-pass-1",
    })
    assert response.status_code == 200 and "已使用您设置的密码" in response.get_data(as_text=True)
    user = session.scalar(select(User).where(User.username == "liuan_clerk"))
    assert user.roles == {"clerk", "inspector"} and user.scope.name == "柳岸社区"
    from tests.conftest import Browser

    Browser(app.test_client()).login("liuan_clerk", "secret-pass-1")


def test_user_form_errors_keep_input(sign_in, session, small_town):
    admin = sign_in("admin")
    response = admin.post("/admin/users/new", {
        "username": "x_user", "display_name": "王五", "scope_id": small_town.town.id, "password": "short",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请至少选择一个角色" in page and 'value="王五"' in page


def test_reset_password_unlocks(sign_in, session, small_town):
    admin = sign_in("admin")
    user = small_town.users["inspector"]
    assert admin.post(f"/admin/users/{user.id}/password", {"password": "new-password-9"}).status_code == 200
    session.expire_all()
    from werkzeug.security import check_password_hash

    assert check_password_hash(session.get(User, user.id).password_hash, "new-password-9")


def test_disabled_user_cannot_log_in(sign_in, session, small_town, app):
    admin = sign_in("admin")
    user = small_town.users["inspector2"]
    admin.post(f"/admin/users/{user.id}", {
        "display_name": user.display_name, "roles": ["inspector"], "scope_id": user.scope_id, "phone": "",
    })
    from tests.conftest import Browser

    visitor = Browser(app.test_client())
    visitor.get("/login")
    response = visitor.post("/login", {"username": "inspector2", "password": PASSWORD})
    assert response.status_code == 401 and "已停用" in response.get_data(as_text=True)


def test_grid_editor_adds_renames_and_refuses_nonempty_delete(sign_in, session, small_town):
    admin = sign_in("admin")
    village = small_town.village
    admin.post(f"/grid/{village.id}/children", {"name": "松林新区", "sort_order": "4"})
    area = _node(session, "松林新区")
    assert area.level == "area" and area.path.startswith(village.path)
    admin.post(f"/grid/{area.id}/rename", {"name": "松林南片", "sort_order": "4"})
    session.expire_all()
    assert session.get(GridNode, area.id).name == "松林南片"
    response = admin.post(f"/grid/{village.id}/delete", follow_redirects=True)
    assert "还有下级网格" in response.get_data(as_text=True)
    assert admin.post(f"/grid/{area.id}/delete").status_code == 302
    assert _node(session, "松林南片") is None


def test_failed_rename_is_rolled_back_and_said_in_chinese(sign_in, session, small_town):
    admin = sign_in("admin")
    village, sibling = small_town.village, small_town.other_village
    name = village.name
    response = admin.post(f"/grid/{village.id}/rename", {"name": sibling.name, "sort_order": "9"},
                          follow_redirects=True)
    assert f"已有名为“{sibling.name}”的网格" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(GridNode, village.id).name == name


def test_unit_form_rejects_bad_phone_and_keeps_input(sign_in, session, small_town):
    clerk = sign_in("clerk")
    area = small_town.village.children[0]
    response = clerk.post("/units/new", {
        "name": "新开<小吃>店", "category": "small_restaurant", "grid_id": area.id,
        "address": "松林一组8号", "responsible_phone": "12345",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "格式不正确" in page
    assert "新开&lt;小吃&gt;店" in page and "<小吃>" not in page
    assert session.scalar(select(Unit).where(Unit.name == "新开<小吃>店")) is None
    ok = clerk.post("/units/new", {"name": "新开<小吃>店", "category": "small_restaurant", "grid_id": area.id,
                                   "responsible_phone": "13800001111"})
    assert ok.status_code == 302
    assert session.scalar(select(Unit).where(Unit.name == "新开<小吃>店")).grid_id == area.id


def test_village_clerk_cannot_put_unit_in_other_village(sign_in, session, small_town):
    clerk = sign_in("village_clerk")
    foreign = small_town.other_village.children[0]
    response = clerk.post("/units/new", {"name": "越权单位", "category": "other", "grid_id": foreign.id})
    page = response.get_data(as_text=True)
    error = re.search(r'<div id="grid_id-error"><p class="error" role="alert">([^<]+)</p>', page)
    assert response.status_code == 400 and error, page[:2000]
    assert re.search(r"[\u4e00-\u9fff]", error.group(1)), f"not a Chinese message: {error.group(1)!r}"
    assert session.scalar(select(Unit).where(Unit.name == "越权单位")) is None
