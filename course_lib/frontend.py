"""The front end and packages a kernel runs with, and why a widget might not show there.

In any notebook cell::

    import course_lib
    course_lib.doctor()   # the same function as course_lib.frontend.doctor

It prints Python's and the course's package versions, which front end the notebook runs in
when the kernel can tell (Google Colab, VS Code, Voilà, a Jupyter server: JupyterLab or
Notebook 7, which a kernel cannot tell apart), and for each known cause of "the widget does not
show" found in those facts, what to do in plain words. Then it shows one tiny widget that
answers: when your front end draws it, its text changes to say so, and when you click its
button, the kernel's answer appears. A widget that stays a line of text such as
``VBox(children=...)`` means the front end cannot draw widgets at all.

The facts are gathered by :func:`gather_facts` and judged by :func:`diagnose`, a pure function
of them (so every cause is tested, also those of front ends the tests cannot start).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

__all__ = ["PACKAGES", "DoctorReport", "Facts", "Finding", "detect_front_end", "diagnose",
           "doctor", "gather_facts"]

PACKAGES: tuple[str, ...] = (
    "course_lib", "numpy", "scipy", "matplotlib", "torch", "scikit-image", "scikit-learn",
    "pillow", "ipywidgets", "anywidget", "ipykernel", "ipython", "traitlets",
    "jupyterlab", "jupyterlab_widgets", "notebook", "widgetsnbextension", "voila",
)
"""Distributions whose versions matter for the course and its widgets (``None`` when missing)."""

COLAB = "Google Colab"
VSCODE = "VS Code"
VOILA = "Voilà"
JUPYTER = "a Jupyter server (JupyterLab or Notebook 7; the kernel cannot tell which)"
KERNEL = "a Jupyter kernel whose front end could not be told"
NO_KERNEL = "plain Python, not a notebook"


@dataclass(frozen=True)
class Facts:
    """What the doctor looks at: the interpreter, the front end and the package versions."""

    python: str  # e.g. "3.11.7"
    system: str  # e.g. "Linux x86_64"
    front_end: str  # one of COLAB, VSCODE, VOILA, JUPYTER, KERNEL, NO_KERNEL
    versions: Mapping[str, str | None]  # distribution -> version, None when not installed
    colab_custom_widgets: bool | None = None  # Colab's custom widget manager on? None elsewhere


@dataclass(frozen=True)
class Finding:
    """One known cause found in the facts (``problem``), or a note on what was checked."""

    level: str  # "problem" (fix this), "note" (worth knowing) or "ok"
    what: str  # what was found, in plain words
    todo: str = ""  # what to do about it

    def __str__(self) -> str:
        mark = {"problem": "✗", "note": "•", "ok": "✓"}[self.level]
        return f"{mark} {self.what}" + (f"\n    What to do: {self.todo}" if self.todo else "")


def _major(version: str | None) -> int | None:
    if not version:
        return None
    head = version.split(".")[0]
    return int(head) if head.isdigit() else None


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def detect_front_end(environ: Mapping[str, str], modules: Mapping[str, Any],
                     user_ns: Mapping[str, Any] | None) -> str:
    """Tell which front end a kernel serves, from its environment, modules and namespace.

    Parameters
    ----------
    environ : mapping
        The kernel's environment variables (``os.environ``).
    modules : mapping
        The loaded modules (``sys.modules``).
    user_ns : mapping or None
        The notebook's namespace, ``None`` outside IPython.

    Returns
    -------
    str
        One of the front-end names of this module (``COLAB``, ``VSCODE``, ...).

    Examples
    --------
    >>> detect_front_end({"COLAB_RELEASE_TAG": "release-colab"}, {}, {}) == COLAB
    True
    >>> detect_front_end({}, {}, None) == NO_KERNEL
    True
    """
    if "google.colab" in modules or "COLAB_RELEASE_TAG" in environ:
        return COLAB
    if user_ns is None:
        return NO_KERNEL
    if "__vsc_ipynb_file__" in user_ns or any(name.startswith("VSCODE_") for name in environ):
        return VSCODE
    if "VOILA_KERNEL_ID" in environ or "VOILA_SERVER_URL" in environ:
        return VOILA
    if "JPY_SESSION_NAME" in environ or "JPY_PARENT_PID" in environ:
        return JUPYTER
    return KERNEL


def _installed_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _colab_custom_widgets(modules: Mapping[str, Any]) -> bool | None:
    """Whether Colab's custom widget manager is on (``None`` outside Colab or when unknown)."""
    output = modules.get("google.colab.output")
    installed = getattr(getattr(output, "_widgets", None), "_installed_url", False)
    return None if installed is False else installed is not None


