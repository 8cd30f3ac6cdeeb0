"""Server load: the CDS Hooks ``patient-view`` endpoint under a bounded loopback load.

``trafficscreen serve`` runs in one process on 127.0.0.1 (a free port, the EHR's public key in a JWKS
file); a second process sends a fixed number of hook calls from 8 concurrent clients, each call with its
own freshly signed ES384 JWT (the service refuses a replayed ``jti``) and a prefetched
QuestionnaireResponse that reaches the 'refer' level, so every answer carries a full card with guidance
in Markdown. Tokens and bodies are prepared before the clock starts. Reported: requests per second and
p50/p99 latency as the clients see it, and the number of failed calls (any status but 200).

Run through ``make bench`` or alone: ``python benchmarks/bench_server.py [REQUESTS]``. Only 127.0.0.1 is
ever contacted; the run stops by itself.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 2000
CLIENTS = 8
WARMUP = 100
ISSUER = "https://ehr.bench.example"
SERVICE = "trafficscreen-patient-view"
Row = tuple[str, float, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _hook_body() -> bytes:
    """A patient-view call whose prefetched response reaches 'refer' with the default set."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fhir_support import default_screener, fill
    from levels import answers_reaching
    from trafficscreen.fhir import questionnaire
    from trafficscreen.model.common import Level

    screener = default_screener()
    answers = answers_reaching(screener, Level.REFER)
    qr = fill(questionnaire(screener.set, "R4B", "en"), answers, qr_id="bench-qr")
    qr["subject"] = {"reference": "Patient/bench-patient"}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": qr, "search": {"mode": "match"}}]}
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/bench", "patientId": "bench-patient"},
        "prefetch": {"questionnaireResponse": bundle},
    }
    return json.dumps(body).encode()


def _client(port: int, key_pem: str, kid: str, n: int, clients: int, body_path: str) -> dict[str, Any]:
    """The load generator (run in its own process): n calls from `clients` threads, keep-alive."""
    import jwt

    aud = f"http://127.0.0.1:{port}/cds-services/{SERVICE}"
    body = Path(body_path).read_bytes()
    now = int(time.time())
    total = n + WARMUP
    tokens = [
        jwt.encode(
            {"iss": ISSUER, "sub": "bench", "aud": aud, "iat": now, "exp": now + 280, "jti": str(uuid.uuid4())},
            key_pem,
            algorithm="ES384",
            headers={"kid": kid},
        )
        for _ in range(total)
    ]
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    failures = [0]

    def worker(measure_from: int, stop_at: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while True:
                with lock:
                    i = next_index[0]
                    if i >= stop_at:
                        return
                    next_index[0] += 1
                headers = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"}
                start = time.perf_counter()
                conn.request("POST", f"/cds-services/{SERVICE}", body=body, headers=headers)
                reply = conn.getresponse()
                reply.read()
                elapsed = time.perf_counter() - start
                with lock:
                    if reply.status != 200:
                        failures[0] += 1
                    if i >= measure_from:
                        latencies.append(elapsed)
        finally:
            conn.close()

    def run(first: int, stop_at: int) -> float:
        threads = [threading.Thread(target=worker, args=(first, stop_at)) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    run(total, WARMUP)  # warm-up calls, not measured
    failures[0] = 0
    wall = run(WARMUP, total)
    latencies.sort()
    return {
        "requests": len(latencies),
        "wall": wall,
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, round(0.99 * len(latencies)) - 1)] * 1000,
        "max_ms": latencies[-1] * 1000,
        "failures": failures[0],
    }


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), or None where /proc is not available."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_ready(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not become ready in time")


def measure(requests: int = REQUESTS, clients: int = CLIENTS, workers: int = 1) -> dict[str, Any]:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP384R1())
    kid = "bench-key"
    with tempfile.TemporaryDirectory() as tmp:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "ES384"})
        jwks = Path(tmp) / "jwks.json"
        jwks.write_text(json.dumps({"keys": [jwk]}))
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        key_file = Path(tmp) / "key.pem"
        key_file.write_text(pem)
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(_hook_body())
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trafficscreen.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--jwks",
                str(jwks),
                "--issuer",
                ISSUER,
                "--jurisdiction",
                "GB",
                "--workers",
                str(workers),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(port, server)
            cpu_before = _cpu_seconds(server.pid) if workers == 1 else None
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    str(port),
                    str(key_file),
                    kid,
                    str(requests),
                    str(clients),
                    str(body_file),
                ],
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
            cpu_after = _cpu_seconds(server.pid) if workers == 1 else None
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        data: dict[str, Any] = json.loads(out.stdout)
        if cpu_before is not None and cpu_after is not None:
            data["cpu_ms_per_call"] = (cpu_after - cpu_before) * 1000 / (requests + WARMUP)
        return data


_LOAD: list[str] = []


def run() -> list[Row]:
    rows: list[Row] = []
    _LOAD.clear()
    one = measure(requests=500, clients=1)
    _LOAD.append(f"{os.getloadavg()[0]:.1f}")
    rows += [
        (f"cds hook patient-view, {one['requests']} calls, 1 client: throughput", one["rps"], "req/s"),
        (f"cds hook patient-view, {one['requests']} calls, 1 client: p50 latency", one["p50_ms"], "ms"),
    ]
    for workers in (1, 2):
        r = measure(workers=workers)
        _LOAD.append(f"{os.getloadavg()[0]:.1f}")
        label = f"cds hook patient-view, {r['requests']} calls, {CLIENTS} clients, {workers} worker(s)"
        rows += [
            (f"{label}: throughput", r["rps"], "req/s"),
            (f"{label}: p50 latency", r["p50_ms"], "ms"),
            (f"{label}: p99 latency (goal < 50 ms)", r["p99_ms"], "ms"),
            (f"{label}: slowest call", r["max_ms"], "ms"),
            (f"{label}: failed calls", float(r["failures"]), "calls"),
        ]
        if "cpu_ms_per_call" in r:
            rows.append((f"{label}: server CPU time per call", r["cpu_ms_per_call"], "ms"))
    return rows


def notes() -> list[str]:
    return [
        "the server's worker process(es) and the load generator share this machine's cores; each call verifies",
        "an ES384 JWT, reads a prefetched QuestionnaireResponse, screens it and renders the guidance card",
        "(no caching of results); with 8 clients a call waits for the calls ahead of it, so p50 is about",
        "8 x the server CPU time per call when one worker has one core to itself (CPU time does not",
        "grow when other processes compete for the cores; wall-clock latency does)",
        "1-minute load average after each run: " + ", ".join(_LOAD) + f" (on {os.cpu_count()} CPUs)",
    ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--client"]:
        port, key_file, kid, n, clients, body = argv[1:7]
        result = _client(int(port), Path(key_file).read_text(), kid, int(n), int(clients), body)
        print(json.dumps(result))
        return 0
    global REQUESTS
    if argv:
        REQUESTS = int(argv[0])
    for name, value, unit in run():
        print(f"{name:90s} {value:10.2f} {unit}")
    for line in notes():
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
