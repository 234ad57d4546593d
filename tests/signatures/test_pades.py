"""PAdES signing with a key in memory and external signing (prepare, then finish with a CMS made
outside pyHanko's PdfSigner): what poppler's pdfsig and pyHanko's validation say about
the signed file (valid, SHA-256, the whole document), one signature after another, a demo
review signed in its Decree 30 places, and B-T with a local timestamp authority."""

import hashlib
import io

import pytest
from asn1crypto import cms
from flask_babel import force_locale
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen.canvas import Canvas

from tests.signatures import tsa
from tests.signatures.helpers import pdfsig, signed_demo_review
from tracker.demo.loader import load_demo
from tracker.reports.pdf.fonts import SERIF
from tracker.signatures import aio, appearance, demo_ca, demo_images, keys, pades
from tracker.signatures.keys import to_asn1
from tracker.signatures.validation import SignatureStatus, check_pdf


@pytest.fixture(scope="module")
def timestamp_server(test_keys):
    with tsa.serve(test_keys.ca) as server:
        yield server


def reportlab_pdf(pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for n in range(pages):
        canvas.setFont(SERIF, 12)
        canvas.drawString(72, 760, f"Báo cáo sơ kết năm năm — trang {n + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def leader_field(png=None) -> pades.Field:
    slot = pades.Slot(0, (320, 480, 476, 560))
    return pades.Field(
        "Signature1",
        slot,
        appearance.image_appearance(
            slot.width,
            slot.height,
            png=png,
            font=SERIF,
            fallback_lines=["Ký số bởi", "Nguyễn Quốc Hưng"],
        ),
        reason="Ký báo cáo",
    )


def stamp_field(text="12/BC-UBND, 14:03:27, 05/01/2026, +07:00", page=1) -> pades.Field:
    box = appearance.stamp_box((72, 770, 540, 790), text, SERIF)
    return pades.Field(
        "Appendix1", pades.Slot(page, box), appearance.stamp_appearance(text, font=SERIF)
    )


def written(tmp_path, data: bytes, name="signed.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def signatures(report: str) -> list[str]:
    return report.split("Signature #")[1:]


def test_a_reportlab_pdf_signed_b_b_is_valid_whole_and_sha256(tmp_path, test_keys, leader):
    signed = pades.sign(reportlab_pdf(), leader, leader_field())
    (sig,) = signatures(pdfsig(written(tmp_path, signed)))
    assert "Signature is Valid." in sig
    assert "Total document signed" in sig
    assert "Signing Hash Algorithm: SHA-256" in sig
    assert "Signature Type: ETSI.CAdES.detached" in sig  # PAdES
    assert "Signer Certificate Common Name: Nguyễn Quốc Hưng" in sig

    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    (detail,) = result.signatures
    assert detail.field == "Signature1"
    assert (detail.signer, detail.organisation) == ("Nguyễn Quốc Hưng", "UBND tỉnh Quảng Trị")
    assert detail.whole_file and detail.trusted
    assert not detail.timestamped  # B-B: no timestamp authority configured


def test_two_signatures_in_sequence_are_both_valid_and_the_last_covers_all(
    tmp_path, test_keys, leader, organisation
):
    once = pades.sign(reportlab_pdf(), leader, leader_field(demo_images.signature_png()))
    twice = pades.sign(once, organisation, stamp_field())
    assert twice.startswith(once)  # an incremental update: the first signature's bytes stay

    first, last = signatures(pdfsig(written(tmp_path, twice)))
    assert "Signature is Valid." in first and "Signature is Valid." in last
    assert "Total document signed" not in first
    assert "Total document signed" in last
    assert "Signer Certificate Common Name: Ủy ban nhân dân tỉnh Quảng Trị" in last

    result = check_pdf(twice, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    assert [s.field for s in result.signatures] == ["Signature1", "Appendix1"]
    assert [s.status for s in result.signatures] == [SignatureStatus.valid] * 2
    assert [s.whole_file for s in result.signatures] == [False, True]


def test_a_demo_review_signed_by_the_leader_and_the_organisation(
    app, db, tmp_path, test_keys, leader, organisation
):
    load_demo()
    db.session.commit()
    signed, pages, marks = signed_demo_review(leader, organisation)
    assert pages > 1 and marks.slots["appendix"][0] > marks.slots["signature"][0]
    report = signatures(pdfsig(written(tmp_path, signed)))
    assert len(report) == 3
    assert all("Signature is Valid." in s for s in report)
    assert "Total document signed" in report[-1]
    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    assert [s.field for s in result.signatures] == ["Signature1", "Seal1", "Appendix1"]
    assert result.signatures[-1].whole_file


def test_b_t_signature_carries_a_timestamp_of_the_authority(
    tmp_path, test_keys, leader, timestamp_server
):
    asked = len(timestamp_server.requests)
    signed = pades.sign(reportlab_pdf(), leader, leader_field(), timestamp_url=timestamp_server.url)
    assert len(timestamp_server.requests) > asked  # the token came over HTTP from the authority

    (sig,) = signatures(pdfsig(written(tmp_path, signed)))
    assert "Signature is Valid." in sig and "Total document signed" in sig

    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    (detail,) = result.signatures
    assert detail.timestamped and detail.whole_file


def test_b_t_of_every_signature_of_a_demo_review(
    app, db, tmp_path, test_keys, leader, organisation, timestamp_server
):
    load_demo()
    db.session.commit()
    signed, _pages, _marks = signed_demo_review(
        leader, organisation, timestamp_url=timestamp_server.url
    )
    report = signatures(pdfsig(written(tmp_path, signed)))
    assert len(report) == 3 and all("Signature is Valid." in s for s in report)
    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    assert all(s.timestamped for s in result.signatures)


def test_an_unreachable_timestamp_authority_refuses_in_vietnamese(app, leader):
    url = tsa.unreachable_url()
    with force_locale("vi"), pytest.raises(pades.TimestampFailed) as refused:
        pades.sign(reportlab_pdf(), leader, leader_field(), timestamp_url=url)
    assert isinstance(refused.value, keys.CertificateRefused)
    assert refused.value.message == (
        f"Máy chủ cấp dấu thời gian ({url}) không trả lời hoặc từ chối yêu cầu: văn bản chưa "
        "ký. Hãy thử lại sau hoặc hỏi quản trị viên."
    )


def test_a_timestamp_authority_out_of_service_refuses_too(app, test_keys, leader):
    with (
        tsa.serve(test_keys.ca, out_of_service=True) as server,
        force_locale("vi"),
        pytest.raises(pades.TimestampFailed) as refused,
    ):
        pades.sign(reportlab_pdf(), leader, leader_field(), timestamp_url=server.url)
    assert refused.value.message.startswith(f"Máy chủ cấp dấu thời gian ({server.url})")


# -- external signing (a USB token, a remote signing service) ---------------------------------


def external_cms(issued, digest: bytes, *, timestamper=None) -> bytes:
    """What a token or a signing service returns: a CMS SignedData over `digest`, made outside
    pyHanko's PdfSigner with the signer's own key (here a demo_ca one)."""
    signer = signers.SimpleSigner(
        signing_cert=to_asn1(issued.certificate),
        signing_key=load_private_key_from_pemder_data(issued.key_pem, None),
        cert_registry=SimpleCertificateStore.from_certs([]),
    )
    content_info = aio.run(
        signer.async_sign(digest, "sha256", use_pades=True, timestamper=timestamper)
    )
    return content_info.dump()


def prepared_for(test_keys, issued=None) -> pades.Prepared:
    issued = issued or test_keys.leader
    return pades.prepare(
        reportlab_pdf(), issued.certificate, leader_field(), chain=[test_keys.ca.certificate]
    )


def test_external_signing_round_trip(tmp_path, test_keys):
    prepared = prepared_for(test_keys)
    assert len(prepared.digest) == 32  # SHA-256 of the document's byte range
    assert prepared.start < prepared.end <= len(prepared.pdf)
    cms_der = external_cms(test_keys.leader, prepared.digest)
    signed = pades.finish(prepared, cms_der, test_keys.leader.certificate)

    (sig,) = signatures(pdfsig(written(tmp_path, signed)))
    assert "Signature is Valid." in sig and "Total document signed" in sig
    assert "Signing Hash Algorithm: SHA-256" in sig
    assert "Signer Certificate Common Name: Nguyễn Quốc Hưng" in sig
    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    assert result.signatures[0].whole_file and not result.signatures[0].timestamped


def test_external_signing_b_t_with_the_authority(tmp_path, test_keys, timestamp_server):
    prepared = prepared_for(test_keys)
    cms_der = external_cms(test_keys.leader, prepared.digest)
    asked = len(timestamp_server.requests)
    signed = pades.finish(
        prepared, cms_der, test_keys.leader.certificate, timestamp_url=timestamp_server.url
    )
    assert len(timestamp_server.requests) == asked + 1
    (sig,) = signatures(pdfsig(written(tmp_path, signed)))
    assert "Signature is Valid." in sig and "Total document signed" in sig
    result = check_pdf(signed, [to_asn1(test_keys.ca.certificate)])
    assert result.status is SignatureStatus.valid
    assert result.signatures[0].timestamped


def finish_refused(prepared, cms_der, certificate, **options) -> str:
    with force_locale("vi"), pytest.raises(keys.CertificateRefused) as refused:
        pades.finish(prepared, cms_der, certificate, **options)
    assert refused.value.field == "cms" or isinstance(refused.value, pades.TimestampFailed)
    return refused.value.message


def test_external_signing_refusals(app, test_keys):
    prepared = prepared_for(test_keys)
    leader = test_keys.leader
    by_another = external_cms(test_keys.organisation, prepared.digest)
    assert finish_refused(prepared, by_another, leader.certificate) == (
        "CMS được ký bằng chứng thư số khác với chứng thư số đã dùng để chuẩn bị văn bản."
    )
    other_digest = external_cms(leader, hashlib.sha256(b"another document").digest())
    assert finish_refused(prepared, other_digest, leader.certificate) == (
        "CMS ký một giá trị băm khác với giá trị băm của văn bản đã chuẩn bị."
    )
    for garbage in (b"", "rác".encode() + b"\x00\xff", b"\x30\x03\x02\x01\x05", reportlab_pdf()):
        assert finish_refused(prepared, garbage, leader.certificate) == (
            "Chữ ký không phải CMS SignedData (DER, base64)."
        )
    # A genuine CMS padded with certificates until it no longer fits the reserved space.
    content_info = cms.ContentInfo.load(external_cms(leader, prepared.digest))
    extra = to_asn1(demo_ca.issue(test_keys.ca, "Thêm").certificate)
    certificates = (
        list(content_info["content"]["certificates"])
        + [cms.CertificateChoices(name="certificate", value=extra)] * 20
    )
    content_info["content"]["certificates"] = cms.CertificateSet(certificates)
    too_large = content_info.dump(force=True)
    assert len(too_large) * 2 > prepared.end - prepared.start
    assert finish_refused(prepared, too_large, leader.certificate) == "CMS quá lớn."
    # The signer's certificate named in the CMS but the signature value broken.
    content_info = cms.ContentInfo.load(external_cms(leader, prepared.digest))
    info = content_info["content"]["signer_infos"][0]
    value = bytearray(info["signature"].native)
    value[10] ^= 0xFF
    info["signature"] = bytes(value)
    assert finish_refused(prepared, content_info.dump(force=True), leader.certificate) == (
        "Chữ ký trong CMS không khớp với văn bản."
    )
    # Two signer infos in one CMS.
    content_info = cms.ContentInfo.load(external_cms(leader, prepared.digest))
    info = content_info["content"]["signer_infos"][0]
    content_info["content"]["signer_infos"] = cms.SignerInfos([info, info])
    assert finish_refused(prepared, content_info.dump(force=True), leader.certificate) == (
        "CMS phải chứa đúng một chữ ký."
    )
    # The authority unreachable: nothing signed either.
    good = external_cms(leader, prepared.digest)
    message = finish_refused(
        prepared, good, leader.certificate, timestamp_url=tsa.unreachable_url()
    )
    assert message.startswith("Máy chủ cấp dấu thời gian")
    # After all those refusals the prepared document still takes the right CMS.
    assert b"/ByteRange" in pades.finish(prepared, good, leader.certificate)