def gather_facts() -> Facts:
    """Read the facts of this interpreter: Python, front end, package versions."""
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is not installed: not a notebook
        shell = None
    else:
        shell = get_ipython()
    user_ns = getattr(shell, "user_ns", None) if shell is not None else None
    if shell is not None and user_ns is None:
        user_ns = {}
    return Facts(
        python=platform.python_version(),
        system=f"{platform.system()} {platform.machine()}",
        front_end=detect_front_end(os.environ, sys.modules, user_ns),
        versions=_installed_versions(PACKAGES),
        colab_custom_widgets=_colab_custom_widgets(sys.modules),
    )


def _requirement_findings(versions: Mapping[str, str | None]) -> list[Finding]:
    """Course dependencies that are missing or older than course_lib asks for."""
    from packaging.requirements import Requirement  # matplotlib's own dependency

    findings = []
    try:
        wanted = metadata.requires("course_lib") or []
    except metadata.PackageNotFoundError:
        return [Finding("problem", "course_lib is not installed in this kernel's environment.",
                        "Run the chapter's set-up cell (in Colab), or `make lab` on your computer, "
                        "then restart the kernel.")]
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker is not None:  # an extra's tool (tests, lab), not needed to run
            continue
        name = requirement.name.lower()
        have = versions[name] if name in versions else _installed_versions((name,))[name]
        if have is None:
            findings.append(Finding("problem", f"{requirement.name} is not installed.",
                                    f'`%pip install "{text}"`, then restart the kernel.'))
        elif not requirement.specifier.contains(have, prereleases=True):
            findings.append(Finding("problem", f"{requirement.name} {have} is installed; the "
                                    f"course needs {requirement.specifier}.",
                                    f'`%pip install "{text}"`, then restart the kernel.'))
    return findings


def _widget_findings(facts: Facts) -> list[Finding]:
    versions, front_end = facts.versions, facts.front_end
    ipywidgets, lab = versions.get("ipywidgets"), versions.get("jupyterlab")
    findings = []
    if ipywidgets is None:  # a missing dependency: _requirement_findings says what to install
        return []
    if front_end == COLAB:
        if _major(ipywidgets) != 7:
            findings.append(Finding(
                "problem", f"ipywidgets {ipywidgets} in Colab: Colab's widget manager speaks the "
                "ipywidgets 7 protocol, and widgets from 8.x stay blank or show an error.",
                '`%pip install "ipywidgets==7.7.1"` (Colab\'s own version), then Runtime > '
                "Restart session."))
        if facts.colab_custom_widgets is False and versions.get("anywidget"):
            findings.append(Finding(
                "note", "Colab's custom widget manager is off; the course's in-browser widgets "
                "(anywidget) turn it on when they are shown.",
                "If an explorer stays blank, run `from google.colab import output; "
                "output.enable_custom_widget_manager()` and show it again."))
    elif front_end == VSCODE:
        findings.append(Finding(
            "note", "VS Code draws widgets with its Jupyter extension. The course's widgets need "
            "no download: ipywidgets' are built into the extension, anywidget's travel with the "
            "widget.",
            "If a widget shows 'Failed to load model class' or stays text, update the Jupyter "
            "extension; behind a firewall set `jupyter.widgetScriptSources` to [] so that VS Code "
            "stops fetching widget code from a CDN."))
    elif front_end in (JUPYTER, VOILA, KERNEL) and lab is not None:
        lab_major, widgets_major = _major(lab), _major(ipywidgets)
        extension = versions.get("jupyterlab_widgets")
        if lab_major is not None and lab_major < 3:
            findings.append(Finding(
                "problem", f"JupyterLab {lab} needs widget extensions built by hand.",
                '`pip install -U "jupyterlab>=4"` (the course uses JupyterLab 4), then restart '
                "JupyterLab."))
        elif widgets_major == 8 and (extension is None or _major(extension) != 3):
            findings.append(Finding(
                "problem", f"ipywidgets 8 needs jupyterlab_widgets 3 in JupyterLab; found "
                f"{extension or 'none'}.",
                '`pip install -U "jupyterlab_widgets>=3"` where JupyterLab runs, then restart '
                "JupyterLab and reload the page."))
        elif widgets_major == 7 and lab_major is not None and lab_major >= 4:
            findings.append(Finding(
                "problem", f"ipywidgets {ipywidgets} with JupyterLab {lab}: JupyterLab 4 draws "
                "ipywidgets 8 (an ipywidgets 7.7 kernel there shows 'Module @jupyter-widgets/"
                "controls, version ^1.5.0 is not registered', checked on 2026-12-04).",
                '`pip install -U "ipywidgets>=8"` (only outside Colab), then restart the kernel '
                "and reload the page."))
    notebook = versions.get("notebook")
    if (front_end in (JUPYTER, KERNEL) and lab is None and notebook is not None
            and _major(notebook) is not None and (_major(notebook) or 0) < 7
            and versions.get("widgetsnbextension") is None):
        findings.append(Finding(
            "problem", f"The classic Notebook {notebook} draws widgets with widgetsnbextension, "
            "which is not installed.",
            "`pip install widgetsnbextension`, then restart the Notebook server."))
    return findings


