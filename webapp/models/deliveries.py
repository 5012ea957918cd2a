"""Deliveries of alerts through outside channels (e-mail, SMS, 企业微信/钉钉 group robots), and each town's
settings for them.

An alert row is the in-app message; a delivery is one attempt-tracked copy of it on one channel to one
address. Deliveries are queued in the transaction that makes the alert and sent later by the delivery
sweep (webapp.cases.deliveries), so a slow or failing mail server never blocks an action."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.alerts import Alert
from webapp.models.types import AwareDateTime

DELIVERY_STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
DELIVERY_CHANNELS = {"email": "电子邮件", "sms": "短信", "wecom": "企业微信群", "dingtalk": "钉钉群"}
SMS_METHODS = {"POST": "POST", "GET": "GET"}
MAIL_SECURITY = {
    "starttls": "STARTTLS（通常为587端口）", "ssl": "SSL/TLS（通常为465端口）", "none": "不加密（通常为25端口）",
}


class Delivery(db.Model):
    """One alert on one channel to one address: pending until sent, retried with backoff, failed at last."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    # The town (the recipient's) whose mail server, SMS gateway or group robot sends it and whose
    # administrator sees it in the log.
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    # The last failure, short and in Chinese; never a password.
    last_error: Mapped[str] = mapped_column(String(300), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # Who is sending it and since when (status "sending"); a claim older than the sweep's limit is
    # taken over, so a process killed mid-send does not strand the row.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    alert: Mapped[Alert] = relationship()

    __table_args__ = (
        # The sweep: WHERE status = 'pending' AND next_attempt_at <= now.
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
        # The log page: one town's deliveries, newest first.
        Index("ix_delivery_town_created", "town_id", "created_at"),
    )

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return DELIVERY_CHANNELS.get(self.channel, self.channel)


class MailSettings(db.Model):
    """A town's SMTP server. The password is stored as given (the server needs it in clear) and is never
    shown back on a page."""

    __tablename__ = "mail_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    host: Mapped[str] = mapped_column(String(200), default="")
    port: Mapped[int] = mapped_column(default=587)
    security: Mapped[str] = mapped_column(String(10), default="starttls")
    username: Mapped[str] = mapped_column(String(120), default="")
    password: Mapped[str] = mapped_column(String(200), default="")
    sender: Mapped[str] = mapped_column(String(120), default="")


class SmsSettings(db.Model):
    """A town's SMS gateway: an HTTP request built from a template. {phone}, {text}, {sign} and {key} in
    the URL, the body (or GET parameters) and the header lines are replaced by the recipient's number, the
    short text, the 短信签名 and the API key. The key is never shown back on a page nor written to the log."""

    __tablename__ = "sms_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(String(4), default="POST")
    url: Mapped[str] = mapped_column(String(500), default="")
    template: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[str] = mapped_column(Text, default="")  # "Name: value" per line
    signature: Mapped[str] = mapped_column(String(40), default="")  # 短信签名
    api_key: Mapped[str] = mapped_column(String(300), default="")
    # Besides HTTP 2xx, the answer must contain this text (empty: 2xx is enough).
    success_text: Mapped[str] = mapped_column(String(100), default="")


class RobotSettings(db.Model):
    """A town's 企业微信 and 钉钉 group robots: each new alert is posted to the group. The webhook addresses
    carry the robot's key, so they are treated like passwords (never shown back in full); 钉钉's 加签
    secret likewise."""

    __tablename__ = "robot_settings"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    wecom_enabled: Mapped[bool] = mapped_column(default=False)
    wecom_url: Mapped[str] = mapped_column(String(500), default="")
    dingtalk_enabled: Mapped[bool] = mapped_column(default=False)
    dingtalk_url: Mapped[str] = mapped_column(String(500), default="")
    dingtalk_secret: Mapped[str] = mapped_column(String(200), default="")
