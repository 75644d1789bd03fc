"""Conversations and feedback in SQL, on a real SQLite file and a real PostgreSQL: scoping by
owner, paging and title search, concurrent appends, cascades, and the evaluation rows."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.conversation_tables import FeedbackRow, TurnRow
from app.conversations import ConversationStore, NewTurn, default_title
from app.errors import BadRequestError, ConflictError, NotFoundError
from app.feedback import FeedbackInput, FeedbackStore
from app.feedback_export import evidence_strings, export_feedback
from retriever.sql import make_engine

pytestmark = pytest.mark.integration

PASSAGE = "祭りでは約3200発の花火が打ち上げられます。会場の入場料は無料です。\n概要\n"


def turn(question: str, collection: str | None = None) -> NewTurn:
    passage = {"chunk_id": 7, "document_id": 1, "source": "docs/matsuri.txt", "text": PASSAGE}
    response = {"answer": "3200発です。[1]", "citations": [passage], "passages": [passage]}
    return NewTurn(question, response, collection, 5, "extractive", "extractive", {"top_k": 5})


@pytest.fixture
def stores(migrated_url):
    engine = make_engine(migrated_url)
    yield ConversationStore(engine), FeedbackStore(engine), engine
    engine.dispose()


def test_a_conversation_belongs_to_its_owner_only(stores):
    conversations, feedback, _ = stores
    cid, tid = conversations.append("alice", None, turn("  花火は\n何発？  "))
    assert conversations.get("alice", cid).title == "花火は 何発？"
    for attempt in (
        lambda: conversations.get("bob", cid),
        lambda: conversations.turns("bob", cid, 0, 10),
        lambda: conversations.rename("bob", cid, "mine"),
        lambda: conversations.delete("bob", cid),
        lambda: conversations.append("bob", cid, turn("x")),
        lambda: feedback.set("bob", cid, tid, FeedbackInput(rating="up")),
        lambda: feedback.get("alice", cid, tid),  # none given yet
        lambda: conversations.get("alice", "0" * 32),
    ):
        with pytest.raises(NotFoundError):
            attempt()
    assert conversations.find("bob", None, 0, 10) == ([], 0)
    nul = NewTurn("a\x00b", {"query": "a\x00b"}, None, 5, "extractive", "extractive", {})
    conversations.append("alice", cid, nul)  # PostgreSQL text cannot hold NUL, its json can
    assert conversations.turns("alice", cid, 1, 1)[0].question == "ab"
    assert len(conversations.turns("alice", cid, 0, 10)) == 2


def test_newest_first_paged_and_searched_by_title_literally(stores):
    conversations, _, _ = stores
    ids = [conversations.create("me", title).id for title in ("100% sure", "a_b", "abc", "x")]
    conversations.append("me", ids[0], turn("later"))  # activity moves it to the top
    found, total = conversations.find("me", None, 0, 2)
    assert total == 4 and [c.id for c in found] == [ids[0], ids[3]]
    assert [c.turns for c in found] == [1, 0]
    assert [c.id for c in conversations.find("me", None, 2, 2)[0]] == [ids[2], ids[1]]
    # LIKE's wildcards are plain characters in a search
    assert [c.title for c in conversations.find("me", "%", 0, 10)[0]] == ["100% sure"]
    assert [c.title for c in conversations.find("me", "_", 0, 10)[0]] == ["a_b"]
    assert [c.title for c in conversations.find("me", "AB", 0, 10)[0]] == ["abc"]


def test_a_renamed_title_stays_and_a_long_question_is_cut(stores):
    conversations, _, _ = stores
    info = conversations.create("me")
    assert info.title == ""
    conversations.rename("me", info.id, "My notes")
    conversations.append("me", info.id, turn("a question"))
    assert conversations.get("me", info.id).title == "My notes"
    long = default_title("あ" * 500)
    assert len(long) == 80 and long.endswith("…")


def test_concurrent_appends_each_get_their_turn(stores):
    conversations, _, _ = stores
    cid = conversations.create("me").id
    made: list[int] = []
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        try:
            made.append(conversations.append("me", cid, turn(f"question {n}"))[1])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    turns = conversations.turns("me", cid, 0, 100)
    assert len(set(made)) == 8 and sorted(made) == [t.id for t in turns]
    assert conversations.get("me", cid).turns == 8
    assert conversations.get("me", cid).title.startswith("question ")


def test_concurrent_replacements_of_one_turn_leave_one_answer(stores):
    """Two regenerates of the last answer at once: one replaces it, the other finds it gone
    (or no longer last) and changes nothing; appends meanwhile keep their turns."""
    conversations, feedback, _ = stores
    cid, first = conversations.append("me", None, turn("q1"))
    last = conversations.append("me", cid, turn("q2"))[1]
    feedback.set("me", cid, last, FeedbackInput(rating="down"))
    outcomes: list[object] = []

    def replace(n: int) -> None:
        try:
            outcomes.append(conversations.append("me", cid, turn(f"again {n}"), last)[1])
        except (NotFoundError, ConflictError) as e:
            outcomes.append(type(e))

    threads = [threading.Thread(target=replace, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == 6 and len(won) == 1, outcomes
    assert [t.id for t in conversations.turns("me", cid, 0, 10)] == [first, won[0]]
    assert feedback.find("me") == ([], 0)
    with pytest.raises(ConflictError, match="not the last"):
        conversations.append("me", cid, turn("x"), first)
    with pytest.raises(NotFoundError):
        conversations.append("other", cid, turn("x"), won[0])
    assert [t.id for t in conversations.turns("me", cid, 0, 10)] == [first, won[0]]


def test_deleting_a_conversation_deletes_its_turns_and_feedback(stores):
    conversations, feedback, engine = stores
    cid, tid = conversations.append("me", None, turn("q"))
    feedback.set("me", cid, tid, FeedbackInput(rating="down", comment="wrong"))
    conversations.delete("me", cid)
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(TurnRow)) == 0
        assert c.scalar(select(func.count()).select_from(FeedbackRow)) == 0
    assert feedback.find(None) == ([], 0)


def test_feedback_names_one_of_the_turns_passages_and_is_replaced(stores):
    conversations, feedback, _ = stores
    cid, tid = conversations.append("me", None, turn("花火は何発？", collection="town"))
    with pytest.raises(BadRequestError, match="not one of the passages"):
        feedback.set("me", cid, tid, FeedbackInput(right_chunk_id=8))
    feedback.set("me", cid, tid, FeedbackInput(rating="down", right_chunk_id=7))
    saved = feedback.set("me", cid, tid, FeedbackInput(rating="up", comment="ok\x00!"))
    assert saved.feedback is not None
    assert (saved.feedback.rating, saved.feedback.right_chunk_id) == ("up", None)
    assert saved.feedback.comment == "ok!"  # PostgreSQL text cannot hold NUL
    assert feedback.find("me", collection="town")[1] == 1
    assert feedback.find("me", collection="other")[1] == 0
    assert feedback.find("someone else")[1] == 0
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert feedback.find("me", since=tomorrow)[1] == 0
    assert feedback.find("me", since=tomorrow - timedelta(days=2))[1] == 1


def test_export_rows_follow_the_evaluation_format(stores):
    conversations, feedback, _ = stores
    given = [
        FeedbackInput(rating="down", right_chunk_id=7, right_answer=" 3200 "),
        FeedbackInput(right_text="Pasted: the library opened in 1987."),
        FeedbackInput(rating="down", not_in_documents=True),
        FeedbackInput(rating="down", comment="wrong"),
        FeedbackInput(rating="up"),
    ]
    for n, item in enumerate(given):
        cid, tid = conversations.append("me", None, turn(f"q{n}"))
        feedback.set("me", cid, tid, item)
    exported = export_feedback(feedback.find(None)[0])
    first, second, third = exported.rows
    assert first == {
        "id": first["id"],
        "q": "q0",
        "answer_any": ["3200"],
        "evidence": ["祭りでは約3200発の花火が打ち上げられます。", "会場の入場料は無料です。"],
        "source": "matsuri.txt",
    }
    assert second["evidence"] == ["Pasted: the library opened in 1987."]
    assert second["answer_any"] == [] and second["source"] == ""
    assert third == {"id": third["id"], "q": "q2", "answerable": False}
    assert dict(exported.skipped) == {
        "thumbs down without a right passage or answer": 1,
        "thumbs up without a right passage or answer": 1,
    }
    assert "skipped 2" in exported.summary()


def test_evidence_strings_leave_out_what_would_match_anywhere():
    assert evidence_strings("概要\n\nはい。") == ["概要\n\nはい。"]
    assert evidence_strings("A long enough sentence. A long enough sentence.") == [
        "A long enough sentence."
    ]
