import pytest

from repository.vocabulary import Fitzpatrick
from synthesis.ml.fitzpatrick import ROMAN, group_of, parse_type, parse_type_or_group, roman


def test_types_read_as_numbers_or_roman_numerals_in_any_case():
    assert [parse_type(v) for v in ("1", 2, "iii", "IV", " v ", "6.0")] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("bad", ["0", "7", "VII", "", "abc", "²", "5.5", None])
def test_anything_else_is_not_a_type(bad):
    with pytest.raises(ValueError, match="not one of 1–6 or I–VI"):
        parse_type(bad)


def test_groups_pair_neighbouring_types():
    assert [group_of(t) for t in range(1, 7)] == [
        "I-II", "I-II", "III-IV", "III-IV", "V-VI", "V-VI"
    ]  # fmt: skip
    for bad in (0, 7, True, "5"):
        with pytest.raises(ValueError, match="1-6"):
            group_of(bad)


def test_a_group_is_never_pinned_on_one_of_its_types():
    assert parse_type_or_group("IV") == (4, "III-IV")
    assert parse_type_or_group(6) == (6, "V-VI")
    assert parse_type_or_group("56") == (None, "V-VI")
    assert parse_type_or_group("i-ii") == (None, "I-II")
    with pytest.raises(ValueError, match="12/34/56"):
        parse_type_or_group("78")


def test_the_vocabulary_choices_are_the_roman_numerals():
    assert Fitzpatrick.choices == list(ROMAN.items())
    assert Fitzpatrick.IV == 4 and roman(5) == "V"
