"""Everything that judges text: answer extraction, normalisation, equivalence, majority vote,
and ground-truth checks for evaluation."""

from verifiers.equivalence import MODES, equivalence_fn, is_equivalent, numeric_equivalent
from verifiers.extract import FORMATS, extract_answer
from verifiers.ground_truth import check_against_ground_truth
from verifiers.majority import MajorityResult, majority_vote
from verifiers.math_verify_client import MathVerifyStats, math_verify_stats, timeouts
from verifiers.normalize import normalize_answer, parse_number

__all__ = [
    "FORMATS",
    "MODES",
    "MajorityResult",
    "MathVerifyStats",
    "check_against_ground_truth",
    "equivalence_fn",
    "extract_answer",
    "is_equivalent",
    "majority_vote",
    "math_verify_stats",
    "normalize_answer",
    "numeric_equivalent",
    "parse_number",
    "timeouts",
]
