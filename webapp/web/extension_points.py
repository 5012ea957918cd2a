"""Where page modules plug into shared pages: menu entries and sections of a unit's page (一户一档).
A module declares `NAV` and `UNIT_SECTIONS`; the web layer collects them from the modules it registers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webapp.models import User
from webapp.web import read_only


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
        if self.roles and not read_only.reads_as(user, self.roles):
            return False
        return self.visible is None or self.visible(user)


@dataclass
class WebParts:
    """What the registered page modules declare: menu entries (by order) and unit-page sections."""

    nav: list[NavItem]
    unit_sections: list[str]

    @classmethod
    def of(cls, modules: list) -> WebParts:
        nav = sorted((item for module in modules for item in getattr(module, "NAV", ())), key=lambda e: e.order)
        sections = [s for module in modules for s in getattr(module, "UNIT_SECTIONS", ())]
        return cls(nav=nav, unit_sections=sections)
