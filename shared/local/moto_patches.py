"""The fixes the embedded AWS needs over moto 5.2.5 (see architecture.md), installed in one place."""


def install() -> None:
    from shared.local import moto_query, moto_speed, moto_sqs, moto_tracking, moto_txn, s3_notifications

    moto_txn.install()
    moto_query.install()
    moto_sqs.install()
    moto_tracking.install()
    moto_speed.install()
    s3_notifications.install()
