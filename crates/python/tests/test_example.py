"""The README's Python section runs: its example block is examples/quickstart.py, and the
script succeeds with numpy only."""

import os
import subprocess
import sys

from conftest import REPO


def test_readme_block_is_the_example_script():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- python-example -->\n")[1].split("<!-- /python-example -->")[0]
    code = block.split("```python\n", 1)[1].rsplit("```", 1)[0]
    script = (REPO / "crates" / "python" / "examples" / "quickstart.py").read_text(encoding="utf-8")
    assert code == script


def test_example_script_runs(tmp_path):
    script = REPO / "crates" / "python" / "examples" / "quickstart.py"
    r = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "verified:" in r.stdout
    assert sorted(os.listdir(tmp_path)) == ["report.json", "ticket.safetensors"]
