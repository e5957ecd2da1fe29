"""Two costs moto 5.2.5 pays on every request that the embedded AWS need not (same answers, less work).

- **Every item attribute walks the whole AttributeValue model.** moto serializes a DynamoDB answer by
  walking the botocore output model, and for each member of each structure it asks six alias
  providers which key of the Python object holds it. An AttributeValue has ten members (S, N, B, SS,
  NS, BS, M, L, NULL, BOOL) of which one is set, so an item of 25 attributes costs some 250 lookups,
  each building a context object. Profiled on the fault run, serializing answers was a fifth of the
  process's time. `install()` serializes AttributeValue dicts directly, by the same rules the walker
  applies to them (strings as str, blobs base64, booleans as they are, nested maps and lists
  recursively, unset members left out); tests/local/test_moto_speed.py checks the answers are equal.
- **Every request lists moto's package directory.** Its server finds a request's backend by testing
  the Host header against `list_of_moto_modules()`, which lists and stats some 200 directories each
  time (5% of the same profile). The list never changes while the process runs: it is kept.
"""

from __future__ import annotations

from typing import Any

_installed: list[bool] = []
_walk: list[Any] = []  # moto's own structure walker, kept for values that are not plain dicts (and the test)


def install() -> None:
    if _installed:
        return
    from moto import backends
    from moto.core.serialize import BaseJSONSerializer

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]

    _walk.append(BaseJSONSerializer._serialize_type_structure)
    walk = _walk[0]

    def structure(self, serialized, value, shape, key) -> None:
        if shape.name == "AttributeValue" and type(value) is dict and key and not self._value_picker.response_transformers:
            serialized[shape.serialization.get("name", key)] = _attribute_value(self, value, shape)
            return
        walk(self, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = structure  # type: ignore[method-assign]
    _installed.append(True)


def _attribute_value(serializer, value: dict, shape) -> dict:
    """One AttributeValue as the model walker writes it for a dict: its members, in the model's order."""
    out: dict[str, Any] = {}
    members = shape.members
    for name, member in members.items():
        v = value.get(name)
        if v is not None:
            out[member.serialization.get("name", name)] = _member(serializer, v, member)
    return out


def _member(serializer, v: Any, member) -> Any:
    kind = member.type_name
    if kind == "string":
        return v if v is None or v == {} or v == [] else str(v)
    if kind == "blob":
        return serializer._base64(v)
    if kind == "structure":  # an AttributeValue (never None here: unset members are left out above)
        return _attribute_value(serializer, v, member) if type(v) is dict else _walked(serializer, v, member)
    if kind == "list":
        item = member.member
        return [x if x is None and item.type_name == "structure" else _member(serializer, x, item) for x in v]
    if kind == "map":
        return {k: _member(serializer, x, member.value) for k, x in v.items()
                if not (x is None and member.value.type_name == "structure")}
    return v  # boolean (JSON keeps it as it is)


def _walked(serializer, v: Any, shape) -> Any:
    """A value that is not a plain dict (a model object): the walker's own way."""
    wrapper: dict[str, Any] = {}
    serializer._serialize(wrapper, v, shape, "value")
    return wrapper.get("value")
