"""The terminal table: colours on a terminal only, measured vs expected, mistake and line."""

from __future__ import annotations

from click.testing import CliRunner

from grader.api import check
from grader.cli import main
from grader.terminal import format_table

from .conftest import SUBMISSIONS

ANSI = "\x1b["


def test_check_names_the_mistake_with_numbers_and_the_line() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(SUBMISSIONS / "loss_summed_not_averaged")],
                           catch_exceptions=False)
    out = result.output
    assert result.exit_code == 1
    assert ANSI not in out  # not a terminal: click strips the styles
    joined = " ".join(out.split())  # messages are wrapped
    assert "measured 6.367" in joined and "expected 1.303" in joined
    assert "mistake: loss_summed_not_averaged" in out
    assert "your line" in joined and "sum()" in joined


def test_table_is_coloured_when_asked() -> None:
    result = check(SUBMISSIONS / "predict_omits_b2", checks=["predict"])
    coloured = format_table(result, color=True)
    plain = format_table(result)
    assert ANSI in coloured and ANSI not in plain
    assert "mistake: predict_omits_b2" in plain
    lines = plain.splitlines()
    assert any(line.strip().startswith("FAIL") and "predict" in line for line in lines)


def test_colour_reaches_a_terminal() -> None:
    result = CliRunner().invoke(main, ["check", "--check", "predict",
                                       str(SUBMISSIONS / "predict_omits_b2")],
                                color=True, catch_exceptions=False)
    assert ANSI in result.output


def test_arrays_show_measured_against_expected_on_the_toy_problem() -> None:
    result = check(SUBMISSIONS / "relu_mask_missing", checks=["grad_W1"])
    table = format_table(result)
    assert "toy: measured [" in table and "expected [" in table
    assert "mistake: relu_mask_missing" in table
