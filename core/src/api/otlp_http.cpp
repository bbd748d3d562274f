#include "otlp_http.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "errors.hpp"
#include "strings.hpp"

namespace agentmetrics {

namespace {

using std::chrono::milliseconds;

// A string the sender gave, cut to at most `max` bytes on a character boundary, fit for an
// error message: bytes that are not UTF-8 (a binary body) become '?'.
std::string excerpt(std::string_view text, size_t max) {
  if (text.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  std::string out(text);
  if (!valid_utf8(out)) {
    for (char &c : out)
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_letters(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// A small decimal number of 1 to `max_digits` digits; -1 otherwise.
int number(std::string_view s, size_t max_digits) {
  if (!all_digits(s) || s.size() > max_digits) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// "Jan" .. "Dec" as 1 .. 12 (case-sensitive, as HTTP writes them); 0 otherwise.
unsigned month_number(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto it = std::find(kMonths.begin(), kMonths.end(), s);
  return it == kMonths.end() ? 0 : static_cast<unsigned>(it - kMonths.begin() + 1);
}

// "08:49:37" as seconds of the day; -1 otherwise.
int64_t time_of_day(std::string_view s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return -1;
  const int h = number(s.substr(0, 2), 2), m = number(s.substr(3, 2), 2), sec = number(s.substr(6, 2), 2);
  if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60) return -1;  // 60: a leap second
  return int64_t{h} * 3600 + m * 60 + sec;
}

// An HTTP-date (RFC 9110 section 5.6.7) as Unix seconds: IMF-fixdate "Sun, 06 Nov 1994
// 08:49:37 GMT", the obsolete RFC 850 form "Sunday, 06-Nov-94 08:49:37 GMT" and asctime's "Sun
// Nov  6 08:49:37 1994". The day name is not checked against the date.
std::optional<int64_t> parse_http_date(std::string_view text, int64_t now_s) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    const size_t end = text.find_first_of(" ,", i);
    const std::string_view word = text.substr(i, end == std::string_view::npos ? end : end - i);
    if (!word.empty()) words.push_back(word);
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  if (words.size() < 4 || !all_letters(words[0]) || month_number(words[0]) != 0) return std::nullopt;
  int year = -1, day = -1;
  unsigned month = 0;
  int64_t seconds = -1;
  if (words.size() == 6 && words[5] == "GMT") {  // IMF-fixdate
    day = number(words[1], 2);
    month = month_number(words[2]);
    year = words[3].size() == 4 ? number(words[3], 4) : -1;
    seconds = time_of_day(words[4]);
  } else if (words.size() == 4 && words[3] == "GMT") {  // RFC 850: a two-digit year
    const std::string_view date = words[1];
    if (date.size() == 9 && date[2] == '-' && date[6] == '-') {
      day = number(date.substr(0, 2), 2);
      month = month_number(date.substr(3, 3));
      const int yy = number(date.substr(7, 2), 2);
      if (yy >= 0) {
        // The recipient's reading (RFC 9110): a year more than 50 years in the future is the
        // most recent past year with the same last two digits.
        const int this_year = static_cast<int>(std::chrono::year_month_day{
            std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{
                std::chrono::seconds{now_s}})}.year());
        year = this_year / 100 * 100 + yy;
        if (year > this_year + 50) year -= 100;
      }
    }
    seconds = time_of_day(words[2]);
  } else if (words.size() == 5) {  // asctime
    month = month_number(words[1]);
    day = number(words[2], 2);
    seconds = time_of_day(words[3]);
    year = words[4].size() == 4 ? number(words[4], 4) : -1;
  }
  if (year < 0 || day < 1 || month == 0 || seconds < 0) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return int64_t{std::chrono::sys_days{date}.time_since_epoch().count()} * 86400 + seconds;
}

int64_t system_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double random_jitter() {
  thread_local std::minstd_rand engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.8, 1.2)(engine);
}

// A response no HTTP client can have given: the sender is broken, and says so.
void check_response(const agm_http_response &r) {
  if (r.outcome < AGM_HTTP_RESPONDED || r.outcome > AGM_HTTP_FAILED) {
    throw InvalidArgument("otlp->send set response->outcome to " + std::to_string(r.outcome) +
                          ", which is not an AGM_HTTP_* outcome (1 to 4)");
  }
  if (r.outcome == AGM_HTTP_RESPONDED && (r.status < 100 || r.status > 599)) {
    throw InvalidArgument("otlp->send answered AGM_HTTP_RESPONDED with status " + std::to_string(r.status) +
                          ", which is not an HTTP status (100 to 599)");
  }
  if (r.body == nullptr && r.body_size != 0) {
    throw InvalidArgument("otlp->send set response->body_size " + std::to_string(r.body_size) +
                          " with a NULL body");
  }
}

std::string failure_text(const agm_http_response &r, uint32_t timeout_ms) {
  if (r.outcome == AGM_HTTP_RESPONDED) {
    const std::string_view body(r.body ? r.body : "", r.body_size);
    return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + excerpt(body, 200));
  }
  if (r.error && *r.error) return excerpt(r.error, 1000);
  switch (r.outcome) {
    case AGM_HTTP_CONNECT_FAILED: return "cannot connect to the receiver";
    case AGM_HTTP_TIMED_OUT: return "no response within " + std::to_string(timeout_ms) + " ms";
    default: return "the request failed";
  }
}

}  // namespace

std::string otlp_metrics_url(const std::string &endpoint) {
  static constexpr std::string_view kPath = "/v1/metrics";
  std::string url = endpoint;
  const size_t query = url.find_first_of("?#");
  const std::string_view base = std::string_view(url).substr(0, query);
  if (base.size() >= kPath.size() && base.substr(base.size() - kPath.size()) == kPath) return url;
  std::string head(base);
  while (!head.empty() && head.back() == '/') head.pop_back();
  return head + std::string(kPath) + (query == std::string::npos ? "" : url.substr(query));
}

void check_otlp_target(const OtlpTarget &target) {
  if (target.send == nullptr) {
    throw InvalidArgument(
        "otlp->send is NULL: agentmetrics makes no network calls itself, so the caller must supply the "
        "HTTP sender (agm_http_send_fn) that performs each request");
  }
  const std::string url = otlp_metrics_url(target.endpoint);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw InvalidArgument("OTLP endpoint must be an http:// or https:// URL, not \"" + target.endpoint +
                          "\"");
  }
  for (const auto &[key, value] : target.headers) {
    if (key.find_first_of(":\r\n", 0) != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      throw InvalidArgument("OTLP header \"" + excerpt(key, 100) + "\" contains a colon or a line break");
    }
  }
}

