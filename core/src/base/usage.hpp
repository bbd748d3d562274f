// The canonical usage record (reference/sdk-usage.md, "Normalization rules").
#pragma once
#include <cstdint>

namespace agentmetrics {

// Token kinds, in the order of agm_usage's count fields and of AGM_USAGE_HAS_* bits.
enum TokenKind : int {
  kInput = 0,         // fresh input: neither read from nor written to a provider cache
  kCacheRead = 1,     // input served from cache
  kCacheWrite = 2,    // input written to cache (all TTLs)
  kCacheWrite1h = 3,  // the part of kCacheWrite written with a 1-hour TTL (subset)
  kOutput = 4,        // all output, reasoning included
  kReasoning = 5,     // subset of kOutput (informational)
  kTotal = 6,         // input + cache read + cache write + output, derived, never copied
  kTokenKinds = 7
};

// Largest count accepted in one record: JSON integers stay exact below 2^53 in every binding.
inline constexpr int64_t kMaxTokenCount = (int64_t{1} << 53) - 1;

// One model call's usage. A kind whose bit is clear in `present` was not reported: it is
// "missing", which is different from 0. Counts are never negative.
struct Usage {
  int64_t count[kTokenKinds] = {};
  uint32_t present = 0;

  bool has(TokenKind k) const { return (present >> k) & 1u; }
  int64_t get(TokenKind k) const { return count[k]; }
  void set(TokenKind k, int64_t v) {
    count[k] = v;
    present |= 1u << k;
  }
  void clear(TokenKind k) {
    count[k] = 0;
    present &= ~(1u << k);
  }
  // Every reported input, cache and output token (what budgets and display lines count);
  // unlike kTotal, defined when input or output is missing. At most 4 * 2^53.
  int64_t all_tokens() const {
    return count[kInput] + count[kCacheRead] + count[kCacheWrite] + count[kOutput];
  }

  // No usage at all: the record is "usage missing" (rule G1/G5).
  bool empty() const { return present == 0; }

  // Recompute kTotal from the parts: only when input and output are both known (nulls in
  // the cache kinds count as 0); otherwise the total is missing.
  void derive_total() {
    if (has(kInput) && has(kOutput)) {
      set(kTotal, count[kInput] + count[kCacheRead] + count[kCacheWrite] + count[kOutput]);
    } else {
      clear(kTotal);
    }
  }
};

}  // namespace agentmetrics
