from shared.api.triggers import authorizer
from shared.auth.authorizer import authorize


@authorizer()
def handler(event, context):
    """Verify the bearer JWT; deny anything else. API Gateway caches the answer per token."""
    header = (event.get("headers") or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    claims = authorize(token.strip()) if scheme.lower() == "bearer" and token else None
    return {"isAuthorized": claims is not None, "context": claims or {}}
