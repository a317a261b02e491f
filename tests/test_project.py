"""The project's promises about itself: packaging, README, CI and style agree."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def requirement_names(specs):
    return {re.split(r"[<>=!~ \[]", s, maxsplit=1)[0].lower(): s.replace(" ", "") for s in specs}


def test_pyproject_and_environment_yml_name_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    pins = requirement_names(wanted)
    env = (ROOT / "environment.yml").read_text()
    deps = env.split("dependencies:", 1)[1]
    conda = [line.strip()[2:] for line in deps.splitlines() if line.strip().startswith("- ") and "pip:" not in line]
    listed = requirement_names(c for c in conda if not c.startswith(("-", "pip", "python")))
    assert listed == pins, "environment.yml and pyproject.toml must list the same packages and versions"
    assert "conda-forge" in env and "--editable ." in env


def quick_start_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, flags=re.S)


def test_readme_quick_start_is_exactly_two_commands_and_ci_runs_the_test_one():
    blocks = [b.strip() for b in quick_start_commands()]
    commands = [line for b in blocks for line in b.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2, commands
    lab, test = commands
    assert "jupyter lab" in lab and "notebooks/00_the_simulated_machine.ipynb" in lab
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(), ".ci/run must run the README's test command verbatim"


def test_readme_notebook_map_matches_the_notebooks():
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    in_map = sorted(set(re.findall(r"notebooks/(\d\d_[a-z0-9_]+)\.ipynb", README)))
    assert in_map == on_disk


def test_top_level_layout():
    for name in [
        "notebooks",
        "memlab",
        "exercises",
        "solutions",
        "tests",
        "environment.yml",
        "README.md",
        "pyproject.toml",
        "benchmarks",
        ".ci",
    ]:
        assert (ROOT / name).exists(), name


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff(args):
    result = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
