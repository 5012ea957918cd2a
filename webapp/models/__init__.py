"""Shared tables only, one module per aggregate. A procedure keeps its tables in its own package
(webapp/procedures/<key>/models.py), registered when the procedure loads."""

from webapp.models.alerts import Alert, ReminderSettings, Supervision, SupervisionRule
from webapp.models.approvals import DutySeparation, OpinionPhrase
from webapp.models.audit import AuditEvent
from webapp.models.campaigns import SpecialCampaign
from webapp.models.deliveries import Delivery, MailSettings, RobotSettings, SmsSettings
from webapp.models.document import (
    AttachmentRole,
    Document,
    DocumentAttachment,
    IssuedNumber,
    NumberPrefix,
    NumberSequence,
    StoredFile,
    StoredFileChunk,
)
from webapp.models.drafts import FormDraft
from webapp.models.equipment import EquipmentPoint
from webapp.models.grid import (
    CommitteeMember,
    GridNode,
    GridPost,
    GridUnitTotal,
    GridVisitTotal,
    Unit,
    UnitCardSettings,
    WarningSignText,
)
from webapp.models.jobs import Job
from webapp.models.leads import HazardLead
from webapp.models.photos import EvidencePhoto
from webapp.models.receipts import DocumentReceipt
from webapp.models.users import LoginThrottle, User, UserRole
from webapp.models.workflow import CalendarDay, CaseEvent, CaseLink, ProcessInstance, WorkTask

__all__ = [
    "Alert", "AttachmentRole", "AuditEvent", "CalendarDay", "CaseEvent", "CaseLink", "CommitteeMember", "Delivery",
    "Document", "DocumentAttachment", "DocumentReceipt", "DutySeparation", "EquipmentPoint", "EvidencePhoto",
    "FormDraft", "GridNode", "GridPost", "GridUnitTotal", "GridVisitTotal", "HazardLead",
    "IssuedNumber", "Job", "LoginThrottle", "MailSettings", "NumberPrefix", "NumberSequence", "OpinionPhrase",
    "ProcessInstance", "ReminderSettings", "RobotSettings", "SmsSettings", "SpecialCampaign", "StoredFile",
    "StoredFileChunk", "Supervision", "SupervisionRule", "Unit", "UnitCardSettings", "User", "UserRole",
    "WarningSignText", "WorkTask",
]
