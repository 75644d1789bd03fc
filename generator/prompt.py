"""Chat messages for the generator: numbered passages, the question, fitted to the context."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from generator.language import NO_ANSWER_PHRASE
from generator.records import Passage

TokenCounter = Callable[[str], int]

# Identical bytes for every request, so vLLM's prefix cache reuses it.
SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages in the user's message.\n"
    "Rules:\n"
    "1. Use only facts stated in the passages. Do not add outside knowledge.\n"
    "2. After each sentence that states a fact, cite the passages it comes from as [n], "
    "for example [1] or [2][3]. Cite only passage numbers that were given.\n"
    "3. Answer in the language the user asks for, even when the passages are in another "
    "language.\n"
    "4. If the passages do not answer the question, reply with exactly this sentence and "
    f"nothing else: in English, {NO_ANSWER_PHRASE['en']} In Japanese, {NO_ANSWER_PHRASE['ja']}\n"
    "5. Be concise."
)

_INSTRUCTION = {
    "ja": "日本語で簡潔に答え、各文の根拠となる文書の番号を [n] の形で示してください。",
    "en": "Answer in English, concisely, citing the passages as [n] after each sentence.",
}

CONDENSE_SYSTEM_PROMPT = (
    "Rewrite the user's follow-up question as one standalone question that can be understood "
    "without the conversation: replace pronouns and references with what they refer to. "
    "Keep the language of the follow-up question. Reply with the rewritten question only."
)

_MESSAGE_OVERHEAD = 8  # role markers and separators of a chat template, per message
_MARGIN = 16  # slack for the difference between summed pieces and the joined text
_MIN_TRIMMED = 48  # a passage trimmed shorter than this is noise, not evidence
_HISTORY_SHARE = 4  # history may take at most 1/4 of the room left after the question


def estimate_tokens(text: str) -> int:
    """Conservative token estimate without a tokenizer.

    Non-ASCII characters (Japanese) count 1 token each, ASCII letters and spaces 1 per 4 chars,
    other ASCII (digits, punctuation) 1 per 2. Tokenizers without Japanese in their vocabulary
    use more; pass a real ``count_tokens`` for those.
    """
    letters = other_ascii = non_ascii = 0
    for ch in text:
        if ord(ch) >= 128:
            non_ascii += 1
        elif ch.isalpha() or ch.isspace():
            letters += 1
        else:
            other_ascii += 1
    return non_ascii + math.ceil(letters / 4) + math.ceil(other_ascii / 2)


def format_passage(n: int, passage: Passage, text: str | None = None) -> str:
    """``[n] title (p. N)`` then the passage text on the next line."""
    header = f"[{n}] {passage.title}".rstrip()
    if passage.page is not None:
        header += f" (p. {passage.page})"
    return f"{header}\n{passage.text if text is None else text}"


def build_messages(
    question: str,
    passages: Sequence[Passage],
    language: str,
    history: Sequence[tuple[str, str]] = (),
    max_context_tokens: int | None = None,
    max_answer_tokens: int = 512,
    count_tokens: TokenCounter | None = None,
) -> list[dict[str, str]]:
    """Build the chat messages for one question.

    ``history`` is earlier turns as ``(role, content)`` with role "user" or "assistant",
    oldest first. With ``max_context_tokens`` the prompt plus ``max_answer_tokens`` is fitted
    to it: the system prompt and the question are always kept whole; recent history may take
    up to a quarter of the rest; passages fill what is left in rank order, the last one that
    fits partly is trimmed and lower-ranked ones are dropped.
    """
    for role, _ in history:
        if role not in ("user", "assistant"):
            raise ValueError(f"history role must be 'user' or 'assistant', not {role!r}")
    count = count_tokens or estimate_tokens
    lang = "ja" if language == "ja" else "en"
    tail = f"Question: {question}\n\n{_INSTRUCTION[lang]}"
    kept_history = list(history)
    blocks = [format_passage(i + 1, p) for i, p in enumerate(passages)]

    if max_context_tokens is not None:
        room = (
            max_context_tokens
            - max_answer_tokens
            - count(SYSTEM_PROMPT)
            - count(_user_content([], tail))
            - 2 * _MESSAGE_OVERHEAD
            - _MARGIN
            - max_context_tokens // 20  # estimates run ~5-15% low for English on small vocabs
        )
        kept_history, used = _fit_history(history, max(room, 0) // _HISTORY_SHARE, count)
        blocks = _fit_passages(passages, room - used, count)

    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    messages += [{"role": role, "content": content} for role, content in kept_history]
    messages.append({"role": "user", "content": _user_content(blocks, tail)})
    return messages


def build_condense_messages(
    history: Sequence[tuple[str, str]], question: str, max_turn_chars: int = 600
) -> list[dict[str, str]]:
    """Messages asking the model to turn a follow-up question into a standalone query.

    Only the last six turns are shown, each cut to ``max_turn_chars`` (answers can be long and
    the rewrite needs only their topic).
    """
    lines = []
    for role, content in list(history)[-6:]:
        who = "User" if role == "user" else "Assistant"
        text = content if len(content) <= max_turn_chars else content[:max_turn_chars] + "…"
        lines.append(f"{who}: {text}")
    conversation = "\n".join(lines)
    user = (
        f"Conversation:\n{conversation}\n\nFollow-up question: {question}\n\nStandalone question:"
    )
    return [
        {"role": "system", "content": CONDENSE_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def _user_content(blocks: Sequence[str], tail: str) -> str:
    if not blocks:
        return f"Passages: (none)\n\n{tail}"
    return "Passages:\n\n" + "\n\n".join(blocks) + "\n\n" + tail


def _fit_history(
    history: Sequence[tuple[str, str]], room: int, count: TokenCounter
) -> tuple[list[tuple[str, str]], int]:
    kept: list[tuple[str, str]] = []
    used = 0
    for role, content in reversed(history):  # newest first
        cost = count(content) + _MESSAGE_OVERHEAD
        if used + cost > room:
            break
        kept.append((role, content))
        used += cost
    kept.reverse()
    # A history that starts with an assistant turn confuses chat templates; drop it.
    while kept and kept[0][0] == "assistant":
        used -= count(kept[0][1]) + _MESSAGE_OVERHEAD
        kept.pop(0)
    return kept, used


def _fit_passages(passages: Sequence[Passage], room: int, count: TokenCounter) -> list[str]:
    blocks: list[str] = []
    for i, passage in enumerate(passages):
        block = format_passage(i + 1, passage)
        cost = count(block) + 1  # + the blank line between passages
        if cost <= room:
            blocks.append(block)
            room -= cost
            continue
        if room >= _MIN_TRIMMED:
            trimmed = _trim(i + 1, passage, room - 1, count)
            if trimmed is not None:
                blocks.append(trimmed)
        break
    return blocks


def _trim(n: int, passage: Passage, room: int, count: TokenCounter) -> str | None:
    """The passage with its text cut to the longest prefix that fits in ``room`` tokens."""
    lo, hi = 0, len(passage.text)
    while lo < hi:  # largest prefix length whose block fits
        mid = (lo + hi + 1) // 2
        if count(format_passage(n, passage, passage.text[:mid] + "…")) <= room:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return None
    return format_passage(n, passage, passage.text[:lo] + "…")
