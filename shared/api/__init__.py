"""HTTP API v2 plumbing: the `operation` decorator, the request and responses.

Only what every handler needs is imported here; list shapes are in `shared.core.page_query` and
`shared.core.paging`, bulk answers in `shared.core.bulk` (each pydantic model costs cold start).
"""

from shared.api.operation import operation
from shared.api.request import Request
from shared.api.response import Response

__all__ = ["operation", "Request", "Response"]
