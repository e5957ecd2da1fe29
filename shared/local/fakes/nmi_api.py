"""Fake of NMI's Direct Post API: `POST /api/transact.php` with type sale, refund or void.

Every outcome is HTTP 200 with a url-encoded body. Test behaviour follows NMI's test-mode rules:
a sale under 1.00 is declined (response=2, response_code=200).
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .wire import FakeRequest, Reply, form_reply, same_secret, text_reply

if TYPE_CHECKING:
    from collections.abc import Callable

    from .state import FakeState

APPROVED, DECLINED, ERROR = "1", "2", "3"
_DECLINE_BELOW = Decimal("1.00")


def handle(state: FakeState, request: FakeRequest) -> Reply:
    """Route one Direct Post request."""
    if (request.method, request.path) != ("POST", "/api/transact.php"):
        return text_reply(404, "Not Found")
    form = {key: values[0] for key, values in request.form().items()}
    kind = form.get("type", "")
    if not same_secret(form.get("security_key", ""), state.credentials.nmi_security_key):
        return _answer(ERROR, "Authentication Failed", 300, kind)
    handler = _HANDLERS.get(kind)
    if handler is None:
        return _answer(ERROR, f"Invalid Transaction Type REFID:{_refid()}", 300, kind)
    return handler(state, form)


def fault_reply(status: int) -> Reply:
    """What NMI's web tier answers when it is overloaded or broken."""
    return text_reply(status, "Too Many Requests" if status == 429 else "Internal Server Error")


def _sale(state: FakeState, form: dict[str, str]) -> Reply:
    amount = _amount(form.get("amount"))
    if not form.get("payment_token"):
        return _answer(ERROR, f"Required Field cc_number is Missing or Empty REFID:{_refid()}", 300, "sale")
    if amount is None:
        return _answer(ERROR, f"Invalid amount REFID:{_refid()}", 300, "sale")
    transaction_id, order_id = _transaction_id(), form.get("orderid", "")
    if amount < _DECLINE_BELOW:
        return _answer(DECLINED, "DECLINE", 200, "sale", transaction_id, order_id)
    with state.lock:
        state.transactions[transaction_id] = {"amount": amount, "refunded": Decimal("0"), "voided": False}
    state.record(
        "nmi",
        "sale",
        transaction_id,
        amount=str(amount),
        currency=form.get("currency", "USD"),
        order_id=order_id,
    )
    return _answer(APPROVED, "SUCCESS", 100, "sale", transaction_id, order_id, authcode="123456")


def _refund(state: FakeState, form: dict[str, str]) -> Reply:
    original = form.get("transactionid", "")
    with state.lock:
        sale = state.transactions.get(original)
        balance = sale["amount"] - sale["refunded"] if sale and not sale["voided"] else None
        amount = _amount(form.get("amount")) if form.get("amount") else balance
        refused = _refund_problem(balance, amount)
        if refused:
            return _answer(ERROR, f"{refused} REFID:{_refid()}", 300, "refund")
        assert sale is not None and amount is not None  # without either, _refund_problem refused it
        sale["refunded"] += amount
    transaction_id = _transaction_id()
    state.record(
        "nmi",
        "refund",
        transaction_id,
        amount=str(amount),
        original=original,
    )
    return _answer(APPROVED, "SUCCESS", 100, "refund", transaction_id)


def _refund_problem(balance: Decimal | None, amount: Decimal | None) -> str | None:
    if balance is None:
        return "Transaction not found"
    if amount is None:
        return "Invalid amount"
    if amount > balance:
        return "Refund amount may not exceed the transaction balance"
    return None


def _void(state: FakeState, form: dict[str, str]) -> Reply:
    original = form.get("transactionid", "")
    with state.lock:
        sale = state.transactions.get(original)
        if sale is None or sale["voided"] or sale["refunded"]:
            return _answer(ERROR, f"Transaction not found or not voidable REFID:{_refid()}", 300, "void")
        sale["voided"] = True
    state.record("nmi", "void", original)
    return _answer(APPROVED, "Transaction Void Successful", 100, "void", original)


_HANDLERS: dict[str, Callable[[FakeState, dict[str, str]], Reply]] = {
    "sale": _sale,
    "refund": _refund,
    "void": _void,
}


def _answer(
    response: str,
    text: str,
    code: int,
    kind: str,
    transaction_id: str = "",
    order_id: str = "",
    authcode: str = "",
) -> Reply:
    fields: dict[str, Any] = {
        "response": response,
        "responsetext": text,
        "authcode": authcode,
        "transactionid": transaction_id,
        "avsresponse": "",
        "cvvresponse": "",
        "orderid": order_id,
        "type": kind,
        "response_code": str(code),
    }
    return form_reply(200, fields)


def _amount(raw: str | None) -> Decimal | None:
    """A positive amount with at most two decimals, else None."""
    try:
        amount = Decimal(raw or "")
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


def _transaction_id() -> str:
    return str(secrets.randbelow(9 * 10**9) + 10**9)  # NMI ids are 10-digit numbers


def _refid() -> str:
    return str(secrets.randbelow(9 * 10**8) + 10**8)
