"""How SDK objects reach the core's normalisers: which format a usage object is, and its JSON.

Only recognition and serialisation live here; what the counts mean (fresh input, cache reads,
reasoning...) is decided by the core, the same for every language.
"""

from __future__ import annotations

import json
from typing import Any, Union

from ._native import Format

__all__ = ["FormatLike", "enum_value", "format_value", "payload_json", "detect"]

FormatLike = Union[Format, int, str]

# (module prefix, class name) -> format of a usage object.
_USAGE_CLASSES: dict[tuple[str, str], Format] = {
    ("openai", "CompletionUsage"): Format.OPENAI_CHAT,
    ("openai", "ResponseUsage"): Format.OPENAI_RESPONSES,
    ("anthropic", "Usage"): Format.ANTHROPIC,
    ("anthropic", "MessageDeltaUsage"): Format.ANTHROPIC,
    ("anthropic", "BetaUsage"): Format.ANTHROPIC,
    ("anthropic", "BetaMessageDeltaUsage"): Format.ANTHROPIC,
    ("google", "GenerateContentResponseUsageMetadata"): Format.GOOGLE_GENAI,
}


def enum_value(enum: Any, value: Any, what: str) -> int:
    """The value of a member of one of the native enums: the member, its value, or its name in
    any case, with - for _ ("openai_chat", "day", "otlp-json")."""
    if isinstance(value, str):
        try:
            return int(enum[value.upper().replace("-", "_")])
        except KeyError:
            names = ", ".join(e.name.lower() for e in enum)
            raise ValueError(f"unknown {what} {value!r} (one of {names})") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{what} must be a {enum.__name__}, int or str, not {type(value).__name__}")


def format_value(format: FormatLike) -> int:
    """A usage Format as its value (called by the extension)."""
    return enum_value(Format, format, "usage format")


def payload_json(payload: Any) -> str:
    """JSON text of a payload: pydantic models (the OpenAI, Anthropic and google-genai SDKs)
    as they serialise themselves, other objects through json (mappings, lists, None)."""
    if isinstance(payload, (str, bytes)):
        return payload if isinstance(payload, str) else payload.decode()
    dump = getattr(payload, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    to_dict = getattr(payload, "to_dict", None)
    if callable(to_dict) and not isinstance(payload, dict):
        payload = to_dict()
    try:
        return json.dumps(payload)
    except TypeError:
        raise TypeError(f"cannot serialise a {type(payload).__name__} as a usage payload") from None


def detect(usage: Any) -> tuple[int, str]:
    """(format, JSON) of an SDK usage object, recognised by its class."""
    cls = type(usage)
    root = cls.__module__.split(".", 1)[0]
    for klass in cls.__mro__:
        fmt = _USAGE_CLASSES.get((root, klass.__name__))
        if fmt is not None:
            return int(fmt), payload_json(usage)
    raise TypeError(
        f"cannot tell the usage format of a {cls.__module__}.{cls.__qualname__}: pass canonical "
        "counts (a dict or agentmetrics.Usage), an SDK usage object, or usage_format="
    )
