"""The word error rate against hand-counted edit operations, and its text normalisation."""

from __future__ import annotations

import itertools

import pytest

from diffmm.metrics.wer import edit_operations, normalise_words, word_error_rate


@pytest.mark.parametrize(
    ("reference", "hypothesis", "s", "d", "i"),
    [
        ("a b c d", "a b c d", 0, 0, 0),
        ("a b c d", "a x c d", 1, 0, 0),  # one substitution
        ("a b c d", "a c d", 0, 1, 0),  # b deleted
        ("a b c d", "a b y c d z", 0, 0, 2),  # two insertions
        ("a b c d", "b c d e", 0, 1, 1),  # shifted by one: a deleted, e inserted
        ("a b c", "", 0, 3, 0),
        ("", "a b", 0, 0, 2),
        ("the cat sat", "cat the sat", 2, 0, 0),  # a swap: two substitutions, not D + I
    ],
)
def test_edit_operations_match_hand_counts(reference, hypothesis, s, d, i):
    errors = edit_operations(reference.split(), hypothesis.split())
    assert (errors.substitutions, errors.deletions, errors.insertions) == (s, d, i)
    assert errors.reference_words == len(reference.split())


def brute_force_distance(a: list[str], b: list[str]) -> int:
    """Levenshtein distance by exhaustive recursion (tiny inputs only)."""
    if not a or not b:
        return len(a) + len(b)
    return min(
        brute_force_distance(a[1:], b[1:]) + (a[0] != b[0]),
        brute_force_distance(a[1:], b) + 1,
        brute_force_distance(a, b[1:]) + 1,
    )


def test_total_errors_equal_the_levenshtein_distance_on_all_small_pairs():
    words = ["x", "y"]
    sequences = [list(s) for n in range(4) for s in itertools.product(words, repeat=n)]
    for a, b in itertools.product(sequences, repeat=2):
        errors = edit_operations(a, b)
        assert errors.errors == brute_force_distance(a, b)
        # every hypothesis word is a match, a substitution or an insertion
        assert len(b) == len(a) - errors.deletions + errors.insertions


def test_normalisation_and_rate():
    assert normalise_words("Dr. Smith's 2 cats, {K AE1 T S}!") == [
        "doctor",
        "smith's",
        "two",
        "cats",
    ]
    assert word_error_rate("And you ALWAYS want to see it.", "and you always want to see it") == 0
    assert word_error_rate("one two three four", "one too three") == pytest.approx(2 / 4)
    assert word_error_rate("a", "b c d") == 3.0  # insertions push it past 1
