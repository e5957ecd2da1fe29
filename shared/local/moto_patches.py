"""The fixes the embedded AWS needs over moto 5.2.5 (see architecture.md), installed in one place."""


def install() -> None:
    from shared.local import moto_sqs, moto_tracking, moto_txn

    moto_txn.install()
    moto_sqs.install()
    moto_tracking.install()