def diagnose(facts: Facts) -> list[Finding]:
    """Judge the facts: each known cause of a widget not showing, with what to do.

    Parameters
    ----------
    facts : Facts
        What :func:`gather_facts` read (or facts made up, to see what the doctor would say).

    Returns
    -------
    list of Finding
        Problems first, then notes; a single ``ok`` finding when nothing is wrong.

    Examples
    --------
    >>> facts = Facts("3.13.0", "Linux x86_64", COLAB, {"ipywidgets": "8.1.5"})
    >>> print(diagnose(facts)[0].what)  # doctest: +ELLIPSIS
    ipywidgets 8.1.5 in Colab: Colab's widget manager speaks the ipywidgets 7 protocol, ...
    """
    findings = _requirement_findings(facts.versions) + _widget_findings(facts)
    if facts.front_end == NO_KERNEL:
        findings.append(Finding("note", "This is plain Python, not a notebook: widgets need a "
                                "notebook front end (JupyterLab, Notebook, VS Code, Colab)."))
    if not any(finding.level == "problem" for finding in findings):
        findings.append(Finding("ok", "No known cause of a missing widget in these facts."))
    return sorted(findings, key=lambda f: ("problem", "note", "ok").index(f.level))


@dataclass
class DoctorReport:
    """What :func:`doctor` found: the facts, the findings and the probe widget (if shown)."""

    facts: Facts
    findings: list[Finding]
    probe: Any = field(default=None, repr=False)  # the answering widget, or None

    @property
    def problems(self) -> list[Finding]:
        """The findings that need fixing."""
        return [finding for finding in self.findings if finding.level == "problem"]

    @property
    def drawn(self) -> bool | None:
        """Whether a front end has drawn the probe widget (``None`` when none was shown).

        The front end reports each view it draws; the kernel reads the report once the cell
        that showed the widget has finished, so ask in a later cell.
        """
        if self.probe is None:
            return None
        return bool(self.probe.box._view_count)

    def text(self) -> str:
        """Render the report as plain text, as :func:`doctor` prints it."""
        f = self.facts
        lines = ["course_lib doctor", f"Python {f.python} on {f.system}", f"Front end: {f.front_end}",
                 "Packages: " + ", ".join(f"{name} {version or '(not installed)'}"
                                          for name, version in f.versions.items())]
        if f.colab_custom_widgets is not None:
            lines.append(f"Colab's custom widget manager: {'on' if f.colab_custom_widgets else 'off'}")
        lines.append("")
        lines += [str(finding) for finding in self.findings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        problems = len(self.problems)
        plural = "" if problems == 1 else "s"
        return f"DoctorReport({problems} problem{plural}, front end: {self.facts.front_end})"


class _Probe:
    """A tiny widget that answers: its text changes when drawn, and again when clicked."""

    WAITING = ("If you can read this and see a button, widgets are drawn, but the kernel has not "
               "heard back yet.")
    DRAWN = "✓ Your front end drew this widget. Now click the button."
    ANSWERED = "✓ The kernel answered your click: widgets work both ways here."

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.label = widgets.Label(value=self.WAITING)
        self.button = widgets.Button(description="Click me", tooltip="Check that the kernel answers")
        self.box = widgets.VBox([self.label, self.button])
        self.box.add_class("course-doctor")
        self.box._view_count = 0  # the front end reports each view it draws
        self.box.observe(self._drawn, names="_view_count")
        self.button.on_click(self._clicked)

    def _drawn(self, change: dict) -> None:
        if change["new"] and self.label.value == self.WAITING:
            self.label.value = self.DRAWN

    def _clicked(self, _button: Any) -> None:
        self.label.value = self.ANSWERED


def doctor(*, widget: bool = True) -> DoctorReport:
    """Print why a widget might not show here, and show one tiny widget that answers.

    Parameters
    ----------
    widget : bool
        Show the answering probe widget after the report (in a notebook).

    Returns
    -------
    DoctorReport
        The facts and findings; ``report.drawn`` (asked in a later cell) says whether the front
        end drew the probe.

    Examples
    --------
    >>> report = doctor(widget=False)  # doctest: +ELLIPSIS
    course_lib doctor
    ...
    >>> report.facts.front_end == NO_KERNEL
    True
    """
    facts = gather_facts()
    report = DoctorReport(facts, diagnose(facts))
    print(report.text())
    if widget and facts.versions.get("ipywidgets") and facts.front_end != NO_KERNEL:
        from IPython.display import display

        report.probe = _Probe()
        print("\nThe widget below changes its text when your front end draws it, and again when "
              "you click it. If you see a line of text like VBox(...) instead, widgets cannot "
              "show here: see the findings above.")
        display(report.probe.box)
    return report
