"""Patrol submit with one 3 MB photo, against a plain task submit on the same machine, in the same run.

    python bench/patrol.py [--database-url URL] [--repeat 10]

Issue 19 asks that a patrol submit with one 3 MB photo answer in at most twice a plain task submit. The
plain task submit is the 拟稿 step of a 发文 case (notice_issuance), posted by the clerk with its text
fields filled: an ordinary open task of another procedure, completed through the engine and committed.
A second baseline is the same patrol page submitted without a photo (未发现问题), which shows what the
photo alone costs on the request (upload parsing, type sniffing, the structural check, hashing and
storing). The full decode and the watermarked print copy are made afterwards by the background job
(cases.photos); its time per photo is printed too, but it is not part of the submit. The photo is
phone-like: 4000 × 3000 pixels (decode cost scales with pixels), a smooth gradient with mild noise, tuned
to about 3 MB. Each multipart body is encoded before its timer starts, as a browser sends it ready-made:
the timer holds the server's work only. Uses a throw-away SQLite file unless a database URL is given
(its tables are dropped first). Nothing here asserts a time: it prints numbers to compare.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageChops  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402
from werkzeug.test import encode_multipart  # noqa: E402

from bench.bench_app import fresh_schema  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.demo import organisation as demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import EvidencePhoto, GridNode, Unit, User, WorkTask  # noqa: E402
from webapp.services import jobs  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


PHOTO_SIZE = (4000, 3000)  # 12 megapixels, as a phone takes them


def _scene(sigma: float) -> Image.Image:
    """Smooth gradients (sky, walls) with sensor-like noise of strength `sigma`."""
    width, height = PHOTO_SIZE
    channels = (Image.linear_gradient("L").resize(PHOTO_SIZE), Image.linear_gradient("L").rotate(90).resize(PHOTO_SIZE),
                Image.radial_gradient("L").resize(PHOTO_SIZE))
    noise = Image.effect_noise((width, height), sigma).convert("L")
    return ImageChops.add(Image.merge("RGB", channels), Image.merge("RGB", (noise, noise, noise)), offset=-128)


def phone_photo(megabytes: float = 3.0) -> Image.Image:
    """A 12 MP scene whose JPEG (quality 90) is within 5 % of `megabytes`: the noise is bisected to fit."""
    low, high = 0.5, 32.0
    for _ in range(12):
        sigma = (low + high) / 2
        scene = _scene(sigma)
        size = len(jpeg(scene, 0)) / 1024 / 1024
        if abs(size - megabytes) <= 0.05 * megabytes:
            return scene
        low, high = (sigma, high) if size < megabytes else (low, sigma)
    return scene


def jpeg(scene: Image.Image, seed: int) -> bytes:
    """The scene as a JPEG; the seed in its comment makes every upload new bytes (a new file in the store)."""
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=90, comment=str(seed).encode())
    return out.getvalue()


def machine() -> str:
    """CPU model and cores (from /proc/cpuinfo on Linux), to print beside the figures."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                 platform.processor() or platform.machine())
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def time_now(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.clock"].now


def login(app, username: str):  # noqa: ANN001, ANN201
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": CSRF.search(page).group(1), "username": username,
                                "password": demo.DEMO_PASSWORD})
    return client


