"""Spec cache, profiles, configure, shell completion: files private, atomic, and never holding the key."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.cache import SpecCache
from cmldyn.cli import main
from cmldyn.config import Profile, load_profiles, save_profile
from cmldyn.errors import ConfigError
from cmldyn.simulator import Simulator
from cmldyn.storage import write_private

from .conftest import CANARY, assert_no_canary


def run(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err, stdin=io.StringIO(stdin), env=env if env is not None else {})
    assert_no_canary(out.getvalue(), err.getvalue())
    return code, out.getvalue(), err.getvalue()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*")]


def test_cache_revalidates_with_one_conditional_request(fresh_sim: Simulator, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    first = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert first.spec_state == "fetched"
    fresh_sim.forget()
    second = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert second.spec_state == "cache (not modified)"
    assert len(fresh_sim.seen) == 1 and fresh_sim.seen[0].headers.get("If-None-Match", "").startswith('"')
    fresh_sim.forget()
    offline = cmldyn.Client(fresh_sim.url, CANARY, cache=cache, offline=True)
    assert offline.spec_state == "cache (offline)" and fresh_sim.seen == []
    assert len(offline.operations) == 158


def test_cache_files_are_private_and_hold_no_key(fresh_sim: Simulator, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        cmldyn.Client(fresh_sim.url, CANARY, cache=str(tmp_path / "c"))
    finally:
        os.umask(old)
    files = all_files(tmp_path / "c")
    assert files
    for path in files:
        assert mode(path) == 0o600
        assert CANARY not in path.read_text()
    assert mode(tmp_path / "c") == 0o700


@pytest.mark.parametrize("damage", ["tamper", "world-writable", "garbage", "spec missing", "symlink"])
def test_a_damaged_cache_is_ignored_with_a_warning_and_rewritten(fresh_sim: Simulator, tmp_path: Path, damage: str) -> None:
    cache = str(tmp_path / "c")
    client = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    meta = Path(client.cache_path or "")
    spec_file = meta.with_suffix(".spec")
    original = spec_file.read_bytes()
    if damage == "tamper":
        spec_file.write_bytes(original.replace(b"ListProjects", b"ListProjectz"))
    elif damage == "world-writable":
        spec_file.chmod(0o666)
    elif damage == "garbage":
        meta.write_text("{nope")
    elif damage == "symlink":  # a link to a copy elsewhere: not trusted, replaced, the copy left alone
        elsewhere = tmp_path / "elsewhere.spec"
        elsewhere.write_bytes(original)
        spec_file.unlink()
        spec_file.symlink_to(elsewhere)
    else:
        spec_file.unlink()
    again = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert again.spec_state == "fetched"
    if damage != "spec missing":
        assert any("spec cache ignored" in w for w in again.spec_warnings)
    assert mode(meta) == 0o600 and mode(spec_file) == 0o600 and not spec_file.is_symlink()
    assert spec_file.read_bytes() == original
    assert again.list_projects(page_size=1).projects
    offline = cmldyn.Client(fresh_sim.url, CANARY, cache=cache, offline=True)  # the replaced copy serves
    assert offline.spec_state == "cache (offline)" and not offline.spec_warnings
    if damage == "symlink":
        assert (tmp_path / "elsewhere.spec").read_bytes() == original


def test_the_cli_says_once_why_a_cache_file_was_not_used(fresh_sim: Simulator, tmp_path: Path) -> None:
    import io

    from cmldyn.cli import main

    def ops() -> str:
        err = io.StringIO()
        assert main(["--host", fresh_sim.url, "--token", CANARY, "ops", "zzz"], stdout=io.StringIO(), stderr=err,
                    env={}) == 0
        return err.getvalue()

    assert ops() == ""
    cached = next(Path(os.environ["XDG_CACHE_HOME"]).rglob("*.spec"))  # the test's own home (conftest)
    cached.chmod(0o666)
    first = ops()
    assert first.startswith("cmldyn: warning: spec cache ignored: ") and "readable or writable by others" in first
    assert "replaced with a private one" in first and first.count("\n") == 1
    assert ops() == ""  # replaced: nothing to say the next time


def test_offline_without_a_cache_is_a_spec_error(fresh_sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(errors.SpecError, match="no cached spec"):
        cmldyn.Client(fresh_sim.url, CANARY, cache=str(tmp_path / "empty"), offline=True)


def test_a_changed_spec_reports_operations_added_and_removed(fresh_sim: Simulator, tmp_path: Path) -> None:
    cache = SpecCache(str(tmp_path / "c"))
    client = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    entry = cache.get(client.transport.origin, client.spec_source)  # type: ignore[arg-type]
    assert entry is not None
    # Pretend the cached copy was an older workspace: one operation fewer, one that has gone since.
    names = [n for n in entry.operations if n != "list_projects"] + ["old_gone_operation"]
    cache.put(client.transport.origin, client.spec_source, entry.text + " ", etag='"old"', last_modified=None, operations=names)  # type: ignore[arg-type]
    refreshed = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert refreshed.spec_state == "fetched"
    assert refreshed.spec_changes == (["list_projects"], ["old_gone_operation"])


def test_interrupted_write_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "d" / "file.json"
    write_private(str(target), b"old")

    def boom(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        write_private(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_symlinked_cache_file_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("keep")
    d = tmp_path / "d"
    d.mkdir(mode=0o700)
    (d / "link").symlink_to(elsewhere)
    with pytest.raises(Exception, match="symbolic link"):
        write_private(str(d / "link"), b"x")
    assert elsewhere.read_text() == "keep"


# ------------------------------------------------------------------ profiles

def test_profiles_supply_host_and_key_after_flags_and_environment(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    save_profile(Profile(name="lab", host=sim.url, key_env="LAB_KEY"), str(config))
    save_profile(Profile(name="default", host="http://127.0.0.1:9", key="not-used"), str(config))
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(config))
    code, out, err = run(["--profile", "lab", "call", "list_projects", "-q", "length(projects)"], env={"LAB_KEY": CANARY})
    assert code == 0, err
    assert json.loads(out) >= 6
    # flags win over the profile
    code, out, _ = run(
        ["--profile", "default", "--host", sim.url, "--token", CANARY, "call", "list_projects", "-q", "length(projects)"]
    )
    assert code == 0
    code, _, err = run(["--profile", "nope", "call", "list_projects"])
    assert code == 2 and "no profile 'nope'" in err


def test_key_command_profile(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    save_profile(Profile(name="default", host=sim.url, key_command=f"echo {CANARY}"), str(config))
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(config))
    code, out, err = run(["call", "list_projects", "-q", "length(projects)"])
    assert code == 0, err


def test_configure_asks_for_the_key_and_writes_a_private_file(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "conf" / "config.toml"
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(config))
    old = os.umask(0)
    try:
        code, out, err = run(["--profile", "work", "configure", "--host", sim.url], stdin=CANARY + "\n")
    finally:
        os.umask(old)
    assert code == 0, err
    assert "profile 'work' saved" in out
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
    assert load_profiles(str(config))["work"].key == CANARY
    code, out, _ = run(["--profile", "work", "call", "list_projects", "-q", "length(projects)"])
    assert code == 0


def test_invalid_config_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.a]\nhost = "x"\nkey = \n')
    config.chmod(0o600)
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(config))
    code, _, err = run(["call", "list_projects"])
    assert code == 2 and f"{config}:3" in err
    with pytest.raises(ConfigError, match="unknown field 'hots'"):
        config.write_text('[profiles.a]\nhots = "x"\n')
        load_profiles(str(config))


def test_a_key_in_a_readable_config_warns_with_the_fix(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    save_profile(Profile(name="default", host=sim.url, key=CANARY), str(config))
    config.chmod(0o644)
    monkeypatch.setattr("cmldyn.config.default_config_path", lambda: str(config))
    code, _, err = run(["call", "list_projects", "-q", "length(projects)"])
    assert code == 0 and f"chmod 600 {config}" in err


# ------------------------------------------------------------------ spec command and completion


def test_spec_show_refresh_diff(fresh_sim: Simulator) -> None:
    g = ["--host", fresh_sim.url, "--token", CANARY]
    code, out, _ = run(g + ["spec"])
    shown = json.loads(out)
    assert code == 0 and shown["state"] == "fetched" and shown["cache"].endswith(".json")
    assert json.loads(run(g + ["spec", "show"])[1])["state"] == "cache (not modified)"
    refreshed = json.loads(run(g + ["spec", "refresh"])[1])
    assert refreshed["state"] == "fetched" and refreshed["added"] == [] and refreshed["removed"] == []
    code, out, _ = run(g + ["spec", "diff"])
    assert code == 0 and json.loads(out)["added"] == [] and json.loads(out)["removed"] == []
    assert json.loads(run(g + ["--offline", "spec"])[1])["state"] == "cache (offline)"


def test_completion_scripts_and_candidates(fresh_sim: Simulator) -> None:
    code, out, _ = run(["completion", "bash"])
    assert code == 0 and "complete -o default -F _cmldyn_complete cmldyn" in out
    assert "bashcompinit" in run(["completion", "zsh"])[1]
    env = {"CML_HOST": fresh_sim.url, "CML_API_KEY": CANARY}
    assert run(["call", "list_projects", "-q", "length(projects)"], env=env)[0] == 0  # caches the spec
    fresh_sim.forget()
    code, out, _ = run(["__complete", "1", "cmldyn", "ca"], env=env)
    assert out.split() == ["call"]
    code, out, _ = run(["__complete", "2", "cmldyn", "call", "list_proj"], env=env)
    assert "list_projects" in out.split()
    code, out, _ = run(["__complete", "3", "cmldyn", "call", "list_projects", "--page"], env=env)
    assert set(out.split()) == {"--page-size", "--page-token"}
    assert fresh_sim.seen == []  # completion reads the cache only


def test_a_cache_hit_reuses_the_operation_index_only_from_the_same_version(
    fresh_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = str(tmp_path / "c")
    cold = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    calls: list[int] = []
    original = cmldyn.model.ServiceModel._index
    monkeypatch.setattr(cmldyn.model.ServiceModel, "_index", lambda self: (calls.append(1), original(self))[1])
    warm = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert calls == [] and warm.spec_state == "cache (not modified)"
    assert warm.model.table() == cold.model.table()
    assert [p.name for p in warm.operation("create_job_run").positional] == ["body", "project_id", "job_id"]
    assert warm.call("ListProjects", pageSize=1).projects
    path = Path(cold.cache_path or "")
    record = json.loads(path.read_text())
    record["table"]["made_by"] = "0.0.1:other"
    write_private(str(path), json.dumps(record).encode())
    again = cmldyn.Client(fresh_sim.url, CANARY, cache=cache)
    assert calls == [1] and again.model.table() == cold.model.table()


def test_spec_diff_honours_the_timeout(tmp_path: Path) -> None:
    import time as clock

    from .helpers import RawServer

    server = RawServer(lambda conn: clock.sleep(5))  # never answers the spec request
    try:
        started = clock.monotonic()
        code, _, err = run(["--host", server.url, "--token", CANARY, "--timeout", "1", "--deadline", "2", "spec", "diff"])
        assert code == 3 and ("timeout" in err or "deadline" in err), err
        assert clock.monotonic() - started < 4
    finally:
        server.close()