std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now_s) {
  value = trim(value);
  if (all_digits(value)) {
    int64_t seconds = 0;
    for (char c : value) {
      if (seconds > (std::numeric_limits<int64_t>::max() - 9) / 10)
        return std::numeric_limits<int64_t>::max();
      seconds = seconds * 10 + (c - '0');
    }
    return seconds;
  }
  const std::optional<int64_t> date = parse_http_date(value, now_s);
  if (!date) return std::nullopt;
  return *date - now_s;
}

bool transient_outcome(uint32_t outcome, int32_t status) {
  switch (outcome) {
    case AGM_HTTP_RESPONDED: return status == 429 || status == 502 || status == 503 || status == 504;
    case AGM_HTTP_CONNECT_FAILED:
    case AGM_HTTP_TIMED_OUT: return true;
    default: return false;
  }
}

milliseconds retry_wait(std::optional<int64_t> retry_after_s, uint32_t first_delay_ms, uint32_t retry,
                        double jitter) {
  if (retry_after_s && *retry_after_s > 0) {
    const int64_t cap = std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryWait).count();
    return std::chrono::seconds(std::min(*retry_after_s, cap));
  }
  const uint64_t doubled = uint64_t{first_delay_ms} << std::min(std::max(retry, 1u) - 1, 16u);
  const auto wait = milliseconds(static_cast<int64_t>(static_cast<double>(doubled) * jitter));
  return std::clamp(wait, milliseconds(0), kMaxRetryWait);
}

std::string post_otlp(const OtlpTarget &target, std::string_view body) {
  check_otlp_target(target);
  const std::string url = otlp_metrics_url(target.endpoint);
  std::vector<agm_http_header> headers;
  headers.reserve(target.headers.size() + 1);
  headers.push_back({"Content-Type", "application/json"});
  for (const auto &[key, value] : target.headers) headers.push_back({key.c_str(), value.c_str()});
  agm_http_request request{};
  request.struct_size = sizeof request;
  request.timeout_ms = std::max(target.timeout_ms, 1u);
  request.url = url.c_str();
  request.headers = headers.data();
  request.header_count = headers.size();
  request.body = body.data();
  request.body_size = body.size();

  const uint32_t attempts = std::max(target.max_attempts, 1u);
  for (uint32_t attempt = 1;; ++attempt) {
    agm_http_response response{};
    response.struct_size = sizeof response;
    if (target.send(target.send_user, &request, &response) != 0) {
      std::string why = "OTLP push to " + url + " was stopped by its HTTP sender";
      if (response.error && *response.error) why += ": " + excerpt(response.error, 1000);
      throw IoError(why);
    }
    check_response(response);
    if (response.outcome == AGM_HTTP_RESPONDED && response.status >= 200 && response.status <= 299) {
      return std::string(response.body ? response.body : "", response.body_size);
    }
    if (attempt < attempts && transient_outcome(response.outcome, response.status)) {
      std::optional<int64_t> after;
      if (response.outcome == AGM_HTTP_RESPONDED && response.retry_after) {
        after = parse_retry_after(response.retry_after, target.now_s ? target.now_s() : system_now_s());
      }
      const milliseconds wait = retry_wait(after, target.retry_delay_ms, attempt,
                                           target.jitter ? target.jitter() : random_jitter());
      if (target.sleep) {
        target.sleep(wait);
      } else {
        std::this_thread::sleep_for(wait);
      }
      continue;
    }
    std::string why = failure_text(response, request.timeout_ms);
    if (attempt > 1) why += " (attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + ")";
    throw IoError("OTLP push to " + url + " failed: " + why);
  }
}

}  // namespace agentmetrics
