"""Pairing proposer problems with their solver attempt groups."""
import pandas as pd

from selfplay.inspect.problems import link_problems


def prop(idx, parsed, step=1):
    return dict(step=step, role="proposer", group_id="t0", sample_idx=idx, parsed=parsed, prompt="write")


def att(gid, problem, n=2, step=1):
    return [dict(step=step, role="solver", group_id=gid, sample_idx=j, parsed="1",
                 prompt=f"Solve:\n{problem}\nAnswer:") for j in range(n)]


def test_links_by_problem_text_longest_first_and_duplicates_in_order():
    rows = pd.DataFrame(
        [prop(0, "What is 1+1?"), prop(1, "What is 1+1? Then double it."), prop(2, None),
         prop(3, "What is 1+1?")]
        + att("g-long", "What is 1+1? Then double it.") + att("g-a", "What is 1+1?")
        + att("g-b", "What is 1+1?") + att("g-orphan", "Unrelated problem", n=3)
    )
    views = link_problems(rows)
    assert [None if v.proposal is None else v.proposal["sample_idx"] for v in views] == [0, 1, 2, 3, None]
    groups = [sorted(set(v.attempts["group_id"])) for v in views]
    assert groups == [["g-a"], ["g-long"], [], ["g-b"], ["g-orphan"]]
    assert len(views[-1].attempts) == 3


def test_steps_are_kept_apart():
    rows = pd.DataFrame([prop(0, "P", step=1), prop(0, "P", step=2)] + att("s2", "P", step=2))
    views = link_problems(rows)
    assert [(v.step, len(v.attempts)) for v in views] == [(1, 0), (2, 2)]
    assert link_problems(rows.iloc[0:0]) == []
