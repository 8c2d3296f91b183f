"""The benchmark script runs (quick mode): it proves the script works, not any speed."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from support import ROOT, require

pytestmark = pytest.mark.slow


def test_bench_quick_mode_prints_a_table_of_ratios():
    require(shutil.which("wrk"), "wrk (Debian package) drives the dev-server case")
    result = subprocess.run(
        ["bash", str(ROOT / "bench" / "run"), "--quick", "--only", "inprocess",
         "--only", "devserver"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| case | webquiz |")
    cases = {row.split("|")[1].strip() for row in rows[2:]}
    assert {"in-process", "dev server"} <= cases
    assert all(row.rstrip().endswith("|") and "×" in row for row in rows[2:])
