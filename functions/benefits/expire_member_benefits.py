from shared.api.triggers import scheduled
from shared.benefits import service


@scheduled("expireMemberBenefits", "rate(1 minute)")
def handler(event, context):
    """expireMemberBenefits: records as expired the grants whose expires_at has passed (they read as expired already)."""
    return {"expired": service.sweep_expired()}
