"""HTTPS for a town's own server: a small local certificate authority and a server certificate it signs,
and the reverse-proxy configuration that serves Firegrid over HTTPS with them.

Phones give a page their location (签到位置) and open the camera from a file input reliably only over
HTTPS. `firegrid serve` runs waitress, which speaks plain HTTP only, so HTTPS is always a reverse proxy
(Caddy or nginx) in front of it. Without a public domain name a town can make its own certificates here:
the proxy serves server.crt/server.key, and each phone installs ca.crt once (trust it as a CA).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
# Apple devices refuse TLS server certificates valid for longer than 825 days, even from a CA the user installed.
SERVER_DAYS = 825


@dataclass(frozen=True)
class CertificateFiles:
    ca_cert: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firegrid"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def subject_alternative_names(hosts: list[str]) -> list[x509.GeneralName]:
    """An IP address (the LAN address phones type or scan) as an IP entry, anything else as a DNS name."""
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(h.strip() for h in hosts if h.strip()):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_certificates(hosts: list[str], *, now: datetime) -> tuple[bytes, bytes, bytes]:
    """(CA certificate, server certificate, server private key), PEM. The server certificate names every
    host in its subjectAltName (browsers ignore the common name)."""
    if not hosts:
        raise ValueError("至少需要一个主机名或IP地址。")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"Firegrid 本地证书颁发机构（{hosts[0]}）")
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))
    server_cert = (
        x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_name)
        .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(subject_alternative_names(hosts)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256()))
    key_pem = server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    return (ca_cert.public_bytes(serialization.Encoding.PEM), server_cert.public_bytes(serialization.Encoding.PEM),
            key_pem)


def write_certificates(directory: Path, hosts: list[str], *, now: datetime) -> CertificateFiles:
    """ca.crt, server.crt and server.key (readable by its owner only) in `directory`. The CA's own key is
    not kept: nothing else can be signed with it later."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem, cert_pem, key_pem = make_certificates(hosts, now=now)
    files = CertificateFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    files.ca_cert.write_bytes(ca_pem)
    files.cert.write_bytes(cert_pem)
    files.key.touch(mode=0o600)
    files.key.chmod(0o600)
    files.key.write_bytes(key_pem)
    return files


def caddy_snippet(host: str, files: CertificateFiles | None, app_port: int = 5000) -> str:
    """A Caddyfile site: HTTPS on 443 to the app on localhost (Caddy sets X-Forwarded-For/-Proto/-Host)."""
    tls = f"    tls {files.cert} {files.key}\n" if files else ""
    return f"{host} {{\n{tls}    reverse_proxy 127.0.0.1:{app_port}\n}}\n"


def nginx_snippet(host: str, files: CertificateFiles | None, app_port: int = 5000, upload_mb: int = 20) -> str:
    cert = str(files.cert) if files else f"/etc/letsencrypt/live/{host}/fullchain.pem"
    key = str(files.key) if files else f"/etc/letsencrypt/live/{host}/privkey.pem"
    return (
        "server {\n"
        "    listen 443 ssl;\n"
        f"    server_name {host};\n"
        f"    ssl_certificate     {cert};\n"
        f"    ssl_certificate_key {key};\n"
        f"    client_max_body_size {upload_mb}m;\n"
        "    location / {\n"
        f"        proxy_pass http://127.0.0.1:{app_port};\n"
        "        proxy_set_header Host $host;\n"
        "        proxy_set_header X-Forwarded-For $remote_addr;\n"
        "        proxy_set_header X-Forwarded-Proto https;\n"
        "        proxy_set_header X-Forwarded-Host $host;\n"
        "    }\n"
        "}\n"
        "server {\n"
        "    listen 80;\n"
        f"    server_name {host};\n"
        "    return 301 https://$host$request_uri;\n"
        "}\n"
    )
