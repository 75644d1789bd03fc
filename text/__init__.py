"""Text rules shared by every stage: normalization, sentence spans, lexical features, pages.

Ingest (chunking), the query side, the generator (extraction, citation checks) and the app
(citation highlights) must cut and compare text by the same rules, or a highlight drifts from
the quote. The rules live in this package of their own, not in one of those four, because the
generator must not import ingest; it is stdlib only and imports nothing else of ours.
"""
