"""moto's server on a free loopback port, for the tests of the AWS integrations (no patching of boto3).

Test modules import the fixtures: `from aws_server import aws, moto_url  # noqa: F401`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"
SETTINGS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key-never-shown",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto's server, started once per session; boto3 finds it through AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    deadline = time.monotonic() + 30
    while not _answers(url):  # readiness by asking, within a bounded wait
        if time.monotonic() > deadline:
            raise RuntimeError("moto's server did not answer within 30 s")
        time.sleep(0.05)
    saved = {key: os.environ.get(key) for key in [*SETTINGS, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(SETTINGS, AWS_ENDPOINT_URL=url)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


@pytest.fixture
def aws(moto_url: str) -> Iterator[Any]:
    """A boto3 factory for test setup, against a freshly reset server."""
    import boto3

    request = urllib.request.Request(f"{moto_url}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    session = boto3.Session(region_name=REGION)
    yield session.client
