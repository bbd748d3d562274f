// The internal copies of public values (base/abi_values.hpp, engine/engine.hpp) equal the
// macros of metrics_c.h: the layers below the api cannot include the public header, so this
// file, in the api layer, is where the two meet. Nothing here is linked: it fails to compile
// if they drift.
#include <agentmetrics/metrics_c.h>

#include <string_view>
#include <type_traits>

#include "abi_values.hpp"
#include "engine.hpp"

namespace agentmetrics {

static_assert(kMaxLabelBytes == AGM_MAX_LABEL_BYTES);
static_assert(kMaxSessionKeys == AGM_MAX_SESSION_KEYS);
static_assert(kMaxGroupKeys == AGM_MAX_GROUP_KEYS);
static_assert(std::string_view(kOtherKey) == AGM_OTHER_KEY);
static_assert(std::string_view(AGM_CORE_VERSION_STRING) == AGM_VERSION_STRING);

static_assert(std::is_same_v<ClockFn, agm_clock_fn>);
static_assert(kCallHasStart == AGM_CALL_HAS_START);
static_assert(kCallHasEnd == AGM_CALL_HAS_END);
static_assert(kCallHasDuration == AGM_CALL_HAS_DURATION);
static_assert(kCallSinceLastStep == AGM_CALL_F_SINCE_LAST_STEP);
static_assert(kBudgetLimit == AGM_BUDGET_LIMIT);
static_assert(kBudgetWarn == AGM_BUDGET_WARN);
static_assert(kByModel == AGM_BY_MODEL - 1 && kBySession == AGM_BY_SESSION - 1);

}  // namespace agentmetrics
