"""常用意见 (saved opinions): a town's public phrases, kept by its admin, and each user's own.

A town that has saved no public phrase offers DEFAULT_PHRASES; the admin's first change saves them as
the town's list, so removing a default is possible."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import GridNode, OpinionPhrase, User
from webapp.services.errors import InvalidInput, NotFound

DEFAULT_PHRASES = (
    "同意。", "同意，请按程序办理。", "同意印发。", "已阅。", "请按意见修改后再报。", "请补充相关材料后再报。",
    "请核实后再报。",
)
MAX_LENGTH = 200
MAX_PERSONAL = 30


def public_phrases(session: Session, town: GridNode | None) -> list[str]:
    """The town's public phrases in order; the defaults while it has saved none (or there is no town)."""
    if town is None:
        return list(DEFAULT_PHRASES)
    rows = _public_rows(session, town)
    return [row.text for row in rows] if rows else list(DEFAULT_PHRASES)


def customised(session: Session, town: GridNode) -> bool:
    return bool(_public_rows(session, town))


def personal_phrases(session: Session, user: User) -> list[OpinionPhrase]:
    stmt = select(OpinionPhrase).where(OpinionPhrase.user_id == user.id).order_by(OpinionPhrase.sort_order,
                                                                                  OpinionPhrase.id)
    return list(session.scalars(stmt))


def phrases_for(session: Session, user: User, town: GridNode | None) -> list[str]:
    """What an opinion field offers this user: their own phrases first, then the town's, without repeats."""
    seen: dict[str, None] = {}
    for text in [p.text for p in personal_phrases(session, user)] + public_phrases(session, town):
        seen.setdefault(text, None)
    return list(seen)


def add_public(session: Session, town: GridNode, text: str) -> OpinionPhrase:
    text = _checked(text, public_phrases(session, town))
    if not customised(session, town):
        _save_defaults(session, town)
    return _add(session, OpinionPhrase(town_id=town.id, text=text), _public_rows(session, town))


def remove_public(session: Session, town: GridNode, position: int, shown: str) -> str:
    """Remove the phrase at `position` of the list shown, if it is still `shown` there (another admin may have
    changed the list since); the defaults are saved first, without it."""
    texts = public_phrases(session, town)
    if not 0 <= position < len(texts):
        raise NotFound("没有这条常用意见。")
    if texts[position] != shown:
        raise InvalidInput("常用意见列表已被修改，请刷新页面后重试。")
    if len(texts) == 1:  # an empty list would mean the defaults again
        raise InvalidInput("至少保留一条公共常用意见。")
    if not customised(session, town):
        _save_defaults(session, town)
    row = _public_rows(session, town)[position]
    session.delete(row)
    session.flush()
    return row.text


def reset_public(session: Session, town: GridNode) -> None:
    for row in _public_rows(session, town):
        session.delete(row)
    session.flush()


def add_personal(session: Session, user: User, text: str) -> OpinionPhrase:
    mine = personal_phrases(session, user)
    text = _checked(text, [p.text for p in mine])
    if len(mine) >= MAX_PERSONAL:
        raise InvalidInput(f"个人常用意见最多保存{MAX_PERSONAL}条，请先删除不用的。", field="text")
    return _add(session, OpinionPhrase(user_id=user.id, text=text), mine)


def remember_personal(session: Session, user: User, text: str) -> bool:
    """存为常用意见 on a task form: saved if it is new and fits; False (nothing said) otherwise."""
    try:
        add_personal(session, user, text)
    except InvalidInput:
        return False
    return True


def remove_personal(session: Session, user: User, phrase_id: int) -> str:
    row = session.get(OpinionPhrase, phrase_id)
    if row is None or row.user_id != user.id:
        raise NotFound("没有这条常用意见。")
    session.delete(row)
    session.flush()
    return row.text


def _checked(text: str, existing: list[str]) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput("请填写常用意见。", field="text")
    if len(text) > MAX_LENGTH:
        raise InvalidInput(f"常用意见不能超过{MAX_LENGTH}个字。", field="text")
    if text in existing:
        raise InvalidInput(f"“{text}”已在常用意见中。", field="text")
    return text


def _add(session: Session, row: OpinionPhrase, siblings: list[OpinionPhrase]) -> OpinionPhrase:
    row.sort_order = max((s.sort_order for s in siblings), default=0) + 1
    session.add(row)
    session.flush()
    return row


def _public_rows(session: Session, town: GridNode) -> list[OpinionPhrase]:
    stmt = select(OpinionPhrase).where(OpinionPhrase.town_id == town.id).order_by(OpinionPhrase.sort_order,
                                                                                  OpinionPhrase.id)
    return list(session.scalars(stmt))


def _save_defaults(session: Session, town: GridNode) -> None:
    session.add_all(OpinionPhrase(town_id=town.id, text=text, sort_order=i) for i, text in enumerate(DEFAULT_PHRASES))
    session.flush()

