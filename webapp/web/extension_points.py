"""Where procedures plug into shared pages: menu entries and sections of a unit's page (一户一档)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: tuple[str, ...] = ()  # empty: everyone logged in


NAV_ITEMS: list[NavItem] = []
# Jinja templates included on the unit page, each receiving `unit`.
UNIT_SECTIONS: list[str] = []


def add_nav_item(item: NavItem) -> None:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)


def add_unit_section(template: str) -> None:
    if template not in UNIT_SECTIONS:
        UNIT_SECTIONS.append(template)
