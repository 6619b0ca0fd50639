"""The README's front door: `make lab` starts JupyterLab on the course, `make present` the classroom.

Both run the Makefile's own recipe (read with `make -n`), so what the README promises is what is
tested. As root (containers, CI images) `make lab` must add `--allow-root` or Jupyter refuses to start.
"""

import json
import os
import urllib.request

from browser_servers import make_lab, make_recipe

CHAPTERS = ["01_image_filters.ipynb", "02_cnn_architectures.ipynb", "03_training.ipynb",
            "04_training_part_2.ipynb"]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


def test_make_lab_opens_jupyterlab_on_the_chapters(tmp_path):
    with make_lab(tmp_path) as server:
        status, page = get(f"{server.url}/lab")
        assert status == 200
        assert "JupyterLab" in page
        status, listing = get(f"{server.url}/api/contents")
        names = sorted(item["name"] for item in json.loads(listing)["content"])
        assert [name for name in names if name.endswith(".ipynb")] == CHAPTERS


def test_make_lab_allows_root_only_as_root():
    command = make_recipe("lab")
    assert " lab notebooks/" in command
    assert ("--allow-root" in command) == (os.geteuid() == 0), command


def test_make_present_serves_the_presenter_on_localhost():
    command = make_recipe("present", PORT="9999")
    assert "voila classroom/presenter.ipynb" in command
    assert "--port=9999" in command
    assert "--Voila.ip=127.0.0.1" in command
