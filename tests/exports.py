"""Waiting for an export job the gateway started, and reading its file, as a client would."""

from __future__ import annotations

import requests

from tests.eventually import eventually


def finished(api, started, token: str, seconds: float = 20) -> tuple[dict, str]:
    """The job of a 202 `started` answer once completed (it never fails on the way), and its file's text."""

    def done():
        job = api.get(started.json()["href"], token=token).json()
        assert job["status"] in ("queued", "running", "completed"), job
        return job["status"] == "completed" and job

    job = eventually(done, seconds)
    return job, requests.get(job["download_url"], timeout=10).text
