"""Make the student copy of the chapter notebooks: solution cells removed, exercise outputs cleared.

    python tools/student_copy.py                     # notebooks/[0-9][0-9]_*.ipynb -> student/
    python tools/student_copy.py --out handout/      # another output folder
    python tools/student_copy.py notebooks/01_image_filters.ipynb --out student/

(``make student`` runs the first form.)

The convention in the teacher notebooks (``notebooks/``):

- An **exercise cell** is a code cell tagged ``exercise``. It holds the student's starting
  point and the check, e.g.::

      def my_conv2d(image, kernel):
          ...  # your code here

      ch1.conv2d.check(my_conv2d)

  Run as committed, it prints "Not attempted yet". The student copy keeps the cell and clears
  its outputs and execution count.
- Right after it comes a **solution cell**: a code cell tagged ``solution`` whose metadata also
  has ``"jupyter": {"source_hidden": true, "outputs_hidden": true}`` (collapsed in JupyterLab
  and Notebook 7 until clicked), e.g. ``ch1.conv2d.solution()``. The student copy drops it.
- Every other cell is copied unchanged. The solutions stay available to a student who asks for
  them on purpose (``ch1.conv2d.solution()``); the copy only takes them out of sight.

The copies are written with nbformat and validated; the teacher notebooks are never modified.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def student_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, dict[str, int]]:
    """Return a copy of ``nb`` without solution cells and with exercise outputs cleared.

    The second value counts what was done: ``{"removed": ..., "cleared": ...}``.
    """
    copy = nbformat.from_dict(nb)  # a deep copy
    kept, removed, cleared = [], 0, 0
    for cell in copy.cells:
        tags = _tags(cell)
        if SOLUTION_TAG in tags:
            removed += 1
            continue
        if EXERCISE_TAG in tags and cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cleared += 1
        kept.append(cell)
    copy.cells = kept
    copy.metadata.pop("widgets", None)  # saved widget state of the teacher's run
    return copy, {"removed": removed, "cleared": cleared}


def write_student_copy(source: Path, out_dir: Path) -> dict[str, int]:
    """Write the student copy of the notebook ``source`` into ``out_dir`` (same file name)."""
    source, out_dir = Path(source), Path(out_dir)
    if not source.is_file():
        raise FileNotFoundError(f"`source` must be an existing notebook; got {str(source)!r}.")
    nb = nbformat.read(source, as_version=4)
    student, counts = student_notebook(nb)
    nbformat.validate(student)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ValueError(f"`out_dir` must differ from the notebook's folder; got {str(out_dir)!r}.")
    nbformat.write(student, target)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Write the student copies from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks to copy (default: notebooks/[0-9][0-9]_*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "student",
                        help="output folder (default: student/)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        parser.error("no notebooks found")
    for path in paths:
        counts = write_student_copy(path, args.out)
        print(f"{path.name}: {counts['removed']} solution cells removed, "
              f"{counts['cleared']} exercise cells cleared -> {args.out / path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
