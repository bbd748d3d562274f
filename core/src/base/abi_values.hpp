// The values of the public header (metrics_c.h) that the layers below the C ABI use, without
// including it: only core/src/api includes metrics_c.h, and c_api.cpp static_asserts that each
// value here equals its public macro, so the two cannot drift.
#pragma once
#include <cstdint>

namespace agentmetrics {

inline constexpr uint32_t kMaxLabelBytes = 1024;      // AGM_MAX_LABEL_BYTES
inline constexpr uint32_t kMaxSessionKeys = 1000;     // AGM_MAX_SESSION_KEYS
inline constexpr uint32_t kMaxGroupKeys = 10000;      // AGM_MAX_GROUP_KEYS
inline constexpr const char kOtherKey[] = "(other)";  // AGM_OTHER_KEY

}  // namespace agentmetrics

// AGM_VERSION_STRING, as a string literal: meson passes the header's version (the project
// version, read from metrics_c.h by core/tools/version_from_header.py).
#ifndef AGM_CORE_VERSION_STRING
#error "AGM_CORE_VERSION_STRING is defined by core/meson.build"
#endif
