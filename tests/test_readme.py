"""The README is the user's manual: it must name every setting and command that exists."""

import tomllib

from service.cli import build_parser
from service.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_every_setting_is_documented_with_its_variable():
    conf = tomllib.loads((PROJECT_ROOT / "conf" / "platecut.toml").read_text())
    missing = [
        f"{section}.{key}"
        for section, keys in conf.items()
        for key in keys
        if f"`{section}.{key}`" not in README or f"PLATECUT_{section}_{key}".upper() not in README
    ]
    assert not missing, missing


def test_every_command_is_documented():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for name in commands:
        assert f"platecut {name}" in README, name


def test_the_two_commands_open_the_readme():
    first = README.split("## ")[1]
    assert "make serve" in first and "make test" in first


def test_parameter_tables_are_the_protocols_own():
    """Each protocol's README table is generated from its parameter table (the parser's
    and the descriptor's): regenerate with `platecut parameters`."""
    from service.settings import load_settings
    from service.vo.capabilities import tables
    from service.vo.parameters import markdown

    for table in tables(load_settings(env={})).values():
        assert markdown(table) in README, f"README's {table.protocol} table is stale"
