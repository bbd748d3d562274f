// The public header compiles as C++11 with -Wall -Wextra -pedantic -Werror, macros included.
#include <agentmetrics/metrics_c.h>

int main() {
  agm_usage usage = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_totals totals = AGM_TOTALS_INIT;
  agm_budget budget = AGM_BUDGET_INIT;
  agm_duration_stats durations = AGM_DURATION_STATS_INIT;
  (void)usage, (void)call, (void)totals, (void)budget, (void)durations;
  static_assert(AGM_VERSION_CHECK(0, 1, 0), "version macros");
  return AGM_FAILED(AGM_OK) ? 1 : 0;
}
