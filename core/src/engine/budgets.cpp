// A session's budgets: added, and checked after each model call (the callbacks of those
// crossed run in calls.cpp, once the session's lock is released).
#include "engine.hpp"

namespace agentmetrics {

void Session::add_budget(Budget budget) {
  std::lock_guard lock(mu_);
  budgets_.push_back(std::make_unique<Budget>(std::move(budget)));
}

Notice Session::check_budgets_locked(std::vector<std::pair<Budget *, BudgetEvent>> &fired) {
  Notice notice = Notice::kNone;
  for (auto &budget : budgets_) {
    Budget &b = *budget;
    int64_t tokens = running_tokens_;
    u128 cost = running_cost_;
    if (!b.model.empty()) {
      Totals model_totals;
      for (const auto &[key, call] : calls_) {
        if (call.model == b.model) model_totals.merge(call.group.totals);
      }
      tokens = model_totals.all_tokens();
      cost = model_totals.cost_total;
    }
    auto event = [&](bool tokens_crossed) {
      return BudgetEvent{b.kind, tokens_crossed,        b.model, tokens, b.max_tokens.value_or(0),
                         cost,   b.max_cost.value_or(0)};
    };
    bool crossed_now = false;
    if (b.max_tokens && !b.tokens_crossed && tokens > *b.max_tokens) {
      b.tokens_crossed = crossed_now = true;
      fired.emplace_back(&b, event(true));
    }
    if (b.max_cost && !b.cost_crossed && cost > *b.max_cost) {
      b.cost_crossed = crossed_now = true;
      fired.emplace_back(&b, event(false));
    }
    if (b.kind == kBudgetLimit && (b.tokens_crossed || b.cost_crossed)) {
      notice = Notice::kBudgetExceeded;
    } else if (crossed_now && notice == Notice::kNone) {
      notice = Notice::kBudgetWarning;
    }
  }
  return notice;
}

}  // namespace agentmetrics
