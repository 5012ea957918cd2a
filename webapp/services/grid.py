"""The grid tree and scope: every read and write of grid-bound data asks here first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from webapp.documents import grid_chart
from webapp.models import CommitteeMember, GridNode, Unit, User
from webapp.models.grid import CHILD_LEVEL, COMMITTEE_ROLES, GRID_LEVELS, GRID_POSTS
from webapp.services.errors import InvalidInput, OutOfScope, found

Row = TypeVar("Row")


def add_node(session: Session, *, parent: GridNode | None, level: str, name: str, sort_order: int = 0) -> GridNode:
    """Create a node below `parent`, checking the level order region → town → village → area."""
    name = name.strip()
    if not name:
        raise InvalidInput("网格名称不能为空。")
    if level not in GRID_LEVELS:
        raise InvalidInput(f"未知的网格层级：{level}")
    expected = CHILD_LEVEL.get(parent.level) if parent else "region"
    if level != expected:
        raise InvalidInput(f"“{parent.name if parent else '顶层'}”下只能建立{GRID_LEVELS[expected or 'area']}。")
    if parent is not None and any(child.name == name for child in parent.children):
        raise InvalidInput(f"“{parent.name}”下已有名为“{name}”的网格。")
    node = GridNode(parent=parent, level=level, name=name, sort_order=sort_order)
    session.add(node)
    session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    session.flush()
    return node


def rename_node(session: Session, node: GridNode, name: str) -> None:
    name = name.strip()
    if not name:
        raise InvalidInput("网格名称不能为空。")
    siblings = node.parent.children if node.parent else []
    if any(s.name == name and s.id != node.id for s in siblings):
        raise InvalidInput(f"同级已有名为“{name}”的网格。")
    node.name = name
    session.flush()


def delete_node(session: Session, node: GridNode) -> None:
    """Only an empty leaf can go: units, users and children keep the tree honest."""
    if node.children:
        raise InvalidInput("该网格下还有下级网格，不能删除。")
    if session.scalar(select(Unit.id).where(Unit.grid_id == node.id).limit(1)):
        raise InvalidInput("该网格下还有单位，不能删除。")
    if session.scalar(select(User.id).where(User.scope_id == node.id).limit(1)):
        raise InvalidInput("还有用户的管辖范围是该网格，不能删除。")
    session.delete(node)
    session.flush()


def get_node(session: Session, node_id: int) -> GridNode:
    return found(session.get(GridNode, node_id), "网格不存在。")


def ensure_in_scope(user: User, node: GridNode) -> None:
    if not user.scope.contains(node):
        raise OutOfScope(f"“{node.name}”不在您的管辖范围内。")


def get_in_scope(session: Session, user: User, model: type[Row], row_id: int, message: str,
                 options: Sequence[ORMOption] = ()) -> Row:
    """A record that belongs to a grid node (`.grid`), if it exists (else `message`) and is in the user's scope;
    `options` are loader options (what the page reads of it comes in the same statement)."""
    row = found(session.get(model, row_id, options=options), message)
    ensure_in_scope(user, row.grid)  # type: ignore[attr-defined]
    return row


def in_subtree(grid_id: ColumnElement[int], node: GridNode) -> ColumnElement[bool]:
    """A row's grid (`grid_id`) is the node or below it, as `IN (the subtree's grid ids)`: the database then
    reaches a town's rows through a (grid, day) index, grid by grid, where a path filter on a joined grid_node
    made PostgreSQL read the whole county's period and throw away what lies in other towns."""
    return grid_id.in_(select(GridNode.id).where(GridNode.path.startswith(node.path)))


def nodes_in_scope(session: Session, user: User) -> list[GridNode]:
    """The user's subtree in tree order (parents before children)."""
    stmt = select(GridNode).where(GridNode.path.startswith(user.scope.path)).order_by(GridNode.path)
    return list(session.scalars(stmt))


def find_by_display_path(town: GridNode, display_path: str) -> GridNode | None:
    """Resolve "某村/某组" (the ledger's grid column) below a town."""
    node = town
    for name in [part.strip() for part in display_path.split("/") if part.strip()]:
        node = next((child for child in node.children if child.name == name), None)
        if node is None:
            return None
    return node if node is not town else None


def towns(session: Session) -> list[GridNode]:
    return list(session.scalars(select(GridNode).where(GridNode.level == "town").order_by(GridNode.id)))


def town_of(node: GridNode) -> GridNode | None:
    """The town (大网格) a node is in, itself if it is one; None above a town (a region-scoped user)."""
    chain = [*node.ancestors(), node]
    return next((n for n in chain if n.level == "town"), None)


def organ_name(node: GridNode) -> str:
    """The body that signs for a grid node: 镇人民政府, 村民委员会, 社区居民委员会."""
    if node.level == "town":
        region = node.parent.name if node.parent is not None and node.parent.level == "region" else ""
        return f"{region}{node.name}人民政府"
    return node.name + ("居民委员会" if node.name.endswith("社区") else "村民委员会")


def required_town(node: GridNode, feature: str) -> GridNode:
    """The town of `node`, for a feature that works town by town; refused in Chinese above a town."""
    town = town_of(node)
    if town is None:
        raise InvalidInput(f"请在镇（街道）范围内使用{feature}。")
    return town


def _chart_node(node: GridNode, children: list[GridNode] | None = None) -> grid_chart.ChartNode:
    order = list(GRID_POSTS)
    posts = sorted(node.posts, key=lambda p: (order.index(p.post) if p.post in order else len(order), p.id))
    return grid_chart.ChartNode(
        name=node.name, level=node.level, level_label=node.level_label,
        people=[grid_chart.Person(p.post, p.post_label, p.person_name, p.phone) for p in posts],
        children=[_chart_node(child) for child in (node.children if children is None else children)])


def chart(session: Session, user: User, node: GridNode) -> tuple[grid_chart.ChartNode, list[grid_chart.CommitteeLine]]:
    """What the 网格图 of `node` shows (after the scope check): its subtree with every post, and for a town its
    committee. A 小网格 is shown inside its village's band, as on the town's chart."""
    ensure_in_scope(user, node)
    root = _chart_node(node.parent, [node]) if node.level == "area" and node.parent is not None else _chart_node(node)
    committee = []
    if node.level == "town":
        stmt = select(CommitteeMember).where(CommitteeMember.town_id == node.id).order_by(
            CommitteeMember.sort_order, CommitteeMember.id)
        committee = [grid_chart.CommitteeLine(COMMITTEE_ROLES.get(m.committee_role, m.committee_role), m.organ,
                                              m.contact_person, m.phone) for m in session.scalars(stmt)]
    return root, committee
