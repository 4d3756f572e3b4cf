import pytest

from verifiers.equivalence import equivalence_fn
from verifiers.majority import MajorityResult, majority_vote


def test_clear_majority():
    r = majority_vote(["4", "4", "5", "4"])
    assert r.label == "4"
    assert (r.majority_size, r.n, r.agreement) == (3, 4, 0.75)
    assert r.cluster_of == (0, 0, 1, 0)
    assert r.cluster_sizes == (3, 1)
    assert [r.agrees(i) for i in range(4)] == [True, True, False, True]


def test_tie_goes_to_earliest_first_occurrence():
    assert majority_vote(["7", "3", "3", "7"]).label == "7"
    assert majority_vote(["3", "7", "7", "3"]).label == "3"
    r = majority_vote(["1", "2", "3", "4"])
    assert r.label == "1" and r.agreement == 0.25 and r.majority_cluster == 0


def test_all_none():
    r = majority_vote([None, None, None])
    assert r.label is None
    assert (r.majority_size, r.n, r.agreement) == (0, 3, 0.0)
    assert r.cluster_of == (-1, -1, -1) and r.cluster_sizes == ()
    assert r.majority_cluster == -1
    assert not any(r.agrees(i) for i in range(3))


def test_empty_input():
    r = majority_vote([])
    assert r == MajorityResult(None, 0, 0, 0.0, (), ())


def test_none_counts_in_n_but_never_clusters():
    r = majority_vote([None, "2", None, "2"])
    assert r.label == "2" and r.n == 4 and r.agreement == 0.5
    assert r.cluster_of == (-1, 0, -1, 0)
    assert not r.agrees(0) and r.agrees(1)


def test_unequal_to_itself_is_unextractable():
    r = majority_vote(["", "$ $", "3"])
    assert r.cluster_of == (-1, -1, 0) and r.label == "3"


def test_clusters_by_equivalence_and_keeps_first_member_verbatim():
    r = majority_vote(["0.5", "1/2", "\\frac{1}{2}", "3"])
    assert r.label == "0.5"
    assert r.cluster_sizes == (3, 1)
    assert r.agreement == 0.75


def test_custom_judge():
    r = majority_vote(["3", "3.0", "3"], equivalent=equivalence_fn("exact"))
    assert r.cluster_sizes == (2, 1) and r.label == "3"


@pytest.mark.parametrize(
    "answers, size, agreement",
    [  # SQLM, n = 4: the proposer is paid when 2 or 3 of 4 agree
        (["9", "9", "9", "9"], 4, 1.0),
        (["9", "9", "9", "8"], 3, 0.75),
        (["9", "9", "8", "7"], 2, 0.5),
        (["9", "8", "9", "8"], 2, 0.5),
        (["9", "8", "7", "6"], 1, 0.25),
        (["9", None, None, None], 1, 0.25),
        ([None, None, None, None], 0, 0.0),
    ],
)
def test_sqlm_n4_agreement(answers, size, agreement):
    r = majority_vote(answers)
    assert r.majority_size == size and r.agreement == agreement and r.n == 4
    assert sum(r.agrees(i) for i in range(4)) == size
