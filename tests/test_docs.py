"""Every command and option is documented where users look: the README (and each has --help text)."""

from pathlib import Path

import pytest
import typer.main

from analyzer.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
COMMAND = typer.main.get_command(app)


def _options():
    for name, command in COMMAND.commands.items():
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option":
                for opt in param.opts:
                    if opt.startswith("--") and opt != "--help":
                        yield name, opt, param


@pytest.mark.parametrize("command", sorted(COMMAND.commands))
def test_every_command_is_in_the_readme(command):
    assert f"logrca {command}" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize(("command", "option"), sorted({(c, o) for c, o, _ in _options()}))
def test_every_option_is_in_the_readme(command, option):
    assert f"`{option}" in README.read_text(encoding="utf-8"), f"{option} of `logrca {command}` is not documented in README.md"


@pytest.mark.parametrize(("command", "option"), sorted({(c, o) for c, o, _ in _options()}))
def test_every_option_has_help_text(command, option):
    param = next(p for c, o, p in _options() if c == command and o == option)
    assert param.help and len(param.help) > 15
