"""The HTTP channels of 消息提醒: the SMS gateway and the 企业微信/钉钉 group robots.

This module only builds and sends one request; queueing, claims, retries and the delivery log are the
shared machinery of webapp.cases.deliveries. A send function returns on success and raises `SendFailed`
(a short Chinese message with no secret in it) otherwise; `Unreachable` means the gateway itself is not
answering, so the rest of the town's batch waits for the next attempt instead of timing out one by one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from webapp.models import Alert, RobotSettings, SmsSettings

HTTP_TIMEOUT_SECONDS = 10
SMS_MAX_CHARS = 70  # one SMS of Chinese text, before the operator splits it
PLACEHOLDERS = ("{phone}", "{text}", "{sign}", "{key}")
# What a robot delivery shows as its address in the log (the webhook address itself is secret).
ROBOT_ADDRESSES = {"wecom": "企业微信群", "dingtalk": "钉钉群"}


class SendFailed(Exception):
    """One message not delivered; str() is the Chinese text for the log."""


class Unreachable(SendFailed):
    """The server did not answer at all (refused, timed out, unknown host)."""


@dataclass(frozen=True)
class SmsGateway:
    """Plain values of a town's SmsSettings (the sweep commits between attempts, expiring ORM rows)."""

    method: str
    url: str
    template: str
    headers: str
    signature: str
    api_key: str
    success_text: str

    @classmethod
    def of(cls, entry: SmsSettings) -> SmsGateway:
        return cls(entry.method, entry.url, entry.template, entry.headers, entry.signature, entry.api_key,
                   entry.success_text)


def sms_text(alerts: list[Alert], public_url: str) -> str:
    """Short: the kind and the title, cut to fit one message, then the link; several alerts to one phone in
    one batch are one message: how many, the first one's title, and the link to the list."""
    alert = alerts[0]
    if len(alerts) == 1:
        link = f" {public_url}/alerts/{alert.id}" if public_url else ""
        text = " ".join(f"【{alert.kind_label}】{alert.title}".split())
    else:
        link = f" {public_url}/alerts/" if public_url else ""
        text = " ".join(f"【消息提醒】您有{len(alerts)}条新消息：{alert.title}等".split())
    room = max(SMS_MAX_CHARS - len(link), 10)
    if len(text) > room:
        text = text[:room - 1] + "…"
    return text + link


def _fill(template: str, values: dict[str, str], escape) -> str:  # noqa: ANN001
    for name, value in values.items():
        template = template.replace("{" + name + "}", escape(value))
    return template


def header_lines(text: str) -> list[tuple[str, str]]:
    """'Name: value' per line; blank lines skipped. Raises ValueError on a line without a colon."""
    pairs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or any(c in name for c in " \t"):
            raise ValueError(line)
        pairs.append((name.strip(), value.strip()))
    return pairs


def send_sms(gateway: SmsGateway, phone: str, text: str) -> None:
    values = {"phone": phone, "text": text, "sign": gateway.signature, "key": gateway.api_key}
    url = _fill(gateway.url, values, lambda v: urllib.parse.quote(v, safe=""))
    headers = {name: _fill(value, values, str) for name, value in header_lines(gateway.headers)}
    body = None
    template = gateway.template.strip()
    if gateway.method == "GET":
        if template:
            url += ("&" if "?" in url else "?") + _fill(template, values, lambda v: urllib.parse.quote(v, safe=""))
    elif template.startswith(("{", "[")):  # a JSON body: values are JSON-escaped inside its strings
        body = _fill(template, values, lambda v: json.dumps(v, ensure_ascii=False)[1:-1]).encode()
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    else:  # a form body: name={phone}&content={text}…
        body = _fill(template, values, lambda v: urllib.parse.quote(v, safe="")).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    status, answer = _request(gateway.method, url, body, headers, "短信网关", secrets=(gateway.api_key,))
    if gateway.success_text and gateway.success_text not in answer:
        raise SendFailed(_scrub(f"短信网关未确认发送（HTTP {status}，应答中没有“{gateway.success_text}”）："
                                f"{_snippet(answer)}", (gateway.api_key,)))


