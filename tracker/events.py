"""What happened, for whoever must hear of it (blinker signals, as indico's `signals` do).

The services that change a record send these signals inside their transaction, after the change
is flushed; the receivers (notifications, watchers) add their own rows to the same session, so an
event and its notifications commit or roll back together. Nothing here may send e-mail or talk to
another server: delivery happens after the commit, through the job queue.

Every signal's sender is the record; ``actor`` is the user who acted (None for the system)."""

from blinker import Namespace

_signals = Namespace()

#: A progress report was submitted for verification. Sender: the ProgressReport.
report_submitted = _signals.signal("report-submitted")

#: A verifier returned a report. Sender: the ProgressReport; ``reason`` is the overall reason and
#: ``field_notes`` the comments per indicator or milestone ({("indicator", id): text, ...}).
report_returned = _signals.signal("report-returned")

#: A verifier verified a report (its figures became official). Sender: the ProgressReport.
report_verified = _signals.signal("report-verified")

#: An extension of a report deadline was requested. Sender: the Extension.
extension_requested = _signals.signal("extension-requested")

#: An extension request was approved or refused. Sender: the Extension.
extension_decided = _signals.signal("extension-decided")

#: A leadership directive was recorded or (re)assigned. Sender: the Directive; ``created`` is True
#: for a new directive, ``assigned_changed`` when its assigned unit changed.
directive_recorded = _signals.signal("directive-recorded")

#: A comment was posted or edited. Sender: the Comment; ``edited`` is True for an edit;
#: ``mentioned_users`` and ``mentioned_units`` are the people and units it @mentions (new ones
#: only, for an edit).
comment_posted = _signals.signal("comment-posted")

#: Someone asked the units that have not reported for a period to do so ("Nhắc nộp báo cáo").
#: Sender: the ReportingPeriod; ``commitments`` lists the commitments still without a submitted
#: report. Receivers return the number of people notified.
submission_reminder = _signals.signal("submission-reminder")

#: Records came back from the recycle bin (re-inserted as they were, so no ORM hook saw them;
#: e.g. a search index adds them again). Sender: the TrashItem; ``rows`` lists the restored rows
#: as (table name, id).
records_restored = _signals.signal("records-restored")

#: A trust anchor (a CA certificate signatures may chain to) was added or removed. Sender: the
#: TrustAnchor. Storage checks again the stored PDFs that carry signatures.
trust_anchors_changed = _signals.signal("trust-anchors-changed")
