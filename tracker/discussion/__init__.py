"""Discussion on the record: comment threads on reports, commitments and directives."""
