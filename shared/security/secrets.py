"""Secrets and parameters through Powertools Parameters, cached for five minutes per container."""

from __future__ import annotations

from typing import Any

MAX_AGE_SECONDS = 300


def secret_json(name: str) -> Any:
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(name, transform="json", max_age=MAX_AGE_SECONDS)


def parameter_json(name: str) -> Any:
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_parameter(name, transform="json", max_age=MAX_AGE_SECONDS)
