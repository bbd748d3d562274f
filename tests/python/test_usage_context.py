"""Rules the core applies to a model call's usage from its context: the binding only passes it."""

from __future__ import annotations

import agentmetrics as am


def test_adk_partial_response_records_no_usage(recorder: am.Recorder) -> None:
    with recorder.session("adk") as s:
        s.record_model_call(model="gpt-4o", usage={"input_tokens": 100, "output_tokens": 10}, partial=True)
        totals = s.totals()
        assert (totals.model_calls, totals.calls_missing_usage, totals.input_tokens) == (1, 1, None)
        s.record_model_call(model="gpt-4o", usage={"input_tokens": 100, "output_tokens": 10}, partial=False)
        assert s.totals().input_tokens == 100
