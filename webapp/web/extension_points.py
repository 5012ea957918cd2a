"""Where procedures plug into shared pages: menu entries and sections of a unit's page (一户一档)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webapp.models import User


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[str, ...] = ()  # empty: everyone logged in
    # Menu position: daily work (待办, 已办) first, administration last.
    order: int = 50
    # A further condition beyond the roles (e.g. a town-wide page), so no entry leads to a refusal.
    visible: Callable[[User], bool] | None = None
    # A number shown beside the entry (the 待办 count).
    badge: Callable[[User], int] | None = None

    def shown_to(self, user: User) -> bool:
        if self.roles and not user.has_role(*self.roles):
            return False
        return self.visible is None or self.visible(user)


NAV_ITEMS: list[NavItem] = []
# Jinja templates included on the unit page, each receiving `unit`.
UNIT_SECTIONS: list[str] = []


def add_nav_item(item: NavItem) -> None:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda entry: entry.order)


def add_unit_section(template: str) -> None:
    if template not in UNIT_SECTIONS:
        UNIT_SECTIONS.append(template)