def timed_posts(client, unit_id: int, repeat: int, scene: Image.Image | None) -> list[float]:  # noqa: ANN001
    samples = []
    for index in range(repeat):
        page = client.get(f"/patrol/new?unit_id={unit_id}").get_data(as_text=True)
        data = {"csrf_token": CSRF.search(page).group(1), "unit_id": unit_id}
        if scene is not None:
            data.update({"outcome": "hazard", "hazards-0-category": "疏散通道堵塞",
                         "hazards-0-description": "后门通道堆放纸箱", "hazards-0-fixed_on_spot": "no",
                         "hazards-0-photos": FileStorage(io.BytesIO(jpeg(scene, index)), "现场.jpg",
                                                         content_type="image/jpeg")})
        else:
            data["outcome"] = "none"
        boundary, body = encode_multipart(data)
        start = time.perf_counter()
        response = client.post("/patrol/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return samples


DRAFT = {
    "kind": "通知", "issuing_body": "town", "direction": "down", "addressees": ["各村（社区）", "镇直各部门"],
    "addressees_other": "", "cc": "", "note": "", "copies": "12", "printer": "党政办公室",
    "body": "为做好冬春火灾防控工作，现通知如下：\n一、排查隐患\n（一）入户检查\n1.逐户建立台账。\n请遵照执行。",
}


def timed_task_submits(app, client, repeat: int) -> list[float]:  # noqa: ANN001
    """The plain task submit: a 发文 case is started (not timed), its 拟稿 form opened, then posted filled."""
    samples = []
    for index in range(repeat):
        title = f"关于开展冬春火灾防控工作的通知（{index}）"
        page = client.get("/procedures/notice_issuance/start").get_data(as_text=True)
        started = client.post("/procedures/notice_issuance/start",
                              data={"csrf_token": CSRF.search(page).group(1), "kind": "通知", "title": title})
        assert started.status_code == 302, started.get_data(as_text=True)[:1000]
        with app.app_context():
            task_id = db.session.scalar(select(func.max(WorkTask.id)).where(WorkTask.title == "拟稿"))
        page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
        data = {**DRAFT, "title": title, "csrf_token": CSRF.search(page).group(1)}
        start = time.perf_counter()
        response = client.post(f"/tasks/{task_id}", data=data)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = args.database_url or f"sqlite:///{data_dir / 'bench.db'}"
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "CHECK_WORKFLOWS": False, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        fresh_schema()
        demo.load_demo(db.session, now=app.extensions["firegrid.clock"].now())
        db.session.commit()
        walker = db.session.scalar(select(User).where(User.username == "inspector"))
        unit_id = db.session.scalar(select(Unit.id).join(GridNode).where(GridNode.path.startswith(walker.scope.path))
                                    .order_by(Unit.id).limit(1))
    scene = phone_photo(3.0)
    walker, clerk = login(app, "inspector"), login(app, "clerk")
    timed_posts(walker, unit_id, 2, None)  # warm up: templates, the engine's parsed specs, the CJK font
    timed_posts(walker, unit_id, 1, scene)
    timed_task_submits(app, clerk, 2)
    task = statistics.median(timed_task_submits(app, clerk, args.repeat))
    no_photo = statistics.median(timed_posts(walker, unit_id, args.repeat, None))
    with_photo = statistics.median(timed_posts(walker, unit_id, args.repeat, scene))
    with app.app_context():  # the background job the photo submits queued: decode and watermark, per photo
        waiting = db.session.scalar(select(func.count(EvidencePhoto.id)).where(EvidencePhoto.status == "pending"))
        start = time.perf_counter()
        jobs.run_due_jobs(db.session, app.extensions["firegrid.runtime"], worker="bench", clock=time_now(app))
        job_ms = (time.perf_counter() - start) * 1000 / max(waiting, 1)
    print(f"machine: {machine()}")
    print(f"backend: {url.split(':')[0]}; photo {PHOTO_SIZE[0]} × {PHOTO_SIZE[1]}, "
          f"{len(jpeg(scene, 0)) / 1024 / 1024:.2f} MB JPEG; medians of {args.repeat}")
    print(f"patrol submit, one 3 MB JPEG:      {with_photo:8.1f} ms")
    print(f"plain task submit (发文 拟稿):       {task:8.1f} ms")
    print(f"patrol submit, no photo:           {no_photo:8.1f} ms")
    print(f"ratio photo / plain task submit:   {with_photo / task:8.2f}x  (issue 19: at most 2x)")
    print(f"ratio photo / patrol without photo:{with_photo / no_photo:8.2f}x")
    print(f"background job, per photo:         {job_ms:8.1f} ms  (decode + watermarked copy, after the submit)")


if __name__ == "__main__":
    main()
