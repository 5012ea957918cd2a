"""Patrol submit with one 3 MB photo, against a plain submit on the same machine, in the same run.

    python bench/patrol.py [--database-url URL] [--repeat 20]

The baseline is the same patrol page submitted without a photo (未发现问题): one case started and
committed, as any plain task submit does. The ratio shows what the photo costs (upload, type sniffing,
a full Pillow decode, hashing and storing). Uses a throw-away SQLite file unless a database URL is
given (its tables are dropped first). Nothing here asserts a time: it prints numbers to compare.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402
from sqlalchemy import MetaData, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo import organisation as demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import GridNode, Unit, User  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def photo_of_about(megabytes: float, seed: int) -> bytes:
    """A real JPEG (it must decode) of noise, which compresses badly, grown until it reaches the size."""
    side = 1000
    while True:
        noise = Image.frombytes("RGB", (side, side * 3 // 4), os.urandom(side * (side * 3 // 4) * 3))
        out = io.BytesIO()
        noise.save(out, "JPEG", quality=92, comment=str(seed).encode())
        if out.tell() >= megabytes * 1024 * 1024:
            return out.getvalue()
        side += 200


def timed_posts(client, unit_id: int, repeat: int, photo: bool) -> list[float]:  # noqa: ANN001
    samples = []
    for index in range(repeat):
        page = client.get(f"/patrol/new?unit_id={unit_id}").get_data(as_text=True)
        data = {"csrf_token": CSRF.search(page).group(1), "unit_id": unit_id}
        if photo:
            data.update({"outcome": "hazard", "hazards-0-category": "疏散通道堵塞",
                         "hazards-0-description": "后门通道堆放纸箱", "hazards-0-fixed_on_spot": "no",
                         "hazards-0-photos": (io.BytesIO(photo_of_about(3, index)), "现场.jpg")})
        else:
            data["outcome"] = "none"
        start = time.perf_counter()
        response = client.post("/patrol/new", data=data, content_type="multipart/form-data")
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="firegrid-bench-"))
    url = args.database_url or f"sqlite:///{data_dir / 'bench.db'}"
    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "CHECK_WORKFLOWS": False, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        reflected = MetaData()
        reflected.reflect(bind=db.engine)
        reflected.drop_all(bind=db.engine)
        db.create_all()
        demo.load_demo(db.session, now=app.extensions["firegrid.clock"].now())
        db.session.commit()
        walker = db.session.scalar(select(User).where(User.username == "inspector"))
        unit_id = db.session.scalar(select(Unit.id).join(GridNode).where(GridNode.path.startswith(walker.scope.path))
                                    .order_by(Unit.id).limit(1))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": CSRF.search(page).group(1), "username": "inspector",
                                "password": demo.DEMO_PASSWORD})
    timed_posts(client, unit_id, 2, photo=False)  # warm up: templates, the engine's parsed specs
    plain = timed_posts(client, unit_id, args.repeat, photo=False)
    with_photo = timed_posts(client, unit_id, args.repeat, photo=True)
    print(f"backend: {url.split(':')[0]}")
    print(f"patrol submit, no photo:      {statistics.median(plain):8.1f} ms (median of {args.repeat})")
    print(f"patrol submit, one 3 MB JPEG: {statistics.median(with_photo):8.1f} ms (median of {args.repeat})")
    print(f"ratio photo / plain:          {statistics.median(with_photo) / statistics.median(plain):8.2f}x")


if __name__ == "__main__":
    main()
