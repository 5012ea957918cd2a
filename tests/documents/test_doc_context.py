"""Manifest validation of render data (issue 16 item 10): optional fields default, required ones
and bad values are refused with a Chinese message naming the field."""

from __future__ import annotations

import copy
import io

import docx
import pytest

from webapp.documents.manifest import ContextError, prepare_context


def sample(library, key: str) -> dict:
    return copy.deepcopy(library.spec(key).sample)


@pytest.mark.parametrize("key", ["notice", "referral_letter", "minutes", "rectification_notice"])
def test_missing_optional_fields_default(renderer, library, key):
    context = sample(library, key)
    optional = [name for name, spec in library.spec(key).fields.items() if not spec.get("required")]
    assert optional
    for name in optional:
        context.pop(name, None)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(renderer.render(key, context))).paragraphs)
    assert "None" not in text and "附件：" not in text


def test_missing_required_field_names_it(renderer, library):
    context = sample(library, "notice")
    del context["title"]
    context["body"][0].pop("text")
    with pytest.raises(ContextError) as raised:
        renderer.render("notice", context)
    message = str(raised.value)
    assert "缺少必填字段“公文标题”（title）" in message and "（body[0].text）" in message
    assert raised.value.problems and all("必填" in p for p in raised.value.problems)


def test_empty_required_text_is_refused(library):
    context = sample(library, "referral_letter")
    context["unit"]["name"] = "  "
    with pytest.raises(ContextError, match=r"必填字段“名称”（unit\.name）为空"):
        prepare_context(library.spec("referral_letter"), context)


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("date",), "2026-13-45", "不是有效日期"),
    (("inspection", "date"), "五月六日", "（inspection.date）不是有效日期"),
    (("feedback_days",), "十五", "（feedback_days）应为整数"),
    (("cc",), "县消防救援大队", "（cc）应为列表"),
])
def test_bad_values_are_refused_with_the_field(library, path, value, expected):
    context = sample(library, "referral_letter")
    target = context
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    with pytest.raises(ContextError, match=expected):
        prepare_context(library.spec("referral_letter"), context)


def test_prepare_leaves_the_callers_data_alone(library):
    context = sample(library, "referral_letter")
    del context["attachments"]
    prepared = prepare_context(library.spec("referral_letter"), context)
    assert prepared["attachments"] == [] and "attachments" not in context


@pytest.mark.parametrize(("key", "field"), [("notice", "title"), ("notice", "organ_mark"),
                                            ("referral_letter", "addressee"), ("minutes", "mark")])
def test_newline_in_a_one_line_field_is_refused(library, key, field):
    context = sample(library, key)
    context[field] = "第一行\n第二行"
    with pytest.raises(ContextError, match=rf"（{field}）只能填写一行"):
        prepare_context(library.spec(key), context)


def test_newline_in_a_list_of_one_line_entries_and_in_a_name_is_refused(library):
    context = sample(library, "notice")
    context["addressees"] = ["各村（社区）", "镇直\n各部门"]
    with pytest.raises(ContextError, match=r"（addressees）只能填写一行"):
        prepare_context(library.spec("notice"), context)
    letter = sample(library, "referral_letter")
    letter["unit"]["name"] = "恒发\r\n超市"
    with pytest.raises(ContextError, match=r"（unit\.name）只能填写一行"):
        prepare_context(library.spec("referral_letter"), letter)
