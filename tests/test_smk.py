"""The rule scripts' logging: everything in the rule's log file, one line per progress message on the terminal."""

import logging
from types import SimpleNamespace

from valuechain.smk import setup


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
