"""check_pdf on signed, altered, modified, unsigned and hostile PDFs."""

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tracker.clock import utcnow
from tracker.signatures import demo_ca
from tracker.signatures.validation import Problem, SignatureStatus, check_pdf

from .conftest import asn1, plain_pdf, signed_pdf


def test_signed_pdf_is_valid_with_signer_and_time(ca, signer_cert):
    result = check_pdf(signed_pdf(signer_cert, (ca,)), [asn1(ca)])
    assert result.status is SignatureStatus.valid
    (sig,) = result.signatures
    assert (sig.signer, sig.organisation) == ("Nguyễn Văn An", "VNPT Quảng Trị")
    assert sig.whole_file and sig.trusted
    assert abs(sig.signed_at - utcnow()) < timedelta(minutes=5)


def test_certificate_not_chaining_to_an_anchor_is_untrusted(ca, signer_cert):
    other = demo_ca.make_ca("Another CA")
    assert check_pdf(signed_pdf(signer_cert, (ca,)), [asn1(other)]).status is (
        SignatureStatus.untrusted
    )


def test_bytes_changed_inside_the_signed_range_are_not_valid(ca, signer_cert):
    data = signed_pdf(signer_cert, (ca,))
    at = data.index(b"Bien ban")
    result = check_pdf(data[:at] + b"Xien" + data[at + 4 :], [asn1(ca)])
    assert result.status is SignatureStatus.invalid
    assert result.signatures[0].problem is Problem.altered


def test_content_changed_in_a_later_revision_is_modified(ca, signer_cert):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf(signer_cert, (ca,))))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT 100 500 Td (CHANGED) Tj ET"))
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    assert check_pdf(out.getvalue(), [asn1(ca)]).status is SignatureStatus.modified


def test_a_second_signature_is_no_tampering(ca, signer_cert):
    twice = signed_pdf(signer_cert, (ca,), data=signed_pdf(signer_cert, (ca,)), field="Sig2")
    result = check_pdf(twice, [asn1(ca)])
    assert result.status is SignatureStatus.valid
    assert len(result.signatures) == 2


def test_expired_signer_certificate(ca):
    old = demo_ca.issue(
        ca,
        "Old",
        "Org",
        not_before=utcnow() - timedelta(days=800),
        not_after=utcnow() - timedelta(days=10),
    )
    assert check_pdf(signed_pdf(old, (ca,)), [asn1(ca)]).status is SignatureStatus.expired


def test_unsigned_and_hostile_files(ca, signer_cert):
    signed = signed_pdf(signer_cert, (ca,))
    assert check_pdf(plain_pdf(), [asn1(ca)]).status is SignatureStatus.unsigned
    assert check_pdf(signed[:-300], [asn1(ca)]).status is SignatureStatus.invalid
    garbage = b"%PDF-1.7 garbage \x00\xff"
    assert check_pdf(garbage, [asn1(ca)]).status is SignatureStatus.unsigned
    assert check_pdf(garbage + b"/ByteRange [0 1 2 3]", []).status is SignatureStatus.invalid
    assert check_pdf(b"not a pdf at all", []).status is SignatureStatus.invalid
    wrong_range = signed.replace(b"/ByteRange [0 ", b"/ByteRange [9 ", 1)
    assert wrong_range != signed
    assert check_pdf(wrong_range, [asn1(ca)]).status is SignatureStatus.invalid


def test_signing_and_checking_work_where_an_event_loop_runs(ca, signer_cert):
    """A thread with a running loop (an async worker, a test's browser driver) still signs and
    checks: pyHanko's coroutines then run in a thread of their own."""

    async def inside_a_loop():
        return check_pdf(signed_pdf(signer_cert, (ca,)), [asn1(ca)])

    # In a thread of its own, so the test does not depend on the loop of the browser tests.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(asyncio.run, inside_a_loop()).result()
    assert result.status is SignatureStatus.valid
