"""The class on JupyterHub (benchmarks/bench_classroom.py, classroom/jupyterhub_config.py).

A real JupyterHub with two generated students: both log in, start a server and a kernel through
the hub, run chapter 1's opening cells and change the kernel explorer's preset over the kernel
websocket; strangers are refused; and when the hub stops, no process it started is left.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_classroom  # noqa: E402


@pytest.mark.slow
def test_two_students_on_a_real_hub_and_nothing_left_behind():
    result = bench_classroom.run_class(2, updates=3, time_limit=400)
    assert [r.error for r in result.results] == ["", ""], result.results
    assert result.refused, "an unknown user or a wrong password was let in"
    assert result.left_behind == [], result.left_behind
    for student in result.results:
        assert student.server_s < student.ready_s, student
        assert len(student.updates_ms) == 3, student
        assert all(ms > 0 for ms in student.updates_ms), student
    # Each student's server and kernel hold at least the course's libraries (numpy, torch, ...).
    assert sorted(result.peak_rss) == ["student01", "student02"]
    assert all(rss > 100 * 2**20 for rss in result.peak_rss.values()), result.peak_rss
    assert all(0 < pss <= result.peak_rss[user] for user, pss in result.pss.items()), result.pss
    line = bench_classroom.report(result)
    assert line.split()[:2] == ["2", "2/2"], line


def test_hub_config_listens_on_loopback_only_and_admits_only_the_generated_users(tmp_path, monkeypatch):
    ports = {"COURSE_HUB_PORT": "18000", "COURSE_HUB_API_PORT": "18001", "COURSE_HUB_PROXY_PORT": "18002"}
    for name, value in {**ports, "COURSE_HUB_DIR": str(tmp_path), "COURSE_HUB_USERS": "student01,student02",
                        "COURSE_HUB_PASSWORD": "a-long-random-password"}.items():
        monkeypatch.setenv(name, value)
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "classroom")).load_config()
    assert config.JupyterHub.ip == "127.0.0.1"
    assert config.JupyterHub.hub_ip == "127.0.0.1"
    assert config.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18002"
    assert config.Authenticator.allowed_users == {"student01", "student02"}
    assert config.JupyterHub.authenticator_class == "shared-password"
    assert config.JupyterHub.spawner_class == "simple"
    assert config.JupyterHub.db_url.endswith(str(tmp_path / "jupyterhub.sqlite"))
    assert config.Spawner.environment["COURSE_BLOCK_NETWORK"] == "1"
    assert Path(config.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    assert os.access(config.ConfigurableHTTPProxy.command[0], os.X_OK), "configurable-http-proxy"


def test_class_size_is_bounded(tmp_path):
    for bad in (0, bench_classroom.MAX_STUDENTS + 1):
        with pytest.raises(ValueError, match=f"`n_students` must be between 1 and .*; got {bad}"):
            with bench_classroom.jupyterhub(bad, tmp_path):
                pass


def test_opening_cells_are_chapter_1s_code_before_its_first_exercise():
    cells = bench_classroom.opening_cells()
    assert cells, "chapter 1 should have code before its first exercise"
    assert not any(".check(" in code for code in cells)
    assert any("import" in code for code in cells)


def test_classroom_docs_name_this_repository_and_measured_requests():
    import yaml

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    repository = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert f"course_lib @ git+{repository}" in (ROOT / "classroom" / "Dockerfile").read_text()
    guide = (ROOT / "site" / "teachers.md").read_text()  # the teachers' guide, on the website
    assert f"'repo': '{repository}'" in guide, "the nbgitpuller command names another repository"
    values = yaml.safe_load((ROOT / "classroom" / "values.yaml").read_text())["singleuser"]
    # The guarantee stays above the measured peak of a student's server and kernel (0.55 GB).
    assert values["memory"]["guarantee"] == "1G"
    assert values["memory"]["limit"] == "2G"
    assert 0 < values["cpu"]["guarantee"] <= values["cpu"]["limit"]
