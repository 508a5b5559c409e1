"""``cmldyn skill``: the agent skill file for a spec, and its examples run as written (split as a shell
would) against ``--demo``, each ending with the exit code the skill says."""

from __future__ import annotations

import io
import os
import re
import shlex
import stat
from pathlib import Path

import pytest

from cmldyn.cli.main import main

from .conftest import SPECS

EXAMPLE = re.compile(r"```sh\n# (\d+): [^\n]*\n(cmldyn [^\n]*)\n```")


def _run(words: list[str], tmp: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(words, stdout=out, stderr=err, stdin=io.StringIO(), env={"HOME": str(tmp)})
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("spec", [None, "petstore-3.0.yaml"], ids=["cml", "petstore"])
def test_the_skills_examples_run_and_end_as_it_says(spec: str | None, tmp_path: Path) -> None:
    demo = ["--demo"] + (["--spec", str(SPECS / spec)] if spec else [])
    code, text, err = _run([*demo, "skill", "--out", "-"], tmp_path)
    assert code == 0, err
    assert text.startswith("---\nname: ") and "\ndescription: " in text.split("---")[1]
    examples = EXAMPLE.findall(text)
    assert len(examples) >= (6 if spec is None else 3)
    for expected, command in examples:
        words = shlex.split(command)
        code, out, err = _run([*demo, *words[1:]], tmp_path)
        assert code == int(expected), (command, err)
        if code == 0:
            assert out.strip() and not err.strip(), command
        else:
            assert err.startswith("cmldyn: error: ") and "Traceback" not in err, command
    assert "## Operations by" in text and "| 7 |" in text
    if spec is None:  # CML's quirks, in words an agent acts on
        assert "### runs\n" in text and "### jobs\n" in text and "CMLService" not in text
        assert "JSON-encoded" in text and "field's name is the destination path" in text and "ignores" in text
        assert "- `create_job` (POST /api/v2/projects/{project_id}/jobs): Create a job. Needs: PROJECT_ID; body fields" \
               in text and ".. Needs" not in text
    else:
        assert "CML behaviours" not in text and "for any API" in text


def test_the_skill_is_written_0600_and_never_over_a_file_it_did_not_write(tmp_path: Path) -> None:
    target = tmp_path / "SKILL.md"
    assert _run(["--demo", "skill", "--out", str(target)], tmp_path)[0] == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert _run(["--demo", "skill", "--out", str(tmp_path)], tmp_path)[0] == 0  # ours: made again
    assert _run(["--demo", "skill", "--out", f"{tmp_path}/.claude/skills/cml/"], tmp_path)[0] == 0
    assert (tmp_path / ".claude/skills/cml/SKILL.md").read_text().startswith("---\nname: cml-api-v2\n")
    mine = tmp_path / "notes.md"
    mine.write_text("my own notes\n")
    code, _, err = _run(["--demo", "skill", "--out", str(mine)], tmp_path)
    assert code == 2 and "not written by cmldyn skill" in err and "--force" in err
    assert mine.read_text() == "my own notes\n"
    assert _run(["--demo", "skill", "--out", str(mine), "--force"], tmp_path)[0] == 0
