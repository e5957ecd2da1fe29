from shared.api import Response, operation
from shared.auth.models import JwkSet
from shared.security import tokens


@operation("GET /.well-known/jwks.json", public=True, out=JwkSet)
def handler(req):
    """The public keys that verify our access tokens, as a JWK set: the current one and, during a
    key rotation, the previous one. Cacheable for a minute."""
    return Response(200, tokens.jwks(), {"cache-control": f"public, max-age={tokens.JWKS_MAX_AGE_SECONDS}"})
