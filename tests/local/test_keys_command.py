"""`echelonx keys rotate|prune` against an AWS account (boto3's default credentials; moto's in-process
AWS stands in for the account), on a fresh stack's resources: the secret holds CloudFormation's random
password, the parameter `{}`."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from shared.local.cli import main

# mock_aws resets moto's process-wide state: run apart from the local runtime (see pyproject.toml).
pytestmark = pytest.mark.isolated


def test_rotate_installs_the_first_key_of_a_fresh_stack_and_prune_keeps_it(capsys):
    with mock_aws():
        sm, ssm = boto3.client("secretsmanager", region_name="us-east-1"), boto3.client("ssm", region_name="us-east-1")
        secret = sm.create_secret(Name="stack-JwtSigningKey", SecretString="r4nd0m-pa55word-CloudFormation-made")["ARN"]
        ssm.put_parameter(Name="stack-JwtPublicKeys", Value="{}", Type="String")
        where = ["--secret", secret, "--parameter", "stack-JwtPublicKeys", "--region", "us-east-1"]

        assert main(["keys", "rotate", *where]) == 0  # nothing signs yet: no wait
        done = json.loads(capsys.readouterr().out)
        signing = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
        published = json.loads(ssm.get_parameter(Name="stack-JwtPublicKeys")["Parameter"]["Value"])
        assert done == {"signing": signing["kid"], "previous": None, "dropped": []}
        assert list(published) == [signing["kid"]] and "BEGIN PRIVATE KEY" in signing["private_key"]
        assert "BEGIN PUBLIC KEY" in published[signing["kid"]]

        assert main(["keys", "prune", *where]) == 0
        assert json.loads(capsys.readouterr().out)["dropped"] == []
        assert main(["keys", "prune", "--secret", secret]) == 2
        assert "--parameter" in capsys.readouterr().err
