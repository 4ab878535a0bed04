"""The paper's numbers (basic.paper, basic/data/paper_numbers.csv) and the 'paper vs here' sentences."""
import pytest

from basic import paper
from basic.config import preset

# Transcribed from the paper (Psomas et al., NeurIPS 2025): Table 1 (i-CIR column), Table 2, Fig. 6, Fig. E5 and
# the min-normalisation minima. These are fixed facts of the paper, not results of this project.
TABLE1 = {"text": 3.01, "image": 3.04, "sum": 8.20, "product": 17.48, "weicom": 18.03, "basic": 31.64,
          "ablation-CMHXP": 34.35}
TABLE2 = {"": 17.48, "C": 28.33, "CM": 27.3, "CMH": 28.42, "CMHX": 33.48, "CMHXP": 34.35, "CMHXPQ": 31.64}


def test_numbers_are_the_transcribed_ones():
    assert dict(zip(paper.table1().preset, paper.table1().paper_mmAP)) == TABLE1
    ladder = paper.table2()
    assert list(ladder.letters) == list(paper.LADDER) and dict(zip(ladder.letters, ladder.paper_mmAP)) == TABLE2
    assert paper.value("fig6.composition_gain") == 14.9
    assert paper.value("figE5.latency_ms") == 70.96
    assert (paper.value("minima.s_v_min"), paper.value("minima.s_t_min")) == (-0.077, -0.117)
    assert "Table 2" in paper.table2().attrs["source"] and "Fig. E5" in paper.source("figE5.latency_ms")


def test_every_paper_row_has_a_preset():
    for name in paper.numbers().preset:
        if name:
            preset(name)


def test_unknown_key_names_the_keys():
    with pytest.raises(KeyError, match="figE5.latency_ms"):
        paper.value("fig99")


@pytest.mark.parametrize("ours,theirs,expected", [
    ((10, 20), (17.48, 28.33), "the same way as in the paper"),
    ((20, 10), (17.48, 28.33), "the opposite way to the paper"),
    ((20, 10), (34.35, 31.64), "the same way as in the paper"),
    ((10, 10.01), (17.48, 28.33), "unlike the paper, where it moves"),
    ((10, 12), (5, 5), "unlike the paper, where it stays level"),
    ((10, 10), (5, 5), "level, as in the paper"),
])
def test_change_statement_says_the_truth(ours, theirs, expected):
    text = paper.change_statement("Adding X", ours, theirs)
    assert expected in text
    assert f"{ours[0]:.2f} → {ours[1]:.2f}" in text and f"{theirs[0]:.2f} → {theirs[1]:.2f}" in text
    verb = {"up": "rises", "down": "falls", "flat": "stays level"}
    assert f"here mmAP {verb[paper.direction(*ours)]}" in text


def test_value_and_ranking_statements():
    assert "ours is above the paper's" in paper.value_statement("gain", 60.0, 14.9)
    assert "ours is below the paper's" in paper.value_statement("gain", 10.0, 14.9)
    assert "not sizes" in paper.value_statement("gain", 10.0, 14.9)
    assert "not sizes" not in paper.value_statement("gain", 10.0, 14.9, comparable=True)
    same = paper.ranking_statement({"a": 1, "b": 2, "c": 3}, {"a": 10, "b": 20, "c": 30})
    assert "is c both here and in the paper" in same and "3 of the 3 pairs" in same
    flipped = paper.ranking_statement({"a": 3, "b": 2, "c": 1}, {"a": 10, "b": 20, "c": 30})
    assert "is a here but c in the paper" in flipped and "0 of the 3 pairs" in flipped
