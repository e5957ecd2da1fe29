"""Keeping the benchmarks' tables readable while they invoke functions in-process."""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager


@contextmanager
def quiet():
    """In-process requests would print their INFO lines and Powertools' warnings (a dimension
    added again with metrics disabled) in the middle of the tables."""
    from shared.core.log import logger

    log = logging.getLogger(logger.name)
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)
