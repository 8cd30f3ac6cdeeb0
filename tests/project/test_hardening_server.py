"""Issue 17, the server side: each defect of the red-team review has a regression test here.

D01 duplicate keys in /api/screen and the CDS prefetch, D09 huge integers, D10 lone surrogates, D14 CPU
work bounded and off the event loop, D18 the canonical URL in the discovery prefetch, D19 long keys,
and one replay record shared by every worker (SQLite and a real PostgreSQL).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import replace_in
from fhir_support import fill
from paths import ROOT
from server_support import ISSUER, PATIENT_VIEW, Signer, client, hook_request, searchset, service_url, write_jwks
from trafficscreen.content.loader import load_set
from trafficscreen.errors import TrafficscreenError
from trafficscreen.fhir import questionnaire
from trafficscreen.server import ServerConfig, ServerConfigError, create_app
from trafficscreen.server.cds import prefetch_query
from trafficscreen.server.state import ReplayStoreError, SqliteReplayStore, open_replay_store

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def dev() -> Iterator[TestClient]:
    with client(ServerConfig(insecure_dev_no_auth=True, jurisdiction="GB")) as c:
        yield c


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.ec()


@pytest.fixture(scope="module")
def jwks(tmp_path_factory: pytest.TempPathFactory, signer: Signer) -> Path:
    return write_jwks(tmp_path_factory.mktemp("keys") / "jwks.json", signer)


def assert_json_error(r: Any, status: int, *words: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert list(body) == ["error", "code"] and "\n" not in body["error"] and "Traceback" not in r.text
    for w in words:
        assert w in body["error"]
    return str(body["error"])


def qr_text(answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    q = questionnaire(load_set("paediatric-default"), "R4B", "en")
    resource = fill(q, answers, qr_id="qr-1")
    resource["subject"] = {"reference": "Patient/pat-1"}
    resource.update(extra)
    return resource


# --- D01 ---------------------------------------------------------------------------------------------


def test_d01_api_screen_refuses_duplicate_keys(dev: TestClient) -> None:
    body = '{"answers": {"works_long_hours": true, "works_long_hours": false}}'
    assert_json_error(dev.post("/api/screen", content=body, headers=JSON), 400, "duplicate key 'works_long_hours'")


def test_d01_cds_prefetch_refuses_duplicate_keys(dev: TestClient) -> None:
    body = json.dumps(hook_request(prefetch={"questionnaireResponse": searchset(qr_text({}))}))
    assert body.count('"status": "completed"') == 1
    body = body.replace('"status": "completed"', '"status": "completed", "status": "entered-in-error"')
    r = dev.post(f"/cds-services/{PATIENT_VIEW}", content=body, headers=JSON)
    assert_json_error(r, 400, "duplicate key 'status'")


# --- D09, D10 ----------------------------------------------------------------------------------------


def test_d09_huge_integer_is_a_400(dev: TestClient) -> None:
    body = '{"answers": {"age_years": ' + "9" * 5000 + "}}"
    text = assert_json_error(dev.post("/api/screen", content=body, headers=JSON), 400, "digits")
    assert "9999" not in text
    hook = json.dumps(hook_request(prefetch={"questionnaireResponse": None}))[:-1] + ', "n": ' + "9" * 5000 + "}"
    assert_json_error(dev.post(f"/cds-services/{PATIENT_VIEW}", content=hook, headers=JSON), 400, "digits")


def test_d10_lone_surrogate_is_a_400(dev: TestClient) -> None:
    body = '{"id": "\\ud800", "answers": {"works_long_hours": true}}'
    assert_json_error(dev.post("/api/screen", content=body, headers=JSON), 400, "'id'", "surrogate")
    hook = json.dumps(hook_request(prefetch={"questionnaireResponse": searchset(qr_text({}, id="QRID"))}))
    hook = hook.replace('"QRID"', '"\\udc00"')
    assert_json_error(dev.post(f"/cds-services/{PATIENT_VIEW}", content=hook, headers=JSON), 400, "surrogate")


# --- D14 ---------------------------------------------------------------------------------------------


def test_d14_near_miss_keys_cost_few_suggestions(dev: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import difflib

    calls = 0
    real = difflib.get_close_matches

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    answers = {f"works_long_hourx{n:05d}": True for n in range(8000)}
    body = json.dumps({"answers": answers})
    assert 200_000 < len(body) < 256 * 1024
    assert_json_error(dev.post("/api/screen", content=body, headers=JSON), 422, "more problem")
    assert calls <= 3


def test_d14_healthz_answers_while_a_screening_is_in_flight() -> None:
    app = create_app(ServerConfig(insecure_dev_no_auth=True, jurisdiction="GB"))
    service = app.state.service
    entered, release = threading.Event(), threading.Event()
    released: list[bool] = []

    class Held:
        """The screener, held inside screen() until the test has had /healthz answered."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.set = inner.set

        def screen(self, *args: Any, **kwargs: Any) -> Any:
            entered.set()
            released.append(release.wait(20))  # on the event loop this would hold /healthz back too
            return self.inner.screen(*args, **kwargs)

    service.screener = Held(service.screener)
    answers: list[int] = []
    with TestClient(app) as c:
        worker = threading.Thread(
            target=lambda: answers.append(
                c.post("/api/screen", json={"answers": {"works_long_hours": True}}).status_code
            )
        )
        worker.start()
        assert entered.wait(60)
        health = c.get("/healthz")  # answered while the screening is still held
        release.set()
        worker.join(60)
    assert health.status_code == 200
    assert released == [True] and answers == [200]


