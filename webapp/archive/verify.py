"""`firegrid archive verify F.zip`: unzip, validate the bag fully, re-check the files and the report.

Full BagIt validation re-hashes every payload file, so a same-size change is caught (a "fast"
validation, which compares only Payload-Oxum, would not be). Every bad file is named.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import bagit

from webapp.archive.metadata import is_pdfa
from webapp.archive.report import REPORT_JSON
from webapp.documents.inspection import copy_hashed, inspect_file
from webapp.documents.pdfa import check_pdfa

_NOT_INSPECTED = {".json", ".xml", ".txt"}
_OPENED_FILES = {".docx", ".xlsx", ".pdf"}  # at the top of data/: the catalogue


@dataclass
class VerifyResult:
    problems: list[str] = field(default_factory=list)  # each names a bad file: non-zero exit
    warnings: list[str] = field(default_factory=list)  # what the export's own report recorded
    items: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(path: Path) -> VerifyResult:
    result = VerifyResult()
    with tempfile.TemporaryDirectory(prefix="firegrid-verify-") as work:
        root = _extract(Path(path), Path(work), result)
        if root is None:
            return result
        _validate_bag(root, result)
        _check_files(root / "data", result)
        _check_report(root / "data", result)
    return result


def _extract(path: Path, target: Path, result: VerifyResult) -> Path | None:
    """Unpack member by member: a member whose zip checksum fails is named and skipped."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        result.problems.append(f"{path.name}：不是有效的 zip 文件（{error}）")
        return None
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                result.problems.append(f"{info.filename}：路径不安全，已跳过")
                continue
            if info.is_dir():
                continue
            _extract_member(archive, info, target / name, result)
    roots = [p.parent for p in target.rglob("bagit.txt") if len(p.relative_to(target).parts) <= 2]
    if len(roots) != 1:
        result.problems.append("bagit.txt：包内找不到唯一的 BagIt 包")
        return None
    return roots[0]


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, result: VerifyResult) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(info) as stream:
            copy_hashed(stream, target)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        result.problems.append(f"{info.filename}：zip 校验失败（{error}）")


def _validate_bag(root: Path, result: VerifyResult) -> None:
    try:
        bag = bagit.Bag(str(root))
        bag.validate(processes=1, completeness_only=False, fast=False)
    except bagit.BagValidationError as error:
        details = error.details or []
        for detail in details:
            name = getattr(detail, "path", "") or ""
            result.problems.append(f"{name}：{_describe(detail)}")
        if not details:
            result.problems.append(f"{root.name}：BagIt 校验失败（{error.message}）")
    except bagit.BagError as error:
        result.problems.append(f"{root.name}：不是有效的 BagIt 包（{error}）")


def _describe(detail: bagit.BagValidationError) -> str:
    if isinstance(detail, bagit.ChecksumMismatch):
        return f"内容被改动（{detail.algorithm} 摘要不符）"
    if isinstance(detail, bagit.FileMissing):
        return "清单中登记的文件缺失"
    if isinstance(detail, bagit.UnexpectedFile):
        return "文件未登记在清单中"
    return str(detail)


def _check_files(data: Path, result: VerifyResult) -> None:
    """The catalogue opens; every item folder: metadata parses, listed files exist with their sizes, files open
    safely, and a file described as PDF/A passes the PDF/A check."""
    for path in sorted(data.iterdir()) if data.is_dir() else []:
        if path.is_file() and path.suffix.lower() in _OPENED_FILES:
            _check_opens(path, f"data/{path.name}", result)
    for folder in sorted(p for p in data.iterdir() if p.is_dir()) if data.is_dir() else []:
        result.items += 1
        metadata_path = folder / "元数据.json"
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            result.problems.append(f"data/{folder.name}/元数据.json：无法读取（{error}）")
            continue
        for entry in metadata.get("电子文件", []):
            _check_entry(folder, entry, result)


def _check_entry(folder: Path, entry: dict, result: VerifyResult) -> None:
    path = folder / entry.get("计算机文件名", "")
    label = f"data/{folder.name}/{path.name}"
    if not path.is_file():
        result.problems.append(f"{label}：元数据登记的文件缺失")
        return
    if path.stat().st_size != entry.get("计算机文件大小"):
        result.problems.append(f"{label}：大小与元数据不符")
    if path.suffix.lower() in _NOT_INSPECTED:
        return
    _check_opens(path, label, result)
    claimed = str(entry.get("格式信息", ""))
    if is_pdfa(claimed):
        check = check_pdfa(path)
        if not check.passed:
            result.problems.append(f"{label}：著录为 {claimed}，但未通过 PDF/A 检查（{'；'.join(check.problems)}）")


def _check_opens(path: Path, label: str, result: VerifyResult) -> None:
    inspection = inspect_file(path, thorough=True)
    if not inspection.opens:
        result.problems.append(f"{label}：{inspection.problem}")
    if inspection.unsafe:
        result.problems.append(f"{label}：{inspection.unsafe}")


def _check_report(data: Path, result: VerifyResult) -> None:
    try:
        report = json.loads((data / REPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        result.problems.append(f"data/{REPORT_JSON}：缺失或无法读取（{error}）")
        return
    if report.get("统计", {}).get("items") != result.items:
        result.problems.append(f"data/{REPORT_JSON}：报告件数与包内件数（{result.items}）不符")
    for label, outcome in report.get("检测项", {}).items():
        result.warnings.extend(f"导出时{label}检测：{problem}" for problem in outcome.get("问题", []))
