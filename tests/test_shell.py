"""Shell completion in real bash, zsh and fish processes (zsh and fish where installed).

The scripts are produced by ``cmldyn completion SHELL`` and sourced as a user would; the
``cmldyn`` on PATH is this checkout's (the virtual environment's bin directory)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cmldyn.simulator import Simulator

from .conftest import CANARY, ROOT, assert_no_canary

BIN = str(Path(sys.executable).parent)


@pytest.fixture()
def home(tmp_path: Path) -> dict[str, str]:
    """A fresh home and cache, with the demo's word list written by one ordinary command."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-m", "cmldyn", "--demo", "ops", "project"], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cache" / "cmldyn" / "words" / "demo").is_file()
    return env


def bash(env: dict[str, str], *lines: str) -> list[list[str]]:
    """What Tab offers for each command line, in one bash process (the function, no readline)."""
    calls = "\n".join(f'COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; _cmldyn_complete; '
                      f'printf "%s\\n" "${{COMPREPLY[@]}}"; echo ---' for line in lines)
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", f'eval "$(cmldyn completion bash)"\n{calls}'],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [[w for w in block.split("\n") if w] for block in done.stdout.split("---\n")[:-1]]


def test_bash_completes_commands_operations_options_values_and_fields(home: dict[str, str]) -> None:
    found = bash(home,
                 "cmldyn ca",
                 "cmldyn --demo call get_pro",
                 "cmldyn call --demo list_projects -o ",
                 "cmldyn --demo call list_projects --page",
                 "cmldyn --demo call create_job some-project sc",
                 "cmldyn --demo call update_runtime_status status=DIS",
                 "cmldyn --demo call list_projects --output y",
                 "cmldyn spec ",
                 "cmldyn completion f",
                 "cmldyn --demo describe list_job_r",
                 "cmldyn --demo call get_job some-project ",
                 "cmldyn --demo call create_job some-project name=x ")
    assert found[0] == ["call"]
    assert found[1] == ["get_project"]
    assert found[2] == ["json", "yaml", "table", "raw"]
    assert found[3] == ["--page-size", "--page-token"]
    assert sorted(found[4]) == ["schedule=", "script="]  # body fields of create_job
    assert found[5] == ["DISABLED"]  # bash completes the part after "="
    assert found[6] == ["yaml"]
    assert "drift" in found[7] and "show" in found[7]
    assert found[8] == ["fish"]
    assert found[9] == ["list_job_runs"]
    assert "project_id=" not in found[10] and "job_id=" in found[10]  # the project given in place
    assert "project_id=" not in found[11] and "name=" not in found[11] and "script=" in found[11]


