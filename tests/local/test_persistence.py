"""`echelonx dev --data FILE`: the table and the JWT keys survive a restart."""

from __future__ import annotations

import requests

from shared.local.aws import EmbeddedAws
from shared.local.runtime import Runtime
from shared.local.seed import seed


def test_data_file_keeps_items_sessions_and_keys(tmp_path):
    data = tmp_path / "echelonx.json"
    first = Runtime(data_file=data, fakes=False, pollers=False, aws=EmbeddedAws(stack="persist-first")).start()
    try:
        logins = seed(members=0)
        creds = logins["admin"]
        pair = requests.post(first.url + "/auth/login", json=creds, timeout=30).json()
    finally:
        first.stop()
    assert data.exists()
    second = Runtime(data_file=data, fakes=False, pollers=False, aws=EmbeddedAws(stack="persist-second")).start()
    try:
        me = requests.get(f"{second.url}/users/{pair['user']['id']}", timeout=30,
                          headers={"authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 200 and me.json()["email"] == creds["email"]  # same keys, same session
        again = requests.post(second.url + "/auth/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=30)
        assert again.status_code == 200
    finally:
        second.stop()
