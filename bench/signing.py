"""Benchmark of signing the largest review.

    python bench/signing.py --db /tmp/bench.sqlite3 [--code B2021-AN-GIANG] [--runs 3]

Renders the review as for signing (no draft mark; `Marks(draft=False)` records where the
signatures go), then prints the median of `--runs` timings of: rendering it, signing it PAdES
B-B (the leader's signature image, as `tracker.reports.signing` does), signing it B-T against a
local RFC 3161 authority (tests/signatures/tsa.py, on 127.0.0.1, so the network is not
measured), and checking the signed file with `tracker.signatures.validation.check_pdf`; and the
sizes of the unsigned and signed files. Keys come from a test CA made for the run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(runs: int, action):
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file made by bench/make_data.py")
    parser.add_argument("--database-url", help="any SQLAlchemy URL instead of --db")
    parser.add_argument("--code", default="B2021-AN-GIANG")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{Path(args.db).resolve()}"

    import sqlalchemy as sa

    from tests.signatures import tsa
    from tracker import create_app
    from tracker.agreements.models import Agreement
    from tracker.extensions import db
    from tracker.reports import services
    from tracker.reports.pdf.five_year import Marks, ReviewOptions
    from tracker.reports.pdf.fonts import SERIF
    from tracker.signatures import appearance, demo_ca, demo_images, keys, pades
    from tracker.signatures.validation import check_pdf

    ca = demo_ca.make_ca()
    leader = keys.load_pkcs12(
        demo_ca.pkcs12_bytes(demo_ca.issue(ca, "Nguyễn Văn Bench", "UBND tỉnh"), b"x", (ca,)),
        "x",
    )
    signature_png = demo_images.signature_png()

    app = create_app()
    with app.app_context():
        agreement = db.session.scalar(sa.select(Agreement).where(Agreement.code == args.code))
        start, end = agreement.period_start, agreement.period_end
        options = ReviewOptions(issued_on=end, number="1/BC-UBND", signer_name="Nguyễn Văn Bench")

        def render():
            db.session.expire_all()
            marks = Marks(draft=False)
            pdf, pages, _fingerprint = services.render_review(
                agreement, options, start, end, marks=marks
            )
            return pdf, pages, marks

        render()  # warm up: fonts, imports
        t_render, (pdf, pages, marks) = median_time(args.runs, render)
        page, space = marks.slots["signature"]
        box, _seal = appearance.signature_block_boxes(space, 36)
        slot = pades.Slot(page, box)
        field = pades.Field(
            "Signature1",
            slot,
            appearance.image_appearance(
                slot.width, slot.height, png=signature_png, font=SERIF, fallback_lines=[]
            ),
        )
        t_bb, signed_bb = median_time(args.runs, lambda: pades.sign(pdf, leader, field))
        with tsa.serve(ca) as server:
            t_bt, signed_bt = median_time(
                args.runs, lambda: pades.sign(pdf, leader, field, timestamp_url=server.url)
            )
        anchors = [keys.to_asn1(ca.certificate)]
        t_check, result = median_time(args.runs, lambda: check_pdf(signed_bt, anchors))

    detail = result.signatures[0]
    print(f"agreement {args.code}: {pages} pages, median of {args.runs} runs")
    print(f"  render (signed layout)   {t_render:7.2f} s   {len(pdf) / 1e6:7.2f} MB")
    print(f"  sign B-B                 {t_bb:7.2f} s   {len(signed_bb) / 1e6:7.2f} MB")
    print(f"  sign B-T (local TSA)     {t_bt:7.2f} s   {len(signed_bt) / 1e6:7.2f} MB")
    print(
        f"  check_pdf (B-T file)     {t_check:7.2f} s   {result.status.value}, "
        f"timestamped={detail.timestamped}, whole_file={detail.whole_file}"
    )


if __name__ == "__main__":
    main()
