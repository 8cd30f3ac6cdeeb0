"""``trafficscreen serve``: settings are checked before anything listens; bad ones are one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from trafficscreen.cli import build_parser, main
from trafficscreen.cli.serve import build_config


def one_line_error(capsys: pytest.CaptureFixture[str], words: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trafficscreen: error: ") and words in err, err
    assert "Traceback" not in err


def test_defaults_bind_to_loopback() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8080)
    config = build_config(args)
    assert config.frame_ancestors == ("'self'",) and not config.insecure_dev_no_auth
    assert not config.auth_configured and config.cors_origins == ()


def test_options_reach_the_config(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    args = build_parser().parse_args(
        [
            "serve",
            "--lang",
            "pt",
            "--jurisdiction",
            "PT",
            "--jwks",
            str(jwks),
            "--issuer",
            "https://a.example",
            "--issuer",
            "https://b.example",
            "--frame-ancestors",
            "'self'",
            "https://ehr.example.org",
            "--public-url",
            "https://cds.example/",
            "--fhir-server",
            "https://fhir.example/r4",
        ]
    )
    config = build_config(args)
    assert config.issuers == ("https://a.example", "https://b.example")
    assert config.frame_ancestors == ("'self'", "https://ehr.example.org")
    assert config.public_url == "https://cds.example" and config.fhir_servers == ("https://fhir.example/r4",)
    assert config.jurisdiction_for("nb") == "PT"


def test_insecure_mode_only_on_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--insecure-dev-no-auth", "--host", "0.0.0.0"]) == 2
    one_line_error(capsys, "loopback")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--frame-ancestors", "https://ehr.example.org; script-src *"], "frame-ancestors"),
        (["--jwks", "/no/such/jwks.json", "--issuer", "x"], "no such JWKS file"),
        (["--site", "/no/such/site.yaml"], "no such site file"),
        (["--lang", "de"], "not supported"),
        (["--port", "0"], "--port"),
        (["--public-url", "ftp://cds.example"], "public URL"),
        (["--set", "no-such-set"], "no-such-set"),
        (["--jurisdiction", "XX"], "XX"),
    ],
)
def test_bad_settings(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    assert main(["serve", *argv]) == 2
    one_line_error(capsys, words)


def test_jurisdiction_follows_site_then_language() -> None:
    config = build_config(build_parser().parse_args(["serve"]))
    assert [config.jurisdiction_for(lang) for lang in ("en", "pt", "nb")] == ["GB", "PT", "NO"]
    assert config.jurisdiction_for("en", site_jurisdiction="US") == "US"


def test_worker_processes_rebuild_the_same_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trafficscreen.server import ServerConfig, ServerConfigError
    from trafficscreen.server.app import CONFIG_ENV, app_from_environment

    site = tmp_path / "site.yaml"
    site.write_text("kind: site\n")
    config = ServerConfig(
        lang="pt",
        jurisdiction="PT",
        site=site,
        issuers=("https://a.example",),
        frame_ancestors=("'self'", "https://ehr.example.org"),
        fhir_servers=("https://f.example",),
    )
    assert ServerConfig.from_json(config.to_json()) == config
    with pytest.raises(ServerConfigError, match="unknown server setting"):
        ServerConfig.from_json('{"debug": true}')
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(ServerConfigError, match=CONFIG_ENV):
        app_from_environment()
    monkeypatch.setenv(CONFIG_ENV, ServerConfig(lang="nb").to_json())
    assert app_from_environment().state.service.config.lang == "nb"


def test_bad_worker_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0"]) == 2
    one_line_error(capsys, "--workers")
