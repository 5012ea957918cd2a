"""`templates render --data`: clean Chinese errors, no traceback (issue 16 item 10)."""

from __future__ import annotations

import copy
import json

from docx import Document as Docx

from webapp.cli import main


def _render(app, tmp_path, data) -> tuple[object, object]:
    path = tmp_path / "data.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.docx"
    result = app.test_cli_runner().invoke(main, ["templates", "render", "referral_letter", "--data", str(path),
                                                 "--out", str(out)])
    return result, out


def _sample(app) -> dict:
    return copy.deepcopy(app.extensions["firegrid.runtime"].documents.library.spec("referral_letter").sample)


def test_render_data_without_optional_fields(app, tmp_path):
    data = _sample(app)
    for name in ("attachments", "cc", "request"):
        del data[name]
    result, out = _render(app, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "关于移交" in "\n".join(p.text for p in Docx(out).paragraphs)


def test_render_data_errors_are_clean(app, tmp_path):
    data = _sample(app)
    del data["addressee"]
    data["date"] = "2026-02-30"
    result, out = _render(app, tmp_path, data)
    assert result.exit_code == 1 and not out.exists()
    assert "缺少必填字段“主送机关：一个或多个接收部门（联合处置时以顿号分隔）”（addressee）" in result.output
    assert "（date）不是有效日期" in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, KeyError | ValueError)  # a SystemExit, not a crash
    broken, _ = _render(app, tmp_path, "{not json")
    assert broken.exit_code == 1 and "不是有效的 UTF-8 JSON" in broken.output
