// The metric catalogue (core/src/export/metric_catalogue.hpp) is the exports' contract: an
// OTLP/JSON or Prometheus export writes exactly its metrics, with its instruments, units,
// descriptions and attribute keys, and the README's table of metrics lists the same.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "export_store.hpp"
#include "metric_catalogue.hpp"
#include "store_helpers.hpp"

using namespace agentmetrics;

namespace {

// Records that give every metric a point and every attribute of the catalogue a value: a
// priced streamed call, a failed call without usage, a tool call that succeeds and one that
// fails, a turn, an invocation that succeeds and one that fails.
constexpr const char *kJournal =
    R"({"v":1,"kind":"session","ts":1763800000000000000,"session":"s1","agent":"planner"})"
    "\n"
    R"({"v":1,"kind":"model_call","ts":1763800001000000000,"session":"s1","agent":"planner","turn":1,)"
    R"("model":"gpt-4o","provider":"openai","source":"agent","attempt":1,"outcome":"ok","duration_ns":1500000000,)"
    R"("ttft_ns":200000000,"usage":{"input":1000,"cache_read":200,"output":300,"reasoning":100,"total":1500},)"
    R"("cost":{"input":0.0025,"cache_read":0.00025,"output":0.003,"total":0.00575}})"
    "\n"
    R"({"v":1,"kind":"model_call","ts":1763800002000000000,"session":"s1","agent":"planner","turn":1,)"
    R"("model":"gpt-4o","provider":"openai","source":"agent","attempt":2,"outcome":"error","error_type":"timeout",)"
    R"("duration_ns":30000000})"
    "\n"
    R"({"v":1,"kind":"tool_call","ts":1763800003000000000,"session":"s1","agent":"planner","turn":1,"tool":"search",)"
    R"("call_id":"c1","outcome":"ok","duration_ns":250000000})"
    "\n"
    R"({"v":1,"kind":"tool_call","ts":1763800003500000000,"session":"s1","agent":"planner","turn":1,"tool":"search",)"
    R"("call_id":"c2","outcome":"error","error_type":"http_500","duration_ns":50000000})"
    "\n"
    R"({"v":1,"kind":"turn","ts":1763800004000000000,"session":"s1","agent":"planner","turn":1,"duration_ns":4000000000,)"
    R"("tool_wall_ns":300000000,"tool_work_ns":300000000,"model_calls":2,"tool_calls":2,"tokens":1500,"cost":0.00575})"
    "\n"
    R"({"v":1,"kind":"invocation","ts":1763800005000000000,"invocation_id":"i1","agent":"builder","phase":2,)"
    R"("task_id":"t1","model":"gpt-4o","tier":"high","duration_ns":5000000000,"tokens":900,"cost":0.01,)"
    R"("exit_code":0,"success":true,"attempt":1,"output_parsed":true})"
    "\n"
    R"({"v":1,"kind":"invocation","ts":1763800006000000000,"invocation_id":"i2","agent":"builder","phase":2,)"
    R"("task_id":"t2","model":"gpt-4o","tier":"high","duration_ns":7000000000,"tokens":100,"cost":0.001,)"
    R"("exit_code":1,"success":false,"error_class":"crash","attempt":1,"output_parsed":false})"
    "\n";

std::string export_sample(ExportFormat format) {
  store_test::TempDir dir;
  const std::string path = dir / "metrics.jsonl";
  store_test::append_text(path, kJournal);
  ExportOptions options;
  options.format = format;
  std::string out;
  ReadReport report;
  export_store(
      path, options, [&](std::string_view piece) { out.append(piece); }, report);
  return out;
}

std::set<std::string> catalogue_attributes(const MetricInfo &m) {
  std::set<std::string> keys;
  for (std::string_view a : m.attributes) {
    if (!a.empty()) keys.emplace(a);
  }
  return keys;
}

TEST(MetricCatalogue, OtlpWritesExactlyTheCataloguedMetricsAndAttributes) {
  const std::string text = export_sample(ExportFormat::kOtlpJson);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text);
  simdjson::dom::array metrics = doc["resourceMetrics"].at(0)["scopeMetrics"].at(0)["metrics"].get_array();
  std::vector<std::string> written;
  for (simdjson::dom::object m : metrics) {
    const std::string name{std::string_view(m["name"])};
    written.push_back(name);
    const MetricInfo *info = nullptr;
    for (const MetricInfo &c : kMetricCatalogue) {
      if (c.name == name) info = &c;
    }
    ASSERT_NE(info, nullptr) << name << " is written but not in the catalogue";
    EXPECT_EQ(std::string_view(m["unit"]), info->unit) << name;
    EXPECT_EQ(std::string_view(m["description"]), info->description) << name;
    const bool histogram = info->instrument == Instrument::kHistogram;
    simdjson::dom::object data;
    ASSERT_EQ(m[histogram ? "histogram" : "sum"].get(data), simdjson::SUCCESS) << name;
    EXPECT_EQ(m[histogram ? "sum" : "histogram"].error(), simdjson::NO_SUCH_FIELD) << name;
    std::set<std::string> keys;
    for (simdjson::dom::object point : data["dataPoints"].get_array()) {
      for (simdjson::dom::object a : point["attributes"].get_array())
        keys.emplace(std::string_view(a["key"]));
      if (!histogram) {
        const bool integer = info->unit != "USD";
        EXPECT_EQ(point[integer ? "asInt" : "asDouble"].error(), simdjson::SUCCESS) << name;
      }
    }
    // The points carry the catalogued keys, and each of them somewhere in this sample.
    EXPECT_EQ(keys, catalogue_attributes(*info)) << name;
  }
  std::vector<std::string> catalogue;
  for (const MetricInfo &c : kMetricCatalogue) catalogue.emplace_back(c.name);
  EXPECT_EQ(written, catalogue);  // every one, in the catalogue's order
}

