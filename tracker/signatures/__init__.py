"""Digital signatures on PDFs: signing the reviews (PAdES, Decree 30/2020 Appendix I) and checking
the signatures of the PDFs people upload. See docs/signing.md."""
