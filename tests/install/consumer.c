/* Built against the installed header and library via pkg-config. */
#include <agentmetrics/metrics_c.h>
#include <stdio.h>

int main(void) {
  agm_recorder *rec = NULL;
  agm_session *s = NULL;
  agm_usage u = AGM_USAGE_INIT;
  agm_model_call call = AGM_MODEL_CALL_INIT;
  agm_totals t = AGM_TOTALS_INIT;
  if (agm_abi_version() != AGM_ABI_VERSION) return 1;
  if (agm_recorder_new(&rec, NULL) != AGM_OK || agm_session_new(&s, rec, NULL) != AGM_OK) return 1;
  u.present = AGM_USAGE_HAS_INPUT | AGM_USAGE_HAS_OUTPUT;
  u.input_tokens = 1000;
  u.output_tokens = 500;
  call.usage = &u;
  call.model = "gpt-4o";
  if (agm_session_record_model_call(s, &call) != AGM_OK || agm_session_totals(&t, s) != AGM_OK) return 1;
  if (!(t.present & AGM_TOTALS_HAS_COST) || t.total_tokens != 1500) return 1;
  printf("consumer: %s, %lld tokens, priced\n", agm_version_string(), (long long)t.total_tokens);
  agm_session_free(s);
  agm_recorder_free(rec);
  return 0;
}
