"""Signing a demo review with a test key: pdfsig says valid and whole; no draft mark."""

from tests.signatures.helpers import (
    LEADER,
    PASSWORD,
    Keys,
    draft,
    last_signature,
    pdfsig,
    pdftotext,
    user,
)
from tracker import storage
from tracker.demo.loader import load_demo
from tracker.reports import signing


def test_a_leader_signs_a_demo_review(app, db, tmp_path):
    load_demo()
    db.session.commit()
    keys = Keys()
    record = draft()
    draft_path = storage.path_for(record.sha256)
    assert "DỰ THẢO" in pdftotext(draft_path) or "DRAFT" in pdftotext(draft_path)
    signing.sign_review(
        record,
        user=user(LEADER),
        key_file=keys.p12(),
        password=PASSWORD,
        seal_key_file=keys.p12(keys.organisation),
        seal_password=PASSWORD,
    )
    db.session.commit()
    assert record.number_text == "1/BC-UBND"
    out = tmp_path / "signed.pdf"
    out.write_bytes(storage.path_for(record.signed_sha256).read_bytes())
    report = pdfsig(out)
    assert report.count("Signature is Valid.") == 3
    assert "Total document signed" in last_signature(report)
    text = pdftotext(out)
    assert "DỰ THẢO" not in text and "DRAFT" not in text
    assert "1/BC-UBND" in text
