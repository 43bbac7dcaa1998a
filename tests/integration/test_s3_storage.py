"""Store and read back an image through django-storages' S3 backend against a local S3
endpoint (moto in server mode)."""

import socket
import subprocess
import sys
import time

import boto3
import pytest
from django.core.files.base import ContentFile

from repository.imaging import decode_rgb
from tests.conftest import demo_bytes

pytestmark = pytest.mark.s3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="pixgen-test")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_image_round_trips_through_s3_storage(s3_endpoint, monkeypatch):
    from storages.backends.s3 import S3Storage

    from pixgen.settings.base import s3_storage_options

    monkeypatch.setenv("PIXGEN_S3_BUCKET", "pixgen-test")
    monkeypatch.setenv("PIXGEN_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("PIXGEN_S3_REGION", "us-east-1")
    monkeypatch.setenv("PIXGEN_S3_ACCESS_KEY", "test")
    monkeypatch.setenv("PIXGEN_S3_SECRET_KEY", "test")
    storage = S3Storage(**s3_storage_options())
    data = demo_bytes()
    name = storage.save("images/ab/lesion.jpg", ContentFile(data))
    assert storage.exists(name)
    with storage.open(name, "rb") as fh:
        assert fh.read() == data
    assert decode_rgb(data).shape == (450, 600, 3)
    # Private by default: a plain URL without a signature is refused by the endpoint.
    assert "Signature" in storage.url(name) or "X-Amz-Signature" in storage.url(name)
    storage.delete(name)
    assert not storage.exists(name)
