"""One Logger and one Metrics for every function (Powertools: JSON logs, CloudWatch EMF)."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="echelonx")
metrics = Metrics(namespace="EchelonX", service="echelonx")
