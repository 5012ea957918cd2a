"""Every error of a form at once, beside its field, input kept: a service's InvalidInput names its fields
and the view places them (web/form_errors.show_invalid)."""

from __future__ import annotations

from tests.form_support import error_beside


def test_scheme_item_with_three_bad_fields_shows_all_three_beside_them(app, session, sign_in, small_town):  # noqa: ANN001
    admin = sign_in("admin")
    form = {"category": "消防安全责任", "content": "我的新测算项目", "points": "0", "rule": "按签订率计分",
            "kind": "measured", "metric": "", "formula": "", "target": "0"}
    refused = admin.post("/evaluation/schemes/village/items/new", form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert error_beside(page, "metric", "必须选择适用于该类被考评对象的测算指标")
    assert error_beside(page, "formula", "请选择计分公式")
    assert error_beside(page, "points", "分值必须大于0")
    assert "该项目有3处需要修改" in page  # one line at the top says where to look
    assert 'value="我的新测算项目"' in page and "按签订率计分</textarea>" in page


def test_a_service_error_without_a_field_goes_beside_the_field_the_view_names(app, session, sign_in, small_town):  # noqa: ANN001
    admin = sign_in("admin")
    taken = admin.post("/admin/users/new", {"username": "clerk", "display_name": "重名", "password": "abcdefgh12",
                                            "roles": ["clerk"], "scope_id": "2", "enabled": "y"})
    page = taken.get_data(as_text=True)
    assert taken.status_code == 400 and error_beside(page, "username", "用户名“clerk”已被使用")
    assert 'value="重名"' in page
