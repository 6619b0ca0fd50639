"""`make test` runs the notebooks a second time with ATEN_CPU_CAPABILITY=default, as a stand-in
for a student's computer with another CPU. That is only a test if the variable really makes
torch compute with other kernels, and so give other last digits: checked here."""

import os
import subprocess
import sys

import pytest

PROBE = """
import hashlib, torch
x = torch.randn(100_000, generator=torch.Generator().manual_seed(0))
digest = hashlib.sha256(b"".join(f(x).numpy().tobytes() for f in (torch.exp, torch.sigmoid)))
print(torch.backends.cpu.get_cpu_capability(), digest.hexdigest())
"""


def probe(capability: str | None) -> tuple[str, str]:
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if capability is not None:
        env["ATEN_CPU_CAPABILITY"] = capability
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    return out[0], out[1]


def test_aten_cpu_capability_default_changes_the_kernels_and_the_digits():
    native_kernels, native_digits = probe(None)
    plain_kernels, plain_digits = probe("default")
    assert plain_kernels == "DEFAULT"
    if native_kernels == "DEFAULT":
        pytest.skip("this CPU has no vectorised kernels: the second notebook run tests nothing new here")
    assert plain_digits != native_digits, (
        f"exp and sigmoid gave the same bits with {native_kernels} and DEFAULT kernels")

