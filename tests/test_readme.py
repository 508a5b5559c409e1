"""The README's examples, run as written (from a checkout): the simulator section's shell lines and its
Python block. A README that drifts from the code fails here."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys

from cmldyn.cli import main

from .conftest import ROOT, free_port

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_the_simulator_sections_shell_lines_run_as_written() -> None:
    lines = [line.split("  #")[0].strip() for line in blocks(section("The simulator"), "sh")[0].splitlines()]
    port = str(free_port())
    words = [[w.replace("8080", port) for w in shlex.split(line)][1:] for line in lines if line.startswith("cmldyn ")]
    serve, create, listing, repl = words
    env = {k: v for k, v in os.environ.items() if k not in ("CML_API_KEY", "CMLDYN_TOKEN", "CML_HOST")}
    proc = subprocess.Popen([sys.executable, "-m", "cmldyn", *serve], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)
    try:
        banner = [proc.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        host = banner[1].split("--host:", 1)[1].strip()
        assert host == f"http://127.0.0.1:{port}" and "/api/v3" in banner[0]
        cwd = os.getcwd()
        os.chdir(ROOT)  # the README's paths are relative to a checkout
        try:
            out, err = io.StringIO(), io.StringIO()
            assert main(create, stdout=out, stderr=err, env=env, stdin=io.StringIO()) == 0, err.getvalue()
            assert '"name": "rex"' in out.getvalue() or '"name":"rex"' in out.getvalue()
            out = io.StringIO()
            assert main(listing, stdout=out, stderr=err, env=env) == 0, err.getvalue()
            assert "rex" in out.getvalue()
            # The host as the banner used to print it, with the base path: not doubled.
            doubled = [w.replace(host, host + "/api/v3") for w in listing]
            assert main(doubled, stdout=io.StringIO(), stderr=err, env=env) == 0, err.getvalue()
        finally:
            os.chdir(cwd)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
    done = subprocess.run([sys.executable, "-m", "cmldyn", *repl], input="api.list_pets() | [].name\n", text=True,
                          capture_output=True, timeout=60, cwd=ROOT, env=env)
    assert done.returncode == 0 and done.stdout.startswith("["), done.stderr


def test_the_simulator_sections_python_block_runs() -> None:
    code = blocks(section("The simulator"), "python")[0]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_workflow_sections_lines_run_as_written() -> None:
    lines = [line.split("  #")[0].strip() for line in
             blocks(section("Workflows: environments, runtime upgrades, AMPs"), "sh")[0].splitlines()]
    commands = [shlex.split(line)[1:] for line in lines if line.startswith("cmldyn ")]
    assert len(commands) == 7 and {c[1] if c[0] == "--demo" else c[0] for c in commands} == {"env", "app", "amp"}
    env = {k: v for k, v in os.environ.items() if k not in ("CML_API_KEY", "CMLDYN_TOKEN", "CML_HOST")}
    cwd = os.getcwd()
    os.chdir(ROOT)  # the README's paths are relative to a checkout
    try:
        for words in commands:
            out, err = io.StringIO(), io.StringIO()
            code = main(words, stdout=out, stderr=err, env=env, stdin=io.StringIO())
            expected = 1 if words[:2] == ["amp", "lint"] else 0  # the example AMP has warnings, on purpose
            assert code == expected, (words, err.getvalue())
            assert "Traceback" not in err.getvalue() and "k-123" not in out.getvalue() + err.getvalue()
    finally:
        os.chdir(cwd)