def test_bash_offers_existing_ids_for_a_path_value(home: dict[str, str]) -> None:
    with Simulator(token=CANARY, seed="demo", speed=0) as sim:
        env = {**home, "CML_API_KEY": CANARY}
        first = subprocess.run([sys.executable, "-m", "cmldyn", "--host", sim.url, "call", "list_projects", "-q",
                                "projects[].id"], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert first.returncode == 0, first.stderr
        ids = set(eval(first.stdout))  # a JSON list of strings
        found = bash(env, f"cmldyn --host {sim.url} call get_project ",
                     f"cmldyn --host {sim.url} call get_project {sorted(ids)[0]} ")
        assert ids <= set(found[0]) and "project_id=" in found[0]
        assert not ids & set(found[1])  # the one path value is given
        assert "project_id=" not in found[1]  # ... so its name is not offered again
        cache = Path(home["XDG_CACHE_HOME"]) / "cmldyn"
        values = list((cache / "values").glob("values-*.json"))
        assert values and oct(values[0].stat().st_mode & 0o777) == "0o600"
        for path in cache.rglob("*"):
            if path.is_file():
                assert_no_canary(path.read_text(errors="replace"))


def test_demo_tabs_leave_no_files_per_run(home: dict[str, str]) -> None:
    """Each --demo run has a new port: its existing values are not kept on disk (they would pile up)."""
    for _ in range(2):
        found = bash(home, "cmldyn --demo call get_project ")
        assert len([w for w in found[0] if "-" in w and "=" not in w]) >= 3  # the demo's project ids
    cache = Path(home["XDG_CACHE_HOME"]) / "cmldyn"
    assert not (cache / "values").exists() and sorted(p.name for p in (cache / "words").iterdir()) == ["demo"]


def test_without_a_word_list_bash_asks_python(tmp_path: Path) -> None:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "c")}
    found = bash(env, "cmldyn --demo call list_proj", "cmldyn --spec x.json call ")
    assert {"list_project_collaborators", "list_project_files", "list_projects"} <= set(found[0])
    assert all(name.startswith("list_proj") for name in found[0])
    assert found[1] == []  # a spec file that is not there: nothing, and no error


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh(home: dict[str, str]) -> None:
    """With and without compinit loaded first: the script loads what it needs (it said 'command not found:
    compdef' on a bare zsh)."""
    for setup in ("autoload -U compinit && compinit -u\n", ""):
        script = (f'{setup}eval "$(cmldyn completion zsh)"\n'
                  'COMP_LINE="cmldyn --demo call list_projects --page"; COMP_POINT=${#COMP_LINE}\n'
                  '_cmldyn_complete; print -l -- $COMPREPLY\n'
                  'COMP_LINE="cmldyn --demo call get_job some-project "; COMP_POINT=${#COMP_LINE}\n'
                  '_cmldyn_complete; print -- ---; print -l -- $COMPREPLY')
        done = subprocess.run(["zsh", "-f", "-c", script], env=home, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "compdef" not in done.stderr, done.stderr
        first, second = done.stdout.split("---\n")
        assert first.split() == ["--page-size", "--page-token"]
        assert "job_id=" in second.split() and "project_id=" not in second.split()


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish(home: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "cmldyn.fish"
    made = subprocess.run([sys.executable, "-m", "cmldyn", "completion", "fish"], env=home, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert made.returncode == 0
    script.write_text(made.stdout)

    def fish(line: str) -> list[str]:
        done = subprocess.run(["fish", "--no-config", "-c", f"source {script}; complete -C {line!r}"], env=home,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return [w.split("\t")[0] for w in done.stdout.split("\n") if w]

    assert fish("cmldyn --demo call get_pro") == ["get_project"]
    assert sorted(fish("cmldyn --demo call list_projects -o ")) == ["json", "raw", "table", "yaml"]
    assert sorted(fish("cmldyn --demo call create_job some-project sc")) == ["schedule=", "script="]


def test_completion_for_an_unknown_shell_is_a_usage_error(home: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "cmldyn", "completion", "tcsh"], env=home, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2 and "invalid choice" in done.stderr and "Traceback" not in done.stderr


def test_word_lists_hold_no_key(home: dict[str, str], tmp_path: Any) -> None:
    words = Path(home["XDG_CACHE_HOME"]) / "cmldyn" / "words" / "demo"
    assert oct(words.stat().st_mode & 0o777) == "0o600"
    text = words.read_text()
    assert text.startswith("#cmldyn-words ") and "\nop create_job 1 " in text
    assert os.stat(words.parent).st_mode & 0o077 == 0


def test_the_completion_command_writes_the_word_list_from_the_cached_spec(home: dict[str, str]) -> None:
    with Simulator(token=CANARY, seed="demo", speed=0) as sim:
        env = {**home, "CML_API_KEY": CANARY}
        cmd = [sys.executable, "-m", "cmldyn", "--host", sim.url]
        assert subprocess.run([*cmd, "ops", "x"], env=env, capture_output=True, timeout=60, cwd=ROOT).returncode == 0
        words = Path(home["XDG_CACHE_HOME"]) / "cmldyn" / "words" / re.sub(r"[^A-Za-z0-9]", "_", sim.url)
        words.unlink()
        sim.forget()
        done = subprocess.run([*cmd, "completion", "bash"], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0 and "_cmldyn_complete" in done.stdout
        assert words.is_file() and sim.seen == []  # from the cache: nothing was asked of the server
