"""What the agreement pages ask of the features above them (blinker signals, as indico's
`signals` do). The agreements package must not import progress; the progress package adds its
figures and reports to these pages by connecting to these signals."""

from blinker import Namespace

_signals = Namespace()

#: Sent by the agreement page with the agreement as sender and ``args`` (the query string).
#: Each receiver returns a dict of template variables; an ``http_status`` key sets the page's status
#: code (a bad ``?as_of=`` answers 400 while still showing the page).
agreement_page = _signals.signal("agreement-page")

#: Sent by the commitment page with the commitment as sender and ``user`` (the reader); each
#: receiver returns a dict of template variables. A ``history_entities`` key (pairs of class
#: name and ids, as `tracker.audit.history` takes them) adds records to the page's history.
commitment_page = _signals.signal("commitment-page")


def page_context(signal, sender, **kwargs) -> dict:
    """The template variables every receiver of a page signal adds, merged."""
    context: dict = {}
    for _receiver, values in signal.send(sender, **kwargs):
        context.update(values or {})
    return context


#: Sent by `services.save_agreement` when an agreement's reporting frequency or report deadline
#: days changed, with the agreement as sender and ``changed`` (the names of the changed fields),
#: inside the transaction: the progress package brings the reporting periods in line.
reporting_changed = _signals.signal("reporting-changed")
