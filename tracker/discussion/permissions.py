"""Who may read and write a thread: exactly those who may read its record (the rules of
tracker/agreements/permissions.py, which the report and directive pages apply too)."""

from tracker.agreements.permissions import can_view_agreement


def agreement_of(subject):
    """The agreement a report, commitment or directive belongs to."""
    commitment = getattr(subject, "commitment", None)
    return commitment.agreement if commitment is not None else subject.agreement


def can_view_thread(user, subject) -> bool:
    """The thread of a record is visible to whoever may read the record."""
    return can_view_agreement(user, agreement_of(subject))


def can_comment(user, subject) -> bool:
    """Whoever may read a record may take part in its discussion."""
    return can_view_thread(user, subject)


def can_edit_comment(user, comment) -> bool:
    """Only the author edits a comment (nobody else may change or delete it)."""
    return can_view_thread(user, comment.subject) and comment.author_id == user.id
