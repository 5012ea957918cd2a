"""Checks on re-rendered forms: an error message sits beside the field it concerns."""

from __future__ import annotations

import re


def error_beside(page: str, name: str, message: str) -> bool:
    """The message sits in the same field block as the control named `name`."""
    block = re.search(rf'<div class="field has-error">(?:(?!</div>).)*name="{name}"(?:(?!</div>).)*</div>', page,
                      re.DOTALL)
    return block is not None and message in block.group(0)
