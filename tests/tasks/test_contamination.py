"""The contamination check (selfplay/contamination.py): the longest shared word run on
hand-made texts, the 13-word rule, and its record in rollouts and metrics."""

import math

import pytest

from selfplay.contamination import NGRAM, ContaminationCheck, OverlapIndex, words
from selfplay.inspect.cli import main as inspect_main
from selfplay.tracking.rollouts import RolloutRecord, write_rollouts

REFS = {
    "A/0": "def f(xs):\n    \"\"\"Return the sum of the squares of all the odd numbers in the given list xs.\"\"\"",
    "A/1": "Check if in given list of numbers, are any two numbers closer to each other than given threshold.",
}


def test_words_ignore_case_punctuation_and_layout():
    assert words("Return  the SUM,\n of has_close_elements(x)!") == ["return", "the", "sum", "of", "has_close_elements", "x"]


@pytest.mark.parametrize("text,longest,ref", [
    ("Print hello.", 0, None),
    ("Read a list; print the sum of the squares of its elements.", 6, "A/0"),  # "the sum of the squares of"
    # a paraphrase: "list of numbers are any two numbers closer to each other than", 12 words
    ("Given a list of numbers, are any two numbers closer to each other than a threshold?", 12, "A/1"),
    ("Problem: return the SUM of the squares of all the odd numbers in the given list xs, read from stdin.", 16, "A/0"),
])
def test_longest_shared_run(text, longest, ref):
    overlap = OverlapIndex(REFS).longest(text)
    assert (overlap.words, overlap.ref) == (longest, ref)
    assert overlap.contaminated == (longest >= NGRAM)


def test_the_threshold_is_thirteen_words_in_a_row():
    ref = " ".join(f"w{k}" for k in range(40))
    index = OverlapIndex({"R": ref})
    twelve, thirteen = " ".join(f"w{k}" for k in range(5, 17)), " ".join(f"w{k}" for k in range(5, 18))
    assert index.longest(f"x {twelve} y").words == 12 and not index.longest(twelve).contaminated
    assert index.longest(f"x {thirteen} y").contaminated
    # two runs of 12 split by one changed word are not one run of 25
    assert index.longest(f"{twelve} CHANGED " + " ".join(f"w{k}" for k in range(18, 30))).words == 12


def _proposal(parsed, valid=True):
    return RolloutRecord(step=1, role="proposer", group_id="s1-t0", sample_idx=0, topic="t", prompt="p",
                         completion=parsed or "junk", parsed=parsed, valid=valid, invalid_reason=None if valid else "x",
                         reward=0.0, advantage=0.0, trained=False, agreement=None, majority_answer=None,
                         ground_truth=None, correct=None, level=None, prompt_tokens=1, completion_tokens=1,
                         source="selfplay", label=None)


class _Task:
    eval_benchmark = "bench"

    def benchmark_prompts(self):
        return REFS


def test_a_step_is_annotated_and_measured_and_inspect_shows_it(tmp_path, capsys):
    copied = "Return the sum of the squares of all the odd numbers in the given list xs."
    records = [_proposal(copied), _proposal("Read a list xs and print the sum of the odd numbers."),
               _proposal("Zzz."), _proposal(None, valid=False)]
    metrics = ContaminationCheck(_Task()).annotate(records)
    assert metrics == {"contamination/bench_rate": 1 / 3, "contamination/bench_flagged": 1.0,
                       "contamination/bench_longest": 16.0}
    assert [(r.overlap_words, r.overlap_with) for r in records] == [(16, "A/0"), (4, "A/0"), (0, None), (None, None)]
    write_rollouts(tmp_path, 1, records)
    assert inspect_main(["rollouts", str(tmp_path), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "benchmark overlap: 16 words in a row shared with A/0: contaminated (>= 13)" in shown
    assert "benchmark overlap: 4 words in a row shared with A/0: clean (< 13)" in shown
    assert "benchmark overlap: no word in common with any prompt: clean" in shown


def test_no_valid_problem_gives_no_rate_and_a_task_without_a_benchmark_no_check():
    metrics = ContaminationCheck(_Task()).annotate([_proposal(None, valid=False)])
    assert math.isnan(metrics["contamination/bench_rate"]) and metrics["contamination/bench_flagged"] == 0.0

    class Plain:
        pass

    assert ContaminationCheck(Plain()).annotate([_proposal("anything")]) == {}
