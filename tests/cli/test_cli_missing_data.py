"""A read command on a folder without a warehouse: non-zero, one line naming the path, nothing created
(not even an empty ./data when run from another folder without O3_DATA_DIR)."""
import pytest

from o3_governance.cli import main

READ_COMMANDS = [["deletion-list"], ["requests"], ["record-of-processing"], ["verify-reports"], ["scan"], ["report"]]


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_read_command_on_a_missing_data_folder_names_it_and_creates_nothing(command, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("O3_DATA_DIR", str(missing))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert main(command) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(missing) in err
    assert not missing.exists() and not (tmp_path / "home").exists()


@pytest.mark.parametrize("command", READ_COMMANDS)
def test_read_command_from_another_folder_does_not_make_an_empty_data_folder(command, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("O3_DATA_DIR", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert main(command) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(tmp_path / "data") in err and str(tmp_path / "home") in err
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()


def test_an_unexpected_error_names_the_data_folder_and_dagster_home(tmp_path, monkeypatch, capsys):
    import o3_governance.cli.retention as rcli

    monkeypatch.setenv("O3_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "h"))

    def boom(args):
        raise OSError("disk trouble")

    monkeypatch.setattr(rcli, "show_list", boom)
    from o3_governance import cli

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["deletion-list"].set_defaults(handler=boom)
    assert main(["deletion-list"]) == 1
    err = capsys.readouterr().err.strip()
    assert str(tmp_path / "d") in err and str(tmp_path / "h") in err and err.count("\n") == 0
