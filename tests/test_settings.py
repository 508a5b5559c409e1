"""The settings chain (flags, then the environment, then the profile) and the route it feeds:
settings -> transport -> loader -> loaded spec -> Client, each step going only downward."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cmldyn
from cmldyn import errors
from cmldyn.config import Profile, save_profile
from cmldyn.settings import Settings, resolve
from cmldyn.simulator import Simulator

from .conftest import CANARY, CML_SPEC, ROOT


def test_flags_win_over_the_environment_which_wins_over_the_profile(tmp_path: Path) -> None:
    config = str(tmp_path / "config.toml")
    save_profile(Profile(name="default", host="https://profile.example", key="profile-key", ca_cert="/p/ca.pem"), config)
    env = {"CML_HOST": "https://env.example", "CML_API_KEY": "env-key"}
    assert resolve({"host": "https://flag.example", "token": "flag-key"}, env, config_path=config).host == "https://flag.example"
    from_env = resolve({}, env, config_path=config)
    assert (from_env.host, from_env.token, from_env.ca_cert) == ("https://env.example", "env-key", None)
    from_profile = resolve({}, {}, config_path=config)
    assert (from_profile.host, from_profile.token, from_profile.ca_cert, from_profile.profile) == (
        "https://profile.example", "profile-key", "/p/ca.pem", "default")


def test_a_cml_session_is_found_from_its_cdsw_variables() -> None:
    found = resolve({}, {"CDSW_DOMAIN": "ml-x.example", "CDSW_APIV2_KEY": "k2"})
    assert (found.host, found.token) == ("https://ml-x.example", "k2")
    found = resolve({}, {"CDSW_API_URL": "https://ml-y.example/api/v1", "CDSW_APIV2_KEY": "k2"})
    assert found.base_url == "https://ml-y.example"


def test_a_profile_key_never_goes_to_a_host_from_the_environment(tmp_path: Path) -> None:
    """CML_HOST names another workspace than the default profile's: its key is not used for it."""
    config = str(tmp_path / "config.toml")
    save_profile(Profile(name="default", host="https://prod.example", key="prod-key"), config)
    other = resolve({}, {"CML_HOST": "https://other.example"}, config_path=config)
    assert other.host == "https://other.example" and other.token is None
    same = resolve({}, {"CML_HOST": "prod.example"}, config_path=config)
    assert same.token == "prod-key"  # the same workspace, written without the scheme
    named = resolve({"profile": "default"}, {"CML_HOST": "https://other.example"}, config_path=config)
    assert named.token == "prod-key"  # a profile named explicitly is the user's choice


def test_secrets_come_from_the_settings() -> None:
    assert Settings(token=CANARY).secrets == (CANARY,)
    assert Settings().secrets == ()
    assert CANARY not in repr(Settings(host="h", token=CANARY))


def test_default_client_uses_the_same_chain(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CML_HOST", sim.url)
    monkeypatch.setenv("CML_API_KEY", CANARY)
    api = cmldyn.default_client()
    assert api.host == sim.url and api.list_projects(page_size=1).projects
    with pytest.raises(errors.ParamError, match="unknown option 'timout'.*did you mean 'timeout'"):
        cmldyn.default_client(timout=3)


def test_a_client_built_from_a_loaded_spec_does_no_io() -> None:
    """Client.__init__ given a loaded model opens no file and no socket (an audit hook watches)."""
    code = f"""
import sys
from cmldyn.client import Client, RESERVED
from cmldyn.loader import SpecLoader
from cmldyn.settings import Settings
from cmldyn.transport import Transport
loaded = SpecLoader(reserved=RESERVED).load({str(CML_SPEC)!r})
transport = Transport.from_settings(Settings(host="http://127.0.0.1:9", token="k"))
seen = []
sys.addaudithook(lambda event, args: seen.append(event) if event in ("open", "socket.connect", "socket.__new__") else None)
api = Client(transport=transport, loaded=loaded)
api.prepare("list_projects", page_size=1)
print(len(api.operations), seen)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.stdout.split(None, 1) == ["158", "[]\n"], done.stderr


def test_the_loader_reports_how_it_got_the_spec(sim: Simulator, tmp_path: Path) -> None:
    from cmldyn.client import spec_loader

    settings = Settings(host=sim.url, token=CANARY)
    loader = spec_loader(settings, cache=str(tmp_path / "cache"))
    url = sim.url + "/api/v2/swagger.json"
    assert loader.load(url).state == "fetched"
    again = loader.load(url)
    assert again.state == "cache (not modified)" and again.cache_path is not None
    assert loader.load(str(CML_SPEC)).state == "file"
    assert loader.diff(url) == (again.cache_path, [], [])
