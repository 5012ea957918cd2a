"""Append-only audit log: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import AwareDateTime

# What the audit page shows for each recorded action and object type (tests/test_audit_labels.py
# checks that every action the code records has a label here).
AUDIT_ACTIONS = {
    "login": "登录", "logout": "退出登录", "account_locked": "账号锁定", "access_denied": "拒绝访问",
    "case_start": "发起案件", "case_follow_up": "由来文发起办理", "task_complete": "办理步骤",
    "task_send_back": "退回", "case_withdraw": "撤回",
    "task_remind": "催办", "task_remind_refused": "催办未发送（间隔内）", "supervision_issue": "督办",
    "receipt_deliver": "送达公文（待签收）", "receipt_sign": "签收公文", "receipt_reply": "反馈落实情况",
    "receipt_remind": "催办签收", "receipt_remind_refused": "催办签收未发送（间隔内）",
    "reminder_settings_save": "保存提醒设置", "supervision_rules_save": "保存督办对象",
    "mail_settings_save": "保存邮件设置", "alert_email_save": "修改邮件提醒方式",
    "sms_settings_save": "保存短信设置", "robot_settings_save": "保存群机器人设置",
    "alert_channels_save": "修改提醒方式",
    "warning_sign_text_save": "保存警示牌文字", "warning_sign_text_reset": "警示牌文字恢复默认",
    "opinion_phrase_add": "新增公共常用意见", "opinion_phrase_remove": "删除公共常用意见",
    "opinion_phrase_reset": "公共常用意见恢复默认", "duty_separation_save": "保存签发回避设置",
    "letters_bulk_sign": "批量登记签订", "unit_save": "保存单位", "unit_import": "导入单位台账",
    "org_import": "导入组织架构工作簿",
    "grid_rename": "网格改名", "grid_add": "新增网格", "grid_delete": "删除网格",
    "grid_post_add": "新增网格职务", "grid_post_delete": "删除网格职务",
    "calendar_day_set": "设置节假日/调休", "calendar_day_remove": "删除节假日/调休",
    "number_prefix_update": "修改发文字号", "user_create": "新增用户", "user_update": "修改用户",
    "user_password_reset": "重置密码", "town_setup": "首次启动设置（新建镇）",
    "town_add": "新增镇（街道）",
    "number_void": "作废文号", "committee_member_save": "保存消安委成员单位",
    "committee_member_remove": "移除消安委成员单位",
    "login_failed": "登录失败", "password_change": "修改本人密码", "user_unlock": "解除锁定",
    "download": "下载文件", "excel_export": "导出Excel", "archive_export": "生成归档包",
    "archive_download": "下载归档包", "settings_change": "修改设置", "scheme_change": "修改考评方案",
    "special_campaign_save": "保存专项行动", "ledger_binder_start": "生成台账汇编",
    "report_layout_add": "新增统计表样式", "report_layout_delete": "删除统计表样式",
    "referral_issue": "移交隐患", "referral_accept": "接收移交", "referral_feedback": "登记移交处理结果",
    "report_up": "上报隐患", "unit_link_submit": "单位通过链接提交", "receiver_account_set": "设置接收部门账号",
}
AUDIT_OBJECT_TYPES = {
    "case": "案件", "grid_node": "网格", "letter_campaign": "责任书签订", "settings": "设置", "unit": "单位",
    "url": "页面", "user": "用户", "file": "文件", "archive_export": "归档包", "evaluation_scheme": "考评方案",
    "issued_number": "文号", "special_campaign": "专项行动", "ledger_binder": "台账汇编",
    "report_layout": "统计表样式",
    "referral": "移交事项", "report_up": "上报事项", "inspection": "检查",
    "receipt": "签收回执",
}


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the log outlives accounts
    username: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(50), index=True)
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(50), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")

    @property
    def action_label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)

    @property
    def object_label(self) -> str:
        return f"{AUDIT_OBJECT_TYPES.get(self.object_type, self.object_type)} {self.object_id}".strip()


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("审计日志只能追加，不能修改或删除。")