def robot_text(alert: Alert, recipient: str, public_url: str) -> str:
    lines = [f"【{alert.kind_label}】{recipient}：{alert.title}"]
    if alert.body:
        lines.append(alert.body)
    if public_url:
        lines.append(f"查看：{public_url}/alerts/{alert.id}")
    return "\n".join(lines)


def dingtalk_signed(url: str, secret: str, now: datetime) -> str:
    """钉钉 加签: timestamp (ms) and base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")) as query parameters."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def send_robot(kind: str, url: str, secret: str, text: str, now: datetime) -> None:
    """Post a text message to a 企业微信 (`wecom`) or 钉钉 (`dingtalk`) group robot; errcode 0 is success."""
    label = "企业微信机器人" if kind == "wecom" else "钉钉机器人"
    if kind == "dingtalk" and secret:
        url = dingtalk_signed(url, secret, now)
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
    secrets = (secret, *_url_secrets(url))
    status, answer = _request("POST", url, body, {"Content-Type": "application/json; charset=utf-8"}, label,
                              secrets=secrets)
    try:
        reply = json.loads(answer)
        errcode, errmsg = reply.get("errcode"), reply.get("errmsg", "")
    except (ValueError, AttributeError):
        raise SendFailed(_scrub(f"{label}的应答不是JSON（HTTP {status}）：{_snippet(answer)}", secrets)) from None
    if errcode != 0:
        raise SendFailed(_scrub(f"{label}拒绝了消息：errcode {errcode} {_snippet(str(errmsg))}", secrets))


def _request(method: str, url: str, body: bytes | None, headers: dict[str, str], label: str,
             secrets: tuple[str, ...]) -> tuple[int, str]:
    """(status, answer text) of a 2xx answer; anything else raises with a message naming only the host."""
    parts = urllib.parse.urlsplit(url)
    where = parts.netloc.rpartition("@")[2] or url[:40]
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 — admin's URL
            return response.status, response.read(4000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        answer = error.read(300).decode("utf-8", "replace") if error.fp else ""
        raise SendFailed(_scrub(f"{label}返回错误 HTTP {error.code}：{_snippet(answer)}", secrets)) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ConnectionRefusedError):
            text = f"无法连接{label} {where}（连接被拒绝）。"
        elif isinstance(reason, TimeoutError | socket.timeout):
            text = f"连接{label} {where} 超时。"
        elif isinstance(reason, socket.gaierror):
            text = f"找不到{label} {parts.hostname}。"
        else:
            text = f"无法连接{label} {where}：{getattr(reason, 'strerror', None) or reason}"
        raise Unreachable(_scrub(text, secrets)) from None
    except TimeoutError:
        raise Unreachable(f"{label} {where} 应答超时。") from None
    except ValueError:
        raise SendFailed(f"{label}地址无效。") from None
    except OSError as error:
        raise Unreachable(_scrub(f"与{label} {where} 的连接中断：{error.strerror or error}", secrets)) from None


def _url_secrets(url: str) -> tuple[str, ...]:
    """The query values of a webhook address (the robot's key or access_token)."""
    return tuple(value for _name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query) if value)


def masked_url(url: str) -> str:
    """An address with its query values and any user:password@ hidden, for the settings page and the audit."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(f"{name}=***" for name, _value in urllib.parse.parse_qsl(parts.query))
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=("***@" if "@" in parts.netloc else "") + netloc,
                                                  query=query))


def _snippet(text: str) -> str:
    return " ".join(text.split())[:120]


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:300]


def robots_of(entry: RobotSettings | None) -> dict[str, tuple[str, str]]:
    """The enabled robots of a town: kind → (webhook address, 加签 secret)."""
    if entry is None:
        return {}
    robots = {}
    if entry.wecom_enabled and entry.wecom_url:
        robots["wecom"] = (entry.wecom_url, "")
    if entry.dingtalk_enabled and entry.dingtalk_url:
        robots["dingtalk"] = (entry.dingtalk_url, entry.dingtalk_secret)
    return robots
