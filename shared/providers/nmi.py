"""Card payments through NMI's Direct Post API (`POST {NMI_API_BASE}/api/transact.php`).

NMI answers HTTP 200 with a url-encoded body for every outcome: `response` 1 approved, 2 declined,
3 error, with `responsetext`, `transactionid` and a numeric `response_code` (100 approved, 2xx
declines, 3xx/4xx errors). A decline is a business outcome and comes back as a result with status
"declined"; an error (response 3) raises ProviderError with the response code as `code`.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from shared.core import settings

from . import config
from .errors import ProviderError, from_status, from_transport
from .result import ProviderResult, scrub

_STATUS = {"1": "approved", "2": "declined"}
# "Communication error" with the processor or issuer: nothing was charged, another try may work.
_TRANSIENT_CODES = frozenset({420, 421})
_CENT = Decimal("0.01")


def charge(
    payment_token: str,
    amount: Decimal,
    order_id: str,
    *,
    currency: str = "USD",
    description: str | None = None,
) -> ProviderResult:
    """Sale against a Collect.js payment token. Status "approved" or "declined"; raises ProviderError."""
    fields = {
        "type": "sale",
        "payment_token": payment_token,
        "amount": _money(amount),
        "currency": currency,
        "orderid": order_id,
    }
    if description:
        fields["order_description"] = description
    return _transact(fields)


def refund(transaction_id: str, amount: Decimal | None = None) -> ProviderResult:
    """Refund a settled sale, in full when `amount` is None. Raises ProviderError."""
    fields = {"type": "refund", "transactionid": transaction_id}
    if amount is not None:
        fields["amount"] = _money(amount)
    return _transact(fields)


def void(transaction_id: str) -> ProviderResult:
    """Cancel a sale that has not settled yet. Raises ProviderError."""
    return _transact({"type": "void", "transactionid": transaction_id})


def load_config() -> config.NmiConfig:
    """NMI's settings in effect (the security key fetched from its secret once)."""
    return config.NmiConfig(security_key=config.secret(settings.NMI_SECURITY_KEY_SECRET_ID),
                            api_base=settings.NMI_API_BASE.get().rstrip("/"), timeout=config.timeout())


def _transact(fields: dict[str, str]) -> ProviderResult:
    import requests

    cfg = load_config()
    error: ProviderError
    try:
        response = _session().post(
            f"{cfg.api_base}/api/transact.php",
            data={**fields, "security_key": cfg.security_key},
            timeout=cfg.timeout,
        )
    except requests.RequestException as exc:
        error = from_transport("nmi", exc)
    else:
        if response.status_code == 200:
            return _result(dict(parse_qsl(response.text, keep_blank_values=True)), fields)
        error = from_status(
            "nmi",
            response.status_code,
            f"HTTP {response.status_code}",
            retry_after=response.headers.get("Retry-After"),
        )
    raise error  # not chained: the failed request object holds the security key in its body


def _result(answer: dict[str, str], sent: dict[str, str]) -> ProviderResult:
    status = _STATUS.get(answer.get("response", ""))
    code = int(answer["response_code"]) if answer.get("response_code", "").isdigit() else None
    if status is None:
        raise ProviderError(
            "nmi",
            answer.get("responsetext") or "gateway error",
            code=code,
            status=200,
            transient=code in _TRANSIENT_CODES,
        )
    raw: dict[str, Any] = {**answer, "amount": sent.get("amount")}
    return ProviderResult(provider_id=answer.get("transactionid", ""), status=status, raw=scrub(raw))


def _money(amount: Decimal) -> str:
    """Two-decimal string; refuses floats and sub-cent amounts rather than rounding money."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    if amount <= 0 or amount.quantize(_CENT) != amount:
        raise ValueError(f"amount must be positive with at most two decimals, got {amount}")
    return f"{amount:.2f}"


@functools.cache
def _session() -> Any:
    import requests

    return requests.Session()  # reused across warm invocations to keep the TLS connection
