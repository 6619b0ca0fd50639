"""Re-execute the chapter notebooks in place, so their committed outputs are fresh.

    python tools/run_notebooks.py                      # all chapters
    python tools/run_notebooks.py notebooks/03_training.ipynb

Each notebook runs top to bottom on a fresh kernel of the current environment, from the
``notebooks/`` folder, exactly as nbval will run it in the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, *, timeout: int = 600) -> float:
    """Execute the notebook at ``path`` in place and return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:  # keep diffs small: drop per-run timestamps
        cell.get("metadata", {}).pop("execution", None)
    # The saved widget state holds every PNG a widget ever showed (megabytes); the views
    # themselves need a live kernel anyway, so keep the file small.
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        seconds = execute(path.resolve())
        print(f"{path.name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
