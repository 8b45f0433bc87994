"""The "Using from Python" examples of the root README and the package README, and the package
README's "Data-subject rights" example, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "consent-py" / "README.md"]


def python_blocks(readme: Path, heading: str = "## Using from Python") -> list[str]:
    text = readme.read_text(encoding="utf-8")
    section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_readme_example_runs(readme: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = python_blocks(readme)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(readme), "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert out.startswith("rejected: ")
    assert "15038510191" not in out


def test_the_rights_example_runs() -> None:
    readme = ROOT / "consent-py" / "README.md"
    blocks = python_blocks(readme, "## Data-subject rights")
    assert len(blocks) == 1
    exec(compile(blocks[0], str(readme), "exec"), {"__name__": "readme"})
