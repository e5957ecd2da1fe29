"""HTTP API v2 plumbing: the `operation` decorator, the request and responses.

Only what every handler needs is imported here; list shapes are in `shared.api.page_query` and
`shared.api.pagination`, bulk answers in `shared.api.bulk` (each pydantic model costs cold start).
"""

from shared.api.operation import operation
from shared.api.request import Actor, Request
from shared.api.response import Response

__all__ = ["operation", "Actor", "Request", "Response"]
