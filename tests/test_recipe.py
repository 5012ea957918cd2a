"""README "Adding a procedure", followed to the letter: a procedure package written into a temp folder
(BPMN with a lane, forms registered by key, a DOCX template with its manifest entry) is loaded by the
app's own loader and runs through the core: start → inbox of the lane's role → form → document."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import Browser
from webapp import create_app
from webapp.cases import registry
from webapp.cli import workflow_problems
from webapp.extensions import db
from webapp.forms import registry as forms_registry
from webapp.models import Document, ProcessInstance
from webapp.procedures import load_package

PACKAGE = "fire_drill"

PROCEDURE_PY = '''"""Procedure "fire_drill" (消防演练): the clerk records a drill, issued as a document."""

from webapp.cases.registry import Procedure, StepContext
from webapp.services import documents
from webapp.services.documents import Subject


def _after_record(context: StepContext) -> list[int]:
    subject = Subject(context.instance.grid, instance=context.instance, step_key=context.step_key)
    document = documents.create_record(
        context.session, context.services.documents, template_key="fire_drill_record",
        context={"title": context.instance.title, "summary": context.data["summary"]},
        title="消防演练记录", subject=subject, user=context.user, now=context.now)
    return [document.id]


PROCEDURE = Procedure(key="fire_drill", title="消防演练", start_roles=("clerk",), start_form="fire_drill_start",
                      after_complete={"record": _after_record}, web_modules=("forms",))
'''

FORMS_PY = '''from wtforms import StringField, TextAreaField

from webapp.forms.common import ChineseForm, max_length, required
from webapp.forms.registry import register_form


@register_form("fire_drill_start")
class StartForm(ChineseForm):
    title = StringField("演练名称", validators=[required("请填写演练名称。"), max_length(100)])


@register_form("fire_drill_record")
class RecordForm(ChineseForm):
    summary = TextAreaField("演练情况", validators=[required("请填写演练情况。")])
'''

BPMN = '''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="fire_drill_definitions" targetNamespace="http://firegrid.example/bpmn">
  <bpmn:collaboration id="fire_drill_collaboration">
    <bpmn:participant id="fire_drill_participant" name="消防演练" processRef="fire_drill" />
  </bpmn:collaboration>
  <bpmn:process id="fire_drill" name="消防演练" isExecutable="true">
    <bpmn:laneSet id="fire_drill_lanes">
      <bpmn:lane id="lane_clerk" name="clerk">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>record</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始">
      <bpmn:outgoing>flow_start_record</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="record" name="演练记录">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="form" value="fire_drill_record" />
          <spiffworkflow:property name="templates" value="fire_drill_record" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>flow_start_record</bpmn:incoming>
      <bpmn:outgoing>flow_record_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="结束">
      <bpmn:incoming>flow_record_end</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_start_record" sourceRef="start" targetRef="record" />
    <bpmn:sequenceFlow id="flow_record_end" sourceRef="record" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="fire_drill_diagram">
    <bpmndi:BPMNPlane id="fire_drill_plane" bpmnElement="fire_drill_collaboration">
      <bpmndi:BPMNShape id="fire_drill_participant_di" bpmnElement="fire_drill_participant" isHorizontal="true">
        <dc:Bounds x="100" y="60" width="480" height="160" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_clerk_di" bpmnElement="lane_clerk" isHorizontal="true">
        <dc:Bounds x="130" y="60" width="450" height="160" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="122" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="record_di" bpmnElement="record">
        <dc:Bounds x="280" y="100" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="460" y="122" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_record_di" bpmnElement="flow_start_record">
        <di:waypoint x="216" y="140" />
        <di:waypoint x="280" y="140" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_record_end_di" bpmnElement="flow_record_end">
        <di:waypoint x="380" y="140" />
        <di:waypoint x="460" y="140" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
'''

MANIFEST_ENTRY = {
    "key": "fire_drill_record", "title": "消防演练记录", "kind": "记录", "format": "form", "number_grammar": None,
    "copies": 1,
    "fields": {"title": {"type": "string", "required": True, "description": "演练名称"},
               "summary": {"type": "string", "required": True, "description": "演练情况"}},
    "sample": {"title": "春季消防疏散演练", "summary": "全体人员三分钟内疏散完毕。"},
}


def _write_package(root: Path) -> None:
    """Step 2 of the recipe: the package with procedure.py (PROCEDURE) and forms.py."""
    package = root / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "procedure.py").write_text(PROCEDURE_PY, encoding="utf-8")
    (package / "forms.py").write_text(FORMS_PY, encoding="utf-8")


def _workflows(shipped: Path, target: Path) -> Path:
    """Step 1: the BPMN beside the workflows the app already runs."""
    shutil.copytree(shipped, target)
    (target / "fire_drill.bpmn").write_text(BPMN, encoding="utf-8")
    return target


def _templates(shipped: Path, target: Path) -> Path:
    """Step 3: the DOCX template and its manifest entry beside the shipped library."""
    shutil.copytree(shipped, target)
    template = docx.Document()
    for line in ("消防演练记录", "{{ title }}", "{{ summary }}"):
        template.add_paragraph(line)
    template.save(target / "fire_drill_record.docx")
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["templates"].append(MANIFEST_ENTRY)
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return target


@pytest.fixture()
def recipe_app(app: Flask, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:  # noqa: ANN001
    """An app on the tests' database that also runs the fire_drill package; the registries are
    restored afterwards, so no other test sees the extra procedure."""
    monkeypatch.setattr(registry, "_PROCEDURES", dict(registry._PROCEDURES))
    monkeypatch.setattr(forms_registry, "_FORMS", dict(forms_registry._FORMS))
    _write_package(tmp_path / "packages")
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    assert load_package(PACKAGE).key == "fire_drill"
    yield create_app({  # CHECK_WORKFLOWS stays on: the factory refuses to build an app that fails the check
        "WORKFLOWS_DIR": _workflows(app.config["WORKFLOWS_DIR"], tmp_path / "workflows"),
        "TEMPLATES_DIR": _templates(app.config["TEMPLATES_DIR"], tmp_path / "doc_templates"),
        "DATA_DIR": tmp_path / "data", "SECRET_KEY": "test-secret", "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    })
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def _log_in(app: Flask, username: str) -> Browser:
    visitor = Browser(app.test_client())
    visitor.login(username)
    return visitor


def test_firegrid_check_passes_with_the_new_procedure(recipe_app: Flask) -> None:
    with recipe_app.app_context():
        assert workflow_problems() == []
        runtime = recipe_app.extensions["firegrid.runtime"]
        assert "fire_drill" in runtime.specs.process_ids()
        assert "fire_drill_record" in runtime.documents.library


def test_a_case_of_the_new_procedure_runs_from_start_to_its_document(recipe_app: Flask) -> None:
    clerk, leader = _log_in(recipe_app, "clerk"), _log_in(recipe_app, "leader")
    assert "消防演练" in clerk.get("/procedures/").get_data(as_text=True)
    assert leader.get("/procedures/fire_drill/start").status_code == 403  # start_roles: clerk only
    assert clerk.post("/procedures/fire_drill/start", {"title": "春季消防疏散演练"}).status_code == 302

    task_id = clerk.inbox_task_id("演练记录")  # the clerk lane's task, in the clerk's inbox
    assert leader.get(f"/tasks/{task_id}").status_code == 403
    empty = clerk.post(f"/tasks/{task_id}", {"summary": ""})
    assert empty.status_code == 400 and "请填写演练情况。" in empty.get_data(as_text=True)
    summary = "组织镇机关干部开展疏散演练，全体人员三分钟内撤离完毕。"
    assert clerk.post(f"/tasks/{task_id}", {"summary": summary}).status_code == 302

    with recipe_app.app_context():
        case = db.session.scalar(select(ProcessInstance).where(ProcessInstance.procedure == "fire_drill"))
        assert case.status == "completed" and case.title == "春季消防疏散演练"
        document = db.session.scalar(select(Document).where(Document.instance_id == case.id))
        assert document.template_key == "fire_drill_record" and document.step_key == "record"
        document_id = document.id
    response = clerk.get(f"/documents/{document_id}.docx")
    assert response.status_code == 200
    lines = [p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs]
    assert lines[:3] == ["消防演练记录", "春季消防疏散演练", summary]
