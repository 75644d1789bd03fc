"""Fusing ranked lists of (chunk_id, score) from the dense and keyword retrievers.

Every list is read in the order given (best first); when an id repeats within one list its
first entry counts. Results are sorted by fused score, ties by smaller id, so output is
deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]],
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion (Cormack et al., 2009): score(d) = sum_i w_i / (k + rank_i(d)).

    Ranks start at 1; scores inside the lists are ignored. ``weights`` default to 1 each.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    elif len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[int] = set()
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            if chunk_id in seen:
                continue
            seen.add(chunk_id)
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return _sorted(fused)


def weighted_score_fusion(
    dense: Sequence[tuple[int, float]],
    keyword: Sequence[tuple[int, float]],
    dense_weight: float = 0.5,
) -> list[tuple[int, float]]:
    """Convex combination ``dense_weight * d + (1 - dense_weight) * kw`` of normalized scores.

    Each list is normalized on its own with :func:`normalize_scores`; an id missing from a
    list scores 0 there.
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be in [0, 1], got {dense_weight}")
    fused: dict[int, float] = {}
    for scores, weight in (
        (normalize_scores(dense), dense_weight),
        (normalize_scores(keyword), 1.0 - dense_weight),
    ):
        for chunk_id, score in scores.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * score
    return _sorted(fused)


def normalize_scores(ranking: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Map scores to [0, 1] as ``(s - lo) / (max - lo)`` with ``lo = min(0, min score)``.

    This is the "theoretical min-max" normalization of Bruch, Gai & Ingber, "An Analysis of
    Fusion Functions for Hybrid Retrieval" (ACM TOIS 2023): the floor is the scoring
    function's lower bound (0 for BM25 and for cosine similarity between unrelated texts),
    not the score of whatever happens to be last in a truncated list. Plain min-max pins the
    last entry to 0, the same as an id that is missing, so its result depends on how many
    candidates each retriever returned; with a fixed floor a list of 5 and a list of 100 are
    scaled alike. Lists with negative scores (for example negated distances) fall back to
    their own minimum. When all scores are equal every entry gets 1.
    """
    first: dict[int, float] = {}
    for chunk_id, score in ranking:
        first.setdefault(chunk_id, float(score))
    if not first:
        return {}
    hi = max(first.values())
    lo = min(0.0, *first.values())
    if hi <= lo:
        return dict.fromkeys(first, 1.0)
    return {chunk_id: (score - lo) / (hi - lo) for chunk_id, score in first.items()}


def _sorted(fused: dict[int, float]) -> list[tuple[int, float]]:
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def keep_leaders(
    fused: Sequence[tuple[int, float]], rankings: Sequence[Sequence[tuple[int, float]]], k: int
) -> list[tuple[int, float]]:
    """``fused`` with each ranking's first entry inside its top k.

    Fusion rewards agreement: a chunk that one retriever ranks first and the other misses
    (a Japanese question over an English passage, a term only BM25 knows) loses to chunks
    both rank middling. A leader outside the top k takes the place of the last entry that is
    not itself a leader, never the first (the one both agree on most); the order is
    otherwise kept.
    """
    leaders = list(dict.fromkeys(r[0][0] for r in rankings if r))
    top = list(fused[:k])
    ids = {chunk_id for chunk_id, _ in top}
    scores = dict(fused)
    for leader in leaders:
        if leader in ids or leader not in scores:
            continue
        replaceable = [i for i in range(1, len(top)) if top[i][0] not in leaders]
        if not replaceable:
            break
        dropped = top.pop(replaceable[-1])
        ids.discard(dropped[0])
        top.append((leader, scores[leader]))
        ids.add(leader)
    rest = [item for item in fused if item[0] not in ids]
    return top + rest