# --- D18 ---------------------------------------------------------------------------------------------

HOSTILE_URLS = [
    "https://evil.example/fhir/Questionnaire/x&_count=1000",
    "https://evil.example/Questionnaire/x?_include=*",
    "https://evil.example/Questionnaire/x#frag",
    "https://evil.example/Questionnaire/{{context.userId}}",
    "https://user@evil.example/Questionnaire/x",
    "http://plain.example/Questionnaire/x",
    "https://evil.example/Questionnaire/x y",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_d18_prefetch_refuses_an_unsafe_questionnaire_url(url: str) -> None:
    with pytest.raises(ServerConfigError, match="canonical_url"):
        prefetch_query(url, "1.0.0")


def test_d18_prefetch_query_is_built_safely() -> None:
    query = prefetch_query("https://trafficscreen.org/fhir/Questionnaire/paediatric-default", "1.0.0+b.1")
    params = parse_qs(urlsplit(query).query)
    assert sorted(params) == ["_count", "_sort", "questionnaire", "subject"]
    assert params["questionnaire"] == ["https://trafficscreen.org/fhir/Questionnaire/paediatric-default|1.0.0+b.1"]
    assert query.count("{{") == 1 and "{{context.patientId}}" in query


def test_d18_a_set_with_a_hostile_canonical_url_does_not_serve(content: Path) -> None:
    path = content / "sets" / "mini" / "1.0.0.yaml"
    replace_in(
        path,
        "status: active\n",
        'status: active\ncanonical_url: "https://evil.example/x&_count=1000&subject=Patient/other"\n',
    )
    with pytest.raises(TrafficscreenError, match="canonical_url"):
        create_app(ServerConfig(set_ref=str(path), insecure_dev_no_auth=True, jurisdiction="GB"))


# --- D19 ---------------------------------------------------------------------------------------------


def test_d19_long_keys_are_not_echoed_by_the_api(dev: TestClient) -> None:
    for body in ({"a" * 50_000: 1}, {"answers": {"b" * 50_000: True}}):
        text = assert_json_error(dev.post("/api/screen", json=body), 422)
        assert len(text) < 300 and "a" * 41 not in text and "b" * 41 not in text


# --- one replay record for every worker ----------------------------------------------------------------


def two_workers(config: ServerConfig) -> tuple[TestClient, TestClient]:
    """Two application instances with the same settings: two workers of one deployment."""
    return client(config), client(config)


def call(worker: TestClient, token: str) -> Any:
    return worker.post(
        f"/cds-services/{PATIENT_VIEW}", json=hook_request(), headers={"Authorization": f"Bearer {token}"}
    )


def assert_replay_refused_across_workers(config: ServerConfig, signer: Signer) -> None:
    first, second = two_workers(config)
    with first, second:
        token = signer.token(service_url())
        assert call(first, token).status_code == 200
        r = call(second, token)
        assert_json_error(r, 401, "replay")
        assert_json_error(call(first, token), 401, "replay")
        other = signer.token(service_url())
        assert call(second, other).status_code == 200
        assert_json_error(call(first, other), 401, "replay")


def test_replay_refused_by_another_worker_sqlite_state_dir(jwks: Path, signer: Signer, tmp_path: Path) -> None:
    config = ServerConfig(jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", state_dir=tmp_path / "state")
    assert_replay_refused_across_workers(config, signer)
    assert (tmp_path / "state" / "replay.sqlite3").is_file()


def test_replay_refused_by_another_worker_sqlite_url(jwks: Path, signer: Signer, tmp_path: Path) -> None:
    config = ServerConfig(
        jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", replay_store=f"sqlite:///{tmp_path}/shared/jti.db"
    )
    assert_replay_refused_across_workers(config, signer)


def test_replay_refused_by_another_worker_process(jwks: Path, signer: Signer, tmp_path: Path) -> None:
    """A worker in another process (as ``serve --workers N`` starts them) shares the SQLite record."""
    import subprocess
    import sys

    config = ServerConfig(jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", state_dir=tmp_path / "state")
    token = signer.token(service_url())
    script = (
        "import sys, json\n"
        "from starlette.testclient import TestClient\n"
        "from trafficscreen.server import ServerConfig, create_app\n"
        "sys.path.insert(0, 'tests')\n"
        "from server_support import hook_request\n"
        "c = TestClient(create_app(ServerConfig.from_json(sys.argv[1])), base_url='http://testserver')\n"
        "r = c.post('/cds-services/trafficscreen-patient-view', json=hook_request(),\n"
        "           headers={'Authorization': 'Bearer ' + sys.argv[2]})\n"
        "print(r.status_code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, config.to_json(), token],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.stdout.strip() == "200", done.stderr[-2000:]
    with client(config) as here:
        assert_json_error(call(here, token), 401, "replay")


def test_replay_store_settings_are_checked(jwks: Path, tmp_path: Path) -> None:
    for bad in ("mysql://db/x", "sqlite://relative.db", "file.db"):
        with pytest.raises(ServerConfigError) as info:
            ServerConfig(replay_store=bad)
        assert bad not in str(info.value)
    secret = "postgresql://u:s3cret@127.0.0.1:1/db"
    with pytest.raises(ServerConfigError) as info:
        create_app(ServerConfig(jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", replay_store=secret))
    assert "s3cret" not in str(info.value)
    config = ServerConfig(state_dir=tmp_path, replay_store="memory")
    assert ServerConfig.from_json(config.to_json()) == config


def test_a_replay_store_that_fails_is_a_503(jwks: Path, signer: Signer, tmp_path: Path) -> None:
    with client(ServerConfig(jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", state_dir=tmp_path)) as c:
        service = cast(Starlette, c.app).state.service  # TestClient keeps the app as a plain ASGI callable
        service.verifier.replays.close()
        assert_json_error(call(c, signer.token(service_url())), 503, "replay")
    store = open_replay_store(None, tmp_path / "direct")
    assert isinstance(store, SqliteReplayStore)
    store.close()
    with pytest.raises(ReplayStoreError):
        store.first_use("i", "j", 10.0, 0.0)


# --- the same against a real PostgreSQL --------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    from sql_support import Postgres, postgres_bin

    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (scripts/setup.d/30-postgresql.sh)")
    server = Postgres(bindir)
    try:
        yield f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
    finally:
        server.stop()


@pytest.mark.postgres
def test_replay_refused_by_another_worker_postgres(jwks: Path, signer: Signer, postgres_url: str) -> None:
    config = ServerConfig(jwks=jwks, issuers=(ISSUER,), jurisdiction="GB", replay_store=postgres_url)
    assert_replay_refused_across_workers(config, signer)


@pytest.mark.postgres
def test_postgres_store_forgets_expired_tokens(postgres_url: str) -> None:
    from trafficscreen.server.state import PostgresReplayStore

    a, b = PostgresReplayStore(postgres_url), PostgresReplayStore(postgres_url)
    try:
        now = 1_000_000.0
        assert a.first_use("iss", "t-1", now + 10, now)
        assert not b.first_use("iss", "t-1", now + 10, now)
        assert b.first_use("other-iss", "t-1", now + 10, now)
        assert b.first_use("iss", "t-1", now + 10, now + 1000)  # long expired: no longer a replay
    finally:
        a.close()
        b.close()


def test_serve_options_name_the_shared_store(tmp_path: Path) -> None:
    from trafficscreen.cli import build_parser
    from trafficscreen.cli.serve import build_config, cmd_serve

    args = build_parser().parse_args(
        ["serve", "--state-dir", str(tmp_path), "--replay-store", "postgresql://ts@db.example/ts"]
    )
    config = build_config(args)
    assert config.state_dir == tmp_path and config.replay_store == "postgresql://ts@db.example/ts"
    args = build_parser().parse_args(["serve", "--workers", "2", "--replay-store", "memory"])
    with pytest.raises(ServerConfigError, match="one process"):
        cmd_serve(args)
