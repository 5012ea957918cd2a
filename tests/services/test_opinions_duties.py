"""常用意见 and 签发回避 as services: defaults of a new town, the admin's first change, the per-town switch."""

import pytest

from webapp.cases import duties, opinions
from webapp.services.errors import InvalidInput, NotFound


def test_a_new_town_offers_the_default_phrases_until_its_admin_changes_them(session, small_town):
    town = small_town.town
    assert opinions.public_phrases(session, town) == list(opinions.DEFAULT_PHRASES)
    assert not opinions.customised(session, town)
    opinions.add_public(session, town, "  同意，  请抓紧办理。 ")
    assert opinions.public_phrases(session, town) == [*opinions.DEFAULT_PHRASES, "同意， 请抓紧办理。"]
    removed = opinions.remove_public(session, town, 0, opinions.DEFAULT_PHRASES[0])
    assert removed == opinions.DEFAULT_PHRASES[0] and removed not in opinions.public_phrases(session, town)
    with pytest.raises(NotFound):
        opinions.remove_public(session, town, 99, "")
    opinions.reset_public(session, town)
    assert opinions.public_phrases(session, town) == list(opinions.DEFAULT_PHRASES)


def test_the_last_public_phrase_stays(session, small_town):
    town = small_town.town
    for text in opinions.DEFAULT_PHRASES[:-1]:
        opinions.remove_public(session, town, 0, text)
    with pytest.raises(InvalidInput, match="至少保留一条"):
        opinions.remove_public(session, town, 0, opinions.DEFAULT_PHRASES[-1])


def test_personal_phrases_come_first_without_repeats(session, small_town):
    leader = small_town.users["leader"]
    opinions.add_personal(session, leader, "已阅。")
    opinions.add_personal(session, leader, "拟同意。")
    offered = opinions.phrases_for(session, leader, small_town.town)
    assert offered[:2] == ["已阅。", "拟同意。"] and offered.count("已阅。") == 1
    assert opinions.phrases_for(session, small_town.users["clerk"], small_town.town) == list(opinions.DEFAULT_PHRASES)
    assert opinions.remember_personal(session, leader, "拟同意。") is False  # already kept: nothing said
    with pytest.raises(InvalidInput, match="不能超过200个字"):
        opinions.add_personal(session, leader, "意" * 201)
    with pytest.raises(NotFound):
        opinions.remove_personal(session, small_town.users["clerk"], opinions.personal_phrases(session, leader)[0].id)


def test_separation_is_on_by_default_and_switchable_per_town(session, small_town):
    town = small_town.town
    assert duties.enabled(session, town, "notice_issuance", "sign_off")
    assert duties.enabled(session, None, "notice_issuance", "sign_off")
    duties.set_enabled(session, town, "notice_issuance", "sign_off", False)
    assert not duties.enabled(session, town, "notice_issuance", "sign_off")
    duties.set_enabled(session, town, "notice_issuance", "sign_off", True)
    assert duties.enabled(session, town, "notice_issuance", "sign_off")
