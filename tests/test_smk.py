"""The rule scripts' glue: logging (everything in the rule's log file, one line per progress message on the
terminal) and the items of a scattered job."""

import logging
from types import SimpleNamespace

import pytest
from valuechain.smk import scatter_part, setup


def test_tables_go_to_the_log_file_and_one_line_to_the_terminal(tmp_path, capsys):
    logfile = tmp_path / "logs" / "rule.log"
    log = setup(SimpleNamespace(log=[str(logfile)], rule="some_rule"))
    log.info("precision by section:\n  I 0.5\n  II 0.25")
    log.warning("2 regions dropped:\n  SP\n  RJ")
    logging.shutdown()
    terminal = capsys.readouterr().err.splitlines()
    assert terminal[0].endswith(f"INFO some_rule: precision by section: [2 more lines in {logfile}]")
    assert terminal[1].endswith("WARNING some_rule: 2 regions dropped:") and terminal[2:] == ["  SP", "  RJ"]
    text = logfile.read_text()
    assert "  I 0.5\n  II 0.25\n" in text and "  SP\n  RJ\n" in text


def test_scatter_parts_are_contiguous_and_cover_every_item_once():
    # 7 items in 3 parts: sizes 3, 2, 2 (numpy's array_split gives the remainder to the first parts)
    assert [scatter_part(f"{i}-of-3", 7).tolist() for i in (1, 2, 3)] == [[0, 1, 2], [3, 4], [5, 6]]
    assert scatter_part("1-of-1", 4).tolist() == [0, 1, 2, 3]
    # more parts than items: the last parts are empty, not an error (a cluster profile may ask for many)
    assert [scatter_part(f"{i}-of-4", 2).tolist() for i in (1, 2, 3, 4)] == [[0], [1], [], []]
    with pytest.raises(ValueError, match="not a scatter item"):
        scatter_part("part2", 5)
    with pytest.raises(ValueError, match="out of range"):
        scatter_part("4-of-3", 5)