TEST(MetricCatalogue, PrometheusWritesTheCataloguedFamilies) {
  const std::string text = export_sample(ExportFormat::kPrometheus);
  std::vector<std::string> types;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) types.push_back(line.substr(7));
  }
  std::vector<std::string> expected = {"target_info gauge"};
  for (const MetricInfo &c : kMetricCatalogue) {
    expected.push_back(std::string(c.prometheus) +
                       (c.instrument == Instrument::kHistogram ? " histogram" : "_total counter"));
  }
  EXPECT_EQ(types, expected);
}

std::string cell(std::string s) {
  const size_t b = s.find_first_not_of(" `");
  const size_t e = s.find_last_not_of(" `");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The README's table of metrics ("Exports and the HTML report"): name, Prometheus family,
// instrument, unit and attribute keys, row by row.
TEST(MetricCatalogue, TheReadmeListsTheCatalogue) {
  const std::string readme = store_test::read_text(AGM_README);
  ASSERT_FALSE(readme.empty()) << AGM_README;
  const size_t header = readme.find("| Metric | Prometheus | Instrument | Unit | Attributes |");
  ASSERT_NE(header, std::string::npos) << "no table of metrics in the README";
  std::istringstream lines(readme.substr(header));
  std::string line;
  std::getline(lines, line);  // header
  std::getline(lines, line);  // rule
  size_t row = 0;
  while (std::getline(lines, line)) {
    const size_t bar = line.find_first_not_of(' ');
    if (bar == std::string::npos || line[bar] != '|') break;
    std::vector<std::string> cells;
    std::istringstream parts(line.substr(bar + 1));
    for (std::string part; std::getline(parts, part, '|');) cells.push_back(part);
    ASSERT_EQ(cells.size(), 5u) << line;
    ASSERT_LT(row, kMetricCount) << "the README lists more metrics than the catalogue: " << line;
    const MetricInfo &m = kMetricCatalogue[row++];
    EXPECT_EQ(cell(cells[0]), m.name) << line;
    EXPECT_EQ(cell(cells[1]), m.prometheus) << line;
    EXPECT_EQ(cell(cells[2]), m.instrument == Instrument::kHistogram ? "histogram" : "sum") << line;
    EXPECT_EQ(cell(cells[3]), m.unit) << line;
    std::set<std::string> keys;
    std::istringstream attributes(cells[4]);
    for (std::string a; std::getline(attributes, a, ',');) keys.insert(cell(a));
    EXPECT_EQ(keys, catalogue_attributes(m)) << line;
  }
  EXPECT_EQ(row, kMetricCount) << "the README lists fewer metrics than the catalogue";
}

}  // namespace
