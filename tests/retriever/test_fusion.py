import pytest

from retriever.fusion import (
    keep_leaders,
    normalize_scores,
    reciprocal_rank_fusion,
    weighted_score_fusion,
)

pytestmark = pytest.mark.unit


def test_rrf_by_hand() -> None:
    dense = [(1, 0.9), (2, 0.8)]
    keyword = [(2, 5.0), (3, 4.0)]
    fused = reciprocal_rank_fusion([dense, keyword], k=60)
    assert [cid for cid, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][1] == pytest.approx(1 / 61)
    assert fused[2][1] == pytest.approx(1 / 62)


def test_rrf_weights_and_repeated_ids() -> None:
    rankings = [[(1, 0.0), (1, 0.0), (2, 0.0)], [(2, 0.0)]]
    fused = reciprocal_rank_fusion(rankings, k=1, weights=[3.0, 1.0])
    # List 1: id 1 at rank 1 (its repeat at rank 2 ignored), id 2 at rank 3; list 2: id 2 at
    # rank 1. So id 1 = 3/2 and id 2 = 3/4 + 1/2.
    assert fused == [(1, pytest.approx(1.5)), (2, pytest.approx(1.25))]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[(1, 1.0)]], weights=[1.0, 2.0])


def test_rrf_ties_go_to_the_smaller_id() -> None:
    assert reciprocal_rank_fusion([[(9, 1.0)], [(4, 1.0)]]) == [(4, 1 / 61), (9, 1 / 61)]
    assert reciprocal_rank_fusion([]) == []


def test_weighted_fusion_by_hand() -> None:
    dense = [(1, 0.8), (2, 0.4)]
    keyword = [(2, 10.0), (3, 5.0)]
    # Normalized: dense {1: 1.0, 2: 0.5}, keyword {2: 1.0, 3: 0.5}.
    assert weighted_score_fusion(dense, keyword, 0.5) == [
        (2, pytest.approx(0.75)),
        (1, pytest.approx(0.5)),
        (3, pytest.approx(0.25)),
    ]
    fused = dict(weighted_score_fusion(dense, keyword, 0.8))
    assert fused == pytest.approx({1: 0.8, 2: 0.8 * 0.5 + 0.2 * 1.0, 3: 0.2 * 0.5})


def test_weighted_fusion_extremes_and_validation() -> None:
    dense = [(5, 0.3), (6, 0.2)]
    keyword = [(7, 2.0)]
    assert [cid for cid, _ in weighted_score_fusion(dense, keyword, 1.0)] == [5, 6, 7]
    assert [cid for cid, _ in weighted_score_fusion(dense, keyword, 0.0)] == [7, 5, 6]
    assert weighted_score_fusion([], [], 0.5) == []
    with pytest.raises(ValueError):
        weighted_score_fusion(dense, keyword, 1.5)


def test_weighted_fusion_ties_go_to_the_smaller_id() -> None:
    assert weighted_score_fusion([(8, 1.0)], [(3, 7.0)], 0.5) == [(3, 0.5), (8, 0.5)]


def test_normalization_uses_a_zero_floor_not_the_list_minimum() -> None:
    # The last entry of a list is not pushed to 0 (where missing ids are), so the
    # normalized value does not depend on how deep the list was cut.
    assert normalize_scores([(1, 4.0), (2, 2.0)]) == {1: 1.0, 2: 0.5}
    assert normalize_scores([(1, 4.0), (2, 2.0), (3, 1.0)])[2] == 0.5
    # Negative scores (e.g. negated distances) fall back to the list's own minimum.
    assert normalize_scores([(1, -1.0), (2, -3.0), (3, -2.0)]) == {1: 1.0, 2: 0.0, 3: 0.5}
    assert normalize_scores([(1, 0.5), (2, 0.5)]) == {1: 1.0, 2: 1.0}
    assert normalize_scores([(1, 0.0)]) == {1: 1.0}
    # A repeated id keeps its first (best-ranked) score.
    assert normalize_scores([(1, 2.0), (1, 9.0)]) == {1: 1.0}
    assert normalize_scores([]) == {}


def test_keep_leaders_puts_each_lists_first_in_the_top_k() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    keyword = [(9, 12.0), (2, 5.0), (3, 4.0), (1, 3.0)]  # 9: only BM25 knows the term
    fused = reciprocal_rank_fusion([dense, keyword])
    assert [c for c, _ in fused[:3]] == [2, 1, 3]
    kept = keep_leaders(fused, [dense, keyword], 3)
    assert [c for c, _ in kept[:3]] == [2, 1, 9]  # 9 takes the last place, 1 (a leader) stays
    assert sorted(c for c, _ in kept) == sorted(c for c, _ in fused)  # nothing lost or doubled
    assert keep_leaders(fused, [dense, keyword], 10) == fused  # already inside
    assert keep_leaders(fused, [dense, []], 3) == fused[:3] + fused[3:]
    assert keep_leaders([], [[], []], 5) == []
    assert keep_leaders(fused, [dense, keyword], 1) == fused  # the first place is not given up
