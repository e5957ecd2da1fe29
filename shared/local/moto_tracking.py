"""moto keeps a strong reference to every model instance it ever creates: make those references weak.

Why: moto 5.2.5's ``BaseModel.__new__`` appends each new instance to its class's ``instances_tracked``
list, for its dashboard (``/moto-api/data.json``) and for disposing S3 keys on reset. Nothing else ever
removes them, and moto makes model instances on every request: DynamoDB copies of the items a read
returns, stream records, shard iterators. Measured on `echelonx dev`: about 7 DynamoDB ``Item``s
kept per API request, 13,944 after 1,200 requests of which 187 were in the table, so the process
grew with every request, and tearing that heap down made Ctrl-C take longer the longer it had run.

``install()`` gives each class a ``_LiveInstances`` instead of a list: it answers the same two uses
(``append``, iteration) but holds weak references, so an instance lives exactly as long as moto
itself references it. moto's dashboard and S3 reset see every instance that is still alive.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from moto.core.common_models import BaseModel

if TYPE_CHECKING:
    from collections.abc import Iterator

_original_new: list[Any] = []  # BaseModel.__new__ as moto defines it, while patched


class _LiveInstances:
    """A list-like record of instances that does not keep them alive."""

    def __init__(self, existing=()) -> None:
        self._refs: dict[int, weakref.ref] = {}
        for instance in existing:
            self.append(instance)

    def append(self, instance: Any) -> None:
        key = id(instance)

        def forget(_: weakref.ref[Any]) -> None:
            self._refs.pop(key, None)

        try:
            # The callback runs when the instance is freed, before its id can be reused.
            self._refs[key] = weakref.ref(instance, forget)
        except TypeError:  # a class with __slots__ and no __weakref__: not trackable without keeping it
            pass

    def __iter__(self) -> Iterator[Any]:
        for ref in list(self._refs.values()):
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _new(cls, *args: Any, **kwargs: Any):
    # moto's metaclass gives each class a plain list (and moto's reset assigns a fresh one): swap it
    # first, so that moto's own __new__ appends to ours.
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, _LiveInstances):
        cls.instances_tracked = _LiveInstances(tracked or ())
    return _original_new[0](cls, *args, **kwargs)


def install() -> None:
    """Track moto's model instances weakly from now on (instances already kept included); idempotent."""
    if _original_new:
        return
    _original_new.append(BaseModel.__new__)
    BaseModel.__new__ = staticmethod(_new)  # type: ignore[method-assign]
    stack = list(BaseModel.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        tracked = cls.__dict__.get("instances_tracked")
        if tracked is not None and not isinstance(tracked, _LiveInstances):
            # moto's InstanceTrackerMeta gives each class this attribute without declaring it.
            cls.instances_tracked = _LiveInstances(tracked)  # type: ignore[attr-defined]


def is_installed() -> bool:
    return bool(_original_new)
