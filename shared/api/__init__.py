"""HTTP API v2 plumbing: the `operation` decorator, the request, pagination and responses."""

from shared.api.operation import operation
from shared.api.pagination import PageQuery, page
from shared.api.request import Actor, Request
from shared.api.response import Response

__all__ = ["operation", "PageQuery", "page", "Actor", "Request", "Response"]
