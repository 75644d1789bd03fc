"""Feedback as evaluation data: the rows of `../shared/eval/*.jsonl` (DESIGN.md, "Evaluation
data") that `kotae eval` scores, so a change can be gated on real users' questions.

A right passage becomes evidence strings: its sentences, each of which `kotae eval` looks for
in the retrieved chunks (a chunk is small, a passage shown with an answer is several chunks:
no chunk holds a whole passage). A user's confirmation that the documents don't say it
becomes an unanswerable question. Feedback with neither, nor a right answer, says what was
wrong but not what is right, so it cannot score anything and is skipped, with its reason.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from app.conversations import TurnInfo
from app.evaluation import squash
from text.sentences import split_sentences

MIN_EVIDENCE_CHARS = 8  # shorter sentences (headings, "はい。") match passages anywhere
MAX_EVIDENCE_STRINGS = 30


def evidence_strings(text: str) -> list[str]:
    """The sentences of a passage that can stand as evidence, in order, each once; the whole
    text when no sentence is long enough."""
    found: list[str] = []
    seen: set[str] = set()
    for start, end in split_sentences(text):
        sentence = text[start:end].strip()
        key = squash(sentence)
        if len(key) >= MIN_EVIDENCE_CHARS and key not in seen:
            seen.add(key)
            found.append(sentence)
    if not found and squash(text):
        found.append(text.strip())
    return found[:MAX_EVIDENCE_STRINGS]


def _chosen_passage(turn: TurnInfo, chunk_id: int) -> dict[str, Any] | None:
    items = [*turn.response.get("citations", ()), *turn.response.get("passages", ())]
    return next((p for p in items if p.get("chunk_id") == chunk_id), None)


def eval_row(turn: TurnInfo) -> dict[str, Any] | str:
    """The evaluation row of a turn's feedback, or why there is none."""
    feedback = turn.feedback
    assert feedback is not None
    row_id = f"fb{turn.id}"
    if feedback.not_in_documents:
        return {"id": row_id, "q": turn.question, "answerable": False}
    evidence: list[str] = []
    source = ""
    if feedback.right_chunk_id is not None:
        passage = _chosen_passage(turn, feedback.right_chunk_id)
        if passage is not None:
            evidence = evidence_strings(str(passage.get("text", "")))
            source = PurePath(str(passage.get("source", ""))).name
    elif feedback.right_text:
        evidence = evidence_strings(feedback.right_text)
    answer = (feedback.right_answer or "").strip()
    answers = [answer] if answer else []
    if not evidence and not answers:
        rating = {"up": "thumbs up", "down": "thumbs down"}.get(feedback.rating or "", "comment")
        return f"{rating} without a right passage or answer"
    return {
        "id": row_id,
        "q": turn.question,
        "answer_any": answers,
        "evidence": evidence,
        "source": source,
    }


@dataclass
class FeedbackExport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        unanswerable = sum(1 for r in self.rows if r.get("answerable") is False)
        with_evidence = sum(1 for r in self.rows if r.get("evidence"))
        line = (
            f"exported {len(self.rows)} questions ({with_evidence} with evidence,"
            f" {unanswerable} unanswerable)"
        )
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
            line += f"; skipped {self.skipped.total()}: {reasons} (nothing to score them by)"
        return line


def export_feedback(turns: Iterable[TurnInfo]) -> FeedbackExport:
    """Evaluation rows for turns with feedback, oldest question first."""
    export = FeedbackExport()
    for turn in sorted(turns, key=lambda t: t.id):
        row = eval_row(turn)
        if isinstance(row, str):
            export.skipped[row] += 1
        else:
            export.rows.append(row)
    return export
