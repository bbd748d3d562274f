// Files embedded at build time by core/tools/embed.py (see core/meson.build).
#pragma once
#include <string_view>

namespace agentmetrics::data {
extern const std::string_view litellm_prices;       // core/data/litellm_prices.json
extern const std::string_view litellm_prices_meta;  // core/data/litellm_prices.meta.json
}  // namespace agentmetrics::data
