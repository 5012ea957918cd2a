from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required

from webapp.cases import defaults
from webapp.documents import grid_chart
from webapp.extensions import db
from webapp.forms.grid import GridNodeForm, GridPostForm
from webapp.models import GridPost
from webapp.models.grid import CHILD_LEVEL, GRID_LEVELS, GRID_POSTS
from webapp.services import audit, grid
from webapp.services.errors import InvalidInput
from webapp.web.common import acting_user, client_address, now, roles_required
from webapp.web.extension_points import NavItem
from webapp.web.form_errors import flash_invalid
from webapp.web.responses import DOCX, docx_as_pdf, download_response

bp = Blueprint("grid", __name__, url_prefix="/grid")
# Menu entries of these pages (the web layer reads them when it registers the blueprint).
NAV = (
    NavItem("grid.tree", "网格", ("admin", "leader"), order=80),
)


def _node_in_scope(node_id: int):
    node = grid.get_node(db.session, node_id)
    grid.ensure_in_scope(acting_user(), node)
    return node


def _commit_with_audit(action: str, node_id: int, summary: str) -> None:
    audit.record(db.session, at=now(), user=acting_user(), action=action, object_type="grid_node",
                 object_id=node_id, summary=summary, remote_addr=client_address())
    db.session.commit()


@bp.get("/")
@login_required
def tree():
    nodes = grid.nodes_in_scope(db.session, acting_user())
    return render_template("grid/tree.html", nodes=nodes, root=acting_user().scope)


def _chart(node_id: int) -> tuple[bytes, str]:
    current = grid.get_node(db.session, node_id)
    root, committee = grid.chart(db.session, acting_user(), current)
    title = f"{current.name}消防安全网格化管理工作运行网格图"
    day = now()
    made_on = f"{day.year}年{day.month}月{day.day}日"
    return grid_chart.grid_chart_document(root, title, committee, made_on), title


@bp.get("/<int:node_id>/chart.docx")
@login_required
def chart(node_id: int):
    """网格图 of a node in scope (its subtree, heads, members and phones; a town's also its 消安委) as DOCX."""
    content, title = _chart(node_id)
    return download_response(content, f"{title}.docx", DOCX)


@bp.get("/<int:node_id>/chart.pdf")
@login_required
def chart_pdf(node_id: int):
    content, title = _chart(node_id)
    return docx_as_pdf(content, title)


@bp.get("/<int:node_id>")
@login_required
def node(node_id: int):
    return _node_page(_node_in_scope(node_id))


def _node_page(current, post_form: GridPostForm | None = None, status: int = 200):  # noqa: ANN001, ANN202
    return render_template(
        "grid/node.html", node=current, rename_form=GridNodeForm(obj=current), child_form=GridNodeForm(formdata=None),
        post_form=post_form or GridPostForm(formdata=None),
        child_level=CHILD_LEVEL.get(current.level), GRID_LEVELS=GRID_LEVELS, GRID_POSTS=GRID_POSTS,
    ), status


@bp.post("/<int:node_id>/rename")
@roles_required("admin")
def rename(node_id: int):
    current = _node_in_scope(node_id)
    form = GridNodeForm()
    if form.validate_on_submit():
        try:
            old = current.name
            grid.rename_node(db.session, current, form.name.data)
            current.sort_order = form.sort_order.data or 0
            _commit_with_audit("grid_rename", current.id, f"{old} → {current.name}")
            flash("网格已更新。", "success")
        except InvalidInput as error:
            flash_invalid(error)
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
    return redirect(url_for("grid.node", node_id=node_id))


@bp.post("/<int:node_id>/children")
@roles_required("admin")
def add_child(node_id: int):
    parent = _node_in_scope(node_id)
    form = GridNodeForm()
    level = CHILD_LEVEL.get(parent.level)
    if form.validate_on_submit() and level:
        try:
            child = grid.add_node(db.session, parent=parent, level=level, name=form.name.data,
                                  sort_order=form.sort_order.data or 0)
            if child.level == "town":
                defaults.ensure_defaults(db.session)  # its meeting series and referral receivers
            _commit_with_audit("grid_add", child.id, f"{parent.name} 下新增 {child.name}")
            flash(f"已新增“{child.name}”。", "success")
        except InvalidInput as error:
            flash_invalid(error)
    else:
        flash("请输入网格名称。" if level else "小网格下不能再建下级网格。", "danger")
    return redirect(url_for("grid.node", node_id=node_id))


@bp.post("/<int:node_id>/delete")
@roles_required("admin")
def delete(node_id: int):
    current = _node_in_scope(node_id)
    parent_id, name = current.parent_id, current.name
    try:
        grid.delete_node(db.session, current)
        _commit_with_audit("grid_delete", node_id, name)
        flash(f"已删除“{name}”。", "success")
        return redirect(url_for("grid.node", node_id=parent_id) if parent_id else url_for("grid.tree"))
    except InvalidInput as error:
        flash_invalid(error)
        return redirect(url_for("grid.node", node_id=node_id))


@bp.post("/<int:node_id>/posts")
@roles_required("admin")
def add_post(node_id: int):
    current = _node_in_scope(node_id)
    form = GridPostForm()
    if not form.validate_on_submit():
        return _node_page(current, form, 400)
    person = form.person_name.data.strip()
    current.posts.append(GridPost(post=form.post.data, person_name=person, phone=(form.phone.data or "").strip()))
    _commit_with_audit("grid_post_add", current.id, f"{GRID_POSTS[form.post.data]} {person}")
    flash("已添加。", "success")
    return redirect(url_for("grid.node", node_id=node_id))


@bp.post("/<int:node_id>/posts/<int:post_id>/delete")
@roles_required("admin")
def delete_post(node_id: int, post_id: int):
    current = _node_in_scope(node_id)
    post = next((p for p in current.posts if p.id == post_id), None)
    if post is not None:
        current.posts.remove(post)
        _commit_with_audit("grid_post_delete", current.id, f"{post.post_label} {post.person_name}")
        flash("已删除。", "success")
    return redirect(url_for("grid.node", node_id=node_id))
