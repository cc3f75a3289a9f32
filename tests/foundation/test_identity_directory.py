"""The staff/contact directory: its path is given by the caller, and each entry says whether the
person is staff or an external contact (``role``, default staff)."""
import pytest

from o3_governance.identity import directory
from o3_governance.identity.directory import DirectoryEntry, load_directory


def test_roles_from_yaml_and_csv_default_to_staff(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text("- name: Jan Peeters\n  phone: '0471 23 45 67'\n"
                 "- name: Marie Dubois\n  phone: '+32 478 11 22 33'\n  role: External\n", encoding="utf-8")
    jan, marie = load_directory(y)
    assert (jan.role, jan.is_staff) == ("staff", True)
    assert (marie.role, marie.is_staff) == ("external", False)
    c = tmp_path / "d.csv"
    c.write_text("name,phone,email,role\nJan Peeters,0471234567,,staff\nMarie Dubois,0478112233,,external\n"
                 "Wout Claes,0476000000,,\n", encoding="utf-8")
    assert [e.role for e in load_directory(c)] == ["staff", "external", "staff"]
    m = tmp_path / "m.yaml"
    m.write_text("Jan Peeters: '0471 23 45 67'\n", encoding="utf-8")
    assert load_directory(m) == [DirectoryEntry("Jan Peeters", "+32471234567", None, "staff")]


def test_an_unknown_role_is_refused_without_the_name(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text("- name: Jan Peeters\n  role: boss\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_directory(y)
    assert "staff or external" in str(err.value) and "Jan" not in str(err.value)


def test_the_path_is_the_callers_not_the_environment(tmp_path, monkeypatch):
    y = tmp_path / "d.yaml"
    y.write_text("- name: Jan Peeters\n", encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(y))
    assert load_directory(None) == []
    assert not hasattr(directory, "directory_file")
    with pytest.raises(TypeError):
        load_directory()  # type: ignore[call-arg]
