from pathlib import Path

import pytest

from litradar.config import load_config
from litradar.core.errors import LitradarError
from tests.conftest import ROOT


def test_the_projects_own_config_loads_and_resolves_paths_against_its_folder():
    config = load_config(ROOT / "litradar.toml", environ={})
    assert config.list_path == ROOT / "demo" / "data" / "awesome_list.md"
    assert config.list_path.is_file()
    assert all(p.is_file() for p in config.source_files)
    assert config.schedule.cron == "0 7 * * 1"
    assert config.ranking.survey_sections["4.6"] == "Sparse Autoencoder"


def test_environment_overrides_the_file(tmp_path: Path):
    path = tmp_path / "litradar.toml"
    path.write_text("[digest]\nsize = 5\n")
    config = load_config(
        path, environ={"LITRADAR_DIGEST__SIZE": "25", "LITRADAR_PATHS__DATA_DIR": "/srv/x"}
    )
    assert config.digest.size == 25
    assert config.data_dir == Path("/srv/x")


def test_environment_overrides_nested_tables(tmp_path: Path):
    path = tmp_path / "litradar.toml"
    path.write_text("[sources.arxiv]\ndelay_seconds = 3.0\nretries = 2\n")
    config = load_config(
        path,
        environ={
            "LITRADAR_SOURCES__ARXIV__DELAY_SECONDS": "0.5",
            "LITRADAR_SOURCES__S2__API_KEY_ENV": "MY_S2_KEY",
        },
    )
    assert config.sources.arxiv.delay_seconds == 0.5
    assert config.sources.arxiv.retries == 2  # the file's other keys stay
    assert config.sources.s2.api_key_env == "MY_S2_KEY"
    with pytest.raises(LitradarError, match=r"unknown key 'sources\.arxiv\.colour'"):
        load_config(path, environ={"LITRADAR_SOURCES__ARXIV__COLOUR": "red"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[digest]\nsizee = 5\n", "unknown key 'digest.sizee'"),
        ("[nonsense]\nx = 1\n", "unknown key 'nonsense'"),
        ("[digest]\nsize = 'many'\n", "'digest.size'"),
        ("[schedule]\ncron = '0 7 * *'\n", "cron needs 5 fields"),
        ("[schedule]\ntimezone = 'Europe/Pariss'\n", "unknown time zone 'Europe/Pariss'"),
        ("[digest\nsize = 5\n", "not valid TOML"),
        ("[sources]\nlive = ['arxiv', 'scholar']\n", "unknown live source 'scholar'"),
        ("[sources.s2]\nretries = -1\n", "'sources.s2.retries'"),
        ("[embedding]\nmodel = ''\n", "'embedding.model'"),
        ("base_dir = '/etc'\n", "unknown key 'base_dir'"),
        # Finite: an infinite timeout or wait passed, then overflowed time_t in a traceback.
        ("[sources.arxiv]\ntimeout_seconds = inf\n", "'sources.arxiv.timeout_seconds'"),
        ("[email]\ntimeout_seconds = 1e300\n", "'email.timeout_seconds'"),
        ("[sources.s2]\nbackoff_seconds = inf\n", "'sources.s2.backoff_seconds'"),
    ],
)
def test_a_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "litradar.toml"
    path.write_text(text)
    with pytest.raises(LitradarError, match=message) as caught:
        load_config(path, environ={})
    assert "\n" not in str(caught.value)


def test_an_override_that_reads_as_a_number_keeps_its_type_where_the_key_is_text():
    """The workflow sets LITRADAR_GITHUB__BASE from the default branch: one named 2024 was
    refused as "not a valid string"; numbers and booleans still read as such."""
    config = load_config(
        None,
        environ={"LITRADAR_GITHUB__BASE": "2024", "LITRADAR_DIGEST__SIZE": "25",
                 "LITRADAR_LLM__ENABLED": "true", "LITRADAR_DIGEST__MIN_SCORE": "0.275"},
    )  # fmt: skip
    assert config.github.base == "2024" and config.digest.size == 25
    assert config.llm.enabled is True and config.digest.min_score == 0.275


def test_a_bad_environment_override_names_the_environment(tmp_path: Path):
    with pytest.raises(LitradarError, match=r"environment: unknown key 'digest.colour'"):
        load_config(None, environ={"LITRADAR_DIGEST__COLOUR": "red"})


def test_a_missing_config_file_is_an_error(tmp_path: Path):
    with pytest.raises(LitradarError, match="config file not found"):
        load_config(tmp_path / "nope.toml", environ={})


def test_a_folder_given_as_the_config_file_says_so_and_names_its_config(tmp_path: Path):
    with pytest.raises(LitradarError, match=r"is a folder, not a config file$"):
        load_config(tmp_path, environ={})
    (tmp_path / "litradar.toml").write_text("[digest]\nsize = 5\n", encoding="utf-8")
    with pytest.raises(LitradarError, match=r"did you mean .*litradar\.toml\?"):
        load_config(tmp_path, environ={})
    with pytest.raises(LitradarError, match=r"from LITRADAR_CONFIG\) is a folder, not a config file"):
        load_config(None, environ={"LITRADAR_CONFIG": str(tmp_path)})


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path):
    """Issue 13, hole 3: a UTF-16 litradar.toml was a UnicodeDecodeError traceback."""
    path = tmp_path / "litradar.toml"
    path.write_text("[digest]\nsize = 5\n", encoding="utf-16")
    with pytest.raises(LitradarError, match="is not UTF-8 text") as caught:
        load_config(path, environ={})
    assert "\n" not in str(caught.value)


def test_no_live_sources_scans_no_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo's `live = []` (and `find`'s cold start with it) reads no package metadata;
    a named source is still checked against what the packages declare."""
    from litradar.core import plugins

    monkeypatch.setattr(plugins, "_sources", None)
    path = tmp_path / "litradar.toml"
    path.write_text("[sources]\nlive = []\n")
    assert load_config(path, environ={}).sources.live == []
    assert plugins._sources is None
    path.write_text('[sources]\nlive = ["nosuch"]\n')
    with pytest.raises(LitradarError, match="unknown live source 'nosuch'"):
        load_config(path, environ={})
    assert plugins._sources is not None and "arxiv" in plugins._sources


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path):
    """Windows editors start UTF-8 files with a BOM, which TOML does not allow."""
    path = tmp_path / "litradar.toml"
    path.write_bytes("\ufeff[digest]\nsize = 5\n".encode())
    assert load_config(path, environ={}).digest.size == 5


def test_a_time_zone_is_checked_when_the_config_loads_not_when_serve_registers(
    tmp_path: Path,
):
    path = tmp_path / "litradar.toml"
    path.write_text("[schedule]\ntimezone = 'Europe/Paris'\n")
    assert load_config(path, environ={}).schedule.timezone == "Europe/Paris"
    with pytest.raises(LitradarError, match=r"environment: .*unknown time zone 'Mars/Olympus'"):
        load_config(path, environ={"LITRADAR_SCHEDULE__TIMEZONE": "Mars/Olympus"})
