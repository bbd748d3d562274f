"""An offline agent loop with agentmetrics: a scripted model (no network, no API key) that
answers with Anthropic-shaped responses and asks for tools, a few tools, and metrics recorded
per model call, per tool call and per turn, kept in a local SQLite store.

    python examples/python_agent.py [--store runs/agentmetrics.db]

Prints one dim line per turn (tokens, cost, duration), then the session summary and what the
agent's own get_metrics tool reports.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import agentmetrics as am
from agentmetrics.tools import MetricsTool


@dataclass
class Reply:
    """One scripted model response: text, tool calls and usage as the Anthropic API sends it."""

    text: str
    usage: dict[str, int]
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    stop_reason: str = "end_turn"


SCRIPT: list[list[Reply]] = [
    [  # turn 1: a search, then an answer
        Reply("", {"input_tokens": 1180, "output_tokens": 96, "cache_creation_input_tokens": 2048},
              [("web_search", {"query": "token pricing"})], "tool_use"),
        Reply("Prices are per million tokens.", {"input_tokens": 310, "output_tokens": 212,
                                                 "cache_read_input_tokens": 2048}),
    ],
    [  # turn 2: two tools in one step, one of them fails
        Reply("", {"input_tokens": 420, "output_tokens": 130, "cache_read_input_tokens": 2048},
              [("calculator", {"expression": "3 * 0.25"}), ("calculator", {"expression": "1 / 0"})], "tool_use"),
        Reply("3 calls cost $0.75.", {"input_tokens": 515, "output_tokens": 88, "cache_read_input_tokens": 2048}),
    ],
]
MODEL = "claude-sonnet-4-5-20250929"


@am.tool
def web_search(query: str) -> str:
    time.sleep(0.02)  # stands in for network latency
    return f"3 results for {query!r}"


@am.tool
def calculator(expression: str) -> str:
    left, op, right = expression.split()
    a, b = float(left), float(right)
    return str(a * b if op == "*" else a / b)


TOOLS: dict[str, Callable[..., str]] = {"web_search": web_search, "calculator": calculator}


def run(store: str) -> None:
    with am.Recorder() as recorder:
        recorder.open_store(database=store)
        with recorder.session(agent="researcher", phase="answer", task="pricing") as session:
            for turn, replies in enumerate(SCRIPT, 1):
                with session.turn():
                    for reply in replies:
                        start = time.monotonic_ns()
                        time.sleep(0.01)  # the "model" thinks
                        session.record_model_call(model=MODEL, provider="anthropic", usage=reply.usage,
                                                  usage_format=am.Format.ANTHROPIC, stop_reason=reply.stop_reason,
                                                  start_ns=start)
                        for name, arguments in reply.tool_calls:
                            try:
                                TOOLS[name](**arguments)
                            except ZeroDivisionError:
                                pass  # recorded as a tool error by @am.tool; the agent carries on
                print(f"turn {turn}: {replies[-1].text}")
                session.print_turn()
            print(session.format_summary())
            print("get_metrics(session):", json.dumps(MetricsTool(recorder)("session")["totals"]["cost"]))
        print("get_metrics(tools):", json.dumps(MetricsTool(recorder)("tools")["tools"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", default="runs/agentmetrics.db", help="SQLite store to append to")
    run(parser.parse_args().store)


if __name__ == "__main__":
    main()
