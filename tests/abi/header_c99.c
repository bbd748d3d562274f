/* Compiled with -std=c99 -Wall -Wextra -pedantic -Werror -Wpadded: the public header must be
 * clean C99 without implicit padding in any struct. Every _INIT macro is used. */
#include <agentmetrics/metrics_c.h>

int main(void) {
  agm_buffer buffer = AGM_BUFFER_INIT;
  agm_money money = AGM_MONEY_ZERO;
  agm_usage usage = AGM_USAGE_INIT;
  agm_usage_context context = AGM_USAGE_CONTEXT_INIT;
  agm_recorder_options options = AGM_RECORDER_OPTIONS_INIT;
  agm_cost cost = AGM_COST_INIT;
  agm_session_options session = AGM_SESSION_OPTIONS_INIT;
  agm_turn_stats turn = AGM_TURN_STATS_INIT;
  agm_model_call model_call = AGM_MODEL_CALL_INIT;
  agm_tool_call tool_call = AGM_TOOL_CALL_INIT;
  agm_totals totals = AGM_TOTALS_INIT;
  agm_duration_stats durations = AGM_DURATION_STATS_INIT;
  agm_budget budget = AGM_BUDGET_INIT;
  (void)buffer, (void)money, (void)usage, (void)context, (void)options, (void)cost;
  (void)session, (void)turn, (void)model_call, (void)tool_call, (void)totals;
  (void)durations, (void)budget;
  return AGM_FAILED(AGM_OK) ? 1 : 0;
}
