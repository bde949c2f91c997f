// What the reports say: schema findings are their own results, grouped by root cause and never
// the failure of a check that read them; the console, the exit code, JUnit and JSON agree on
// every level; a selection that matches nothing is an error naming the pattern.
#include "rqcheck/conformance/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rqcheck/conformance/runner.h"
#include "rqcheck/core/json.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The whole catalogue (or `only`) through run_checks against a fresh fake with `bugs`, as
// rq-conformance runs it.
RunReport run_against(const std::vector<std::string>& bugs, std::vector<std::string> only = {},
                      bool strict = false) {
  fake::FakeServerOptions fo;
  fo.threads = 16;
  fo.bugs = bugs;
  fake::FakeServer server(fo);
  EXPECT_TRUE(server.start());
  RunOptions o;
  o.base_url = server.base_url();
  o.token = "rqcheck-conformance";
  o.second_token = "rqcheck-conformance-second";
  o.selection.only = std::move(only);
  o.strict = strict;
  o.target.is_embedded_fake = true;
  o.target.fake_bugs = bugs;
  RunReport report = run_checks(o);
  server.stop();
  return report;
}

std::set<std::string> failed(const RunReport& r) {
  std::set<std::string> out;
  for (const auto& c : r.results) {
    if (c.outcome.status != Verdict::kPass && c.outcome.status != Verdict::kSkip)
      out.insert(c.check->id);
  }
  return out;
}

std::string console(const RunReport& r) {
  std::ostringstream s;
  for (std::size_t i = 0; i < r.results.size(); ++i) {
    s << progress_line(r.results[i], i + 1, r.results.size(), false) << "\n";
  }
  write_console_summary(s, r, false);
  return s.str();
}

// Every format tells the same story as the exit code.
void expect_agreement(const RunReport& r) {
  const int code = r.exit_code();
  const std::string text = console(r);
  EXPECT_NE(text.find("(exit " + std::to_string(code) + ")"), std::string::npos) << text;

  auto json = parse_json(json_report(r));
  ASSERT_TRUE(json.ok());
  const Json& summary = (*json)["summary"];
  EXPECT_EQ(summary["exitCode"].get<int>(), code);
  EXPECT_EQ(summary["violations"].get<std::size_t>(), r.violations());
  EXPECT_EQ(summary["warnings"].get<std::size_t>(), r.warnings());
  EXPECT_EQ(summary["schemaFindings"].get<std::size_t>(), r.schema_findings.size());
  std::size_t json_fail = 0, json_warn = 0;
  for (const auto& res : (*json)["results"]) {
    json_fail += res["result"] == "fail";
    json_warn += res["result"] == "warn";
  }
  EXPECT_EQ(json_fail, r.violations());
  EXPECT_EQ(json_warn, r.warnings());

  const std::string junit = junit_report(r);
  const std::size_t junit_failures = occurrences(junit, "<failure ");
  const std::size_t junit_errors = occurrences(junit, "<error ");
  // A <failure> for each violation and schema finding, nothing for a warning.
  EXPECT_EQ(junit_failures, r.violations() + r.schema_findings.size()) << junit;
  EXPECT_EQ(occurrences(junit, "WARNING (should-level"), r.warnings()) << junit;
  // Red in CI exactly when the exit code is not 0.
  EXPECT_EQ(junit_failures + junit_errors > 0, code != 0) << junit;
  if (code == 2) {
    EXPECT_GT(junit_errors, 0u) << junit;
  }
}

TEST(SchemaFindingsTest, OneWrongFieldIsOneFindingAndEveryCheckPasses) {
  // StorageBytesAsString: one field of the queue object has the wrong type, and no check reads
  // it. Before schema findings were their own results, every check that created a queue failed.
  RunReport r = run_against({"StorageBytesAsString"});
  ASSERT_EQ(r.schema_findings.size(), 1u) << console(r);
  const SchemaFinding& f = r.schema_findings[0];
  EXPECT_EQ(f.field, "storageBytes");
  EXPECT_EQ(f.rule, "expected integer, got string");
  EXPECT_GT(f.responses, 50u);
  EXPECT_GE(f.where.size(), 3u);  // queue create, get, update
  EXPECT_GT(f.checks.size(), 50u);
  EXPECT_TRUE(failed(r).empty()) << console(r);
  EXPECT_EQ(r.count(Verdict::kPass), r.results.size()) << console(r);
  EXPECT_EQ(r.exit_code(), 1);
  // The checks name the finding in their evidence.
  std::size_t naming = 0;
  for (const auto& c : r.results) naming += c.schema_findings == std::vector<std::string>{"S1"};
  EXPECT_EQ(naming, f.checks.size());
  const std::string text = console(r);
  EXPECT_NE(text.find("1 schema finding"), std::string::npos) << text;
  EXPECT_NE(text.find("S1  storageBytes: expected integer, got string"), std::string::npos) << text;
  expect_agreement(r);
}

TEST(SchemaFindingsTest, MissingConsoleUrlIsOneRootCause) {
  RunReport r = run_against({"MissingConsoleUrl"});
  ASSERT_EQ(r.schema_findings.size(), 1u) << console(r);
  EXPECT_EQ(r.schema_findings[0].field, "consoleUrl");
  EXPECT_EQ(finding_title(r.schema_findings[0]), "missing required property \"consoleUrl\"");
  // The only failed check is the one whose own assertion is about consoleUrl (decision 40).
  EXPECT_EQ(failed(r), std::set<std::string>{"rq.queue.required_fields"}) << console(r);
  expect_agreement(r);
}

TEST(SchemaFindingsTest, RootCausesDoNotBleedIntoEachOther) {
  // The example: three bugs. consoleUrl is one finding; the cursor and the 500s fail
  // exactly the checks they fail alone.
  RunReport all = run_against({"MissingConsoleUrl", "CursorSkipsItem", "NotFoundIs500"});
  std::set<std::string> want = failed(run_against({"CursorSkipsItem"}));
  for (const auto& id : failed(run_against({"NotFoundIs500"}))) want.insert(id);
  want.insert("rq.queue.required_fields");
  EXPECT_EQ(failed(all), want) << console(all);
  ASSERT_EQ(all.schema_findings.size(), 1u) << console(all);
  for (const auto& c : all.results) {
    EXPECT_EQ(c.outcome.received.find("consoleUrl"), c.check->id == "rq.queue.required_fields"
                                                         ? c.outcome.received.find("consoleUrl")
                                                         : std::string::npos)
        << c.check->id << ": " << c.outcome.received;
  }
  expect_agreement(all);
}

TEST(ReportAgreementTest, AShouldLevelFailureIsAWarningUnlessStrict) {
  RunReport warn = run_against({"HeadOrderReversed"}, {"rq.head.queue_order"});
  ASSERT_EQ(warn.results.size(), 1u);
  EXPECT_EQ(result_label(warn.results[0]), "warn");
  EXPECT_EQ(warn.exit_code(), 0);
  EXPECT_EQ(occurrences(junit_report(warn), "<failure "), 0u);
  EXPECT_NE(progress_line(warn.results[0], 1, 1, false).find("WARN "), std::string::npos);
  expect_agreement(warn);

  RunReport strict = run_against({"HeadOrderReversed"}, {"rq.head.queue_order"}, true);
  ASSERT_EQ(strict.results.size(), 1u);
  EXPECT_EQ(result_label(strict.results[0]), "fail");
  EXPECT_EQ(strict.exit_code(), 1);
  EXPECT_EQ(occurrences(junit_report(strict), "<failure type=\"violation\""), 1u);
  expect_agreement(strict);
}

TEST(ReportAgreementTest, MustFailuresConformantRunsAndHarnessErrors) {
  RunReport ok = run_against({}, {"rq.list.*"});
  EXPECT_EQ(ok.exit_code(), 0) << console(ok);
  expect_agreement(ok);

  RunReport must = run_against({"CursorSkipsItem"}, {"rq.list.*"});
  EXPECT_EQ(must.exit_code(), 1);
  EXPECT_GT(must.violations(), 0u);
  expect_agreement(must);

  RunReport typo = run_against({}, {"rq.nothing.*"});
  EXPECT_EQ(typo.exit_code(), 2);
  EXPECT_NE(typo.harness_error.find("'rq.nothing.*'"), std::string::npos) << typo.harness_error;
  EXPECT_TRUE(typo.results.empty());
  expect_agreement(typo);
}

TEST(SelectionTest, APatternThatMatchesNothingIsAnError) {
  Selection typo;
  typo.only = {"rq.nothing.*"};
  EXPECT_NE(selection_error(typo).find("--only 'rq.nothing.*' matches no check"), std::string::npos)
      << selection_error(typo);
  Selection bare;
  bare.only = {"batch_add"};  // ids are rq.batch_add.*
  EXPECT_NE(selection_error(bare).find("'batch_add'"), std::string::npos);
  Selection one_typo;
  one_typo.only = {"rq.batch_add.*", "rq.lsit.*"};
  EXPECT_NE(selection_error(one_typo).find("'rq.lsit.*'"), std::string::npos);
  Selection skip;
  skip.skip = {"rq.nothing"};
  EXPECT_NE(selection_error(skip).find("--skip 'rq.nothing'"), std::string::npos);
  Selection empty;
  empty.only = {"rq.head.queue_order"};
  empty.levels = {Level::kMust};  // queue_order is a should
  EXPECT_NE(selection_error(empty).find("matches no check"), std::string::npos);
  Selection fine;
  fine.only = {"rq.batch_add.*"};
  EXPECT_EQ(selection_error(fine), "");
  // A shard of a non-empty selection may be empty.
  Selection shard;
  shard.only = {"rq.batch_add.max_25"};
  shard.total_shards = 4;
  shard.shard_index = 3;
  EXPECT_TRUE(select_checks(shard).empty());
  EXPECT_EQ(selection_error(shard), "");
}

TEST(SchemaFindingsTest, PointersAndRulesAreGeneralised) {
  EXPECT_EQ(generalise_pointer("/data/items/12/id"), "/data/items/*/id");
  EXPECT_EQ(generalise_pointer("/0/uniqueKey"), "/*/uniqueKey");
  EXPECT_EQ(generalise_pointer(""), "");
  EXPECT_EQ(rule_of("\"3f2a-uuid\" does not match the pattern ^[a-zA-Z0-9]{15,17}$"),
            "does not match the pattern ^[a-zA-Z0-9]{15,17}$");
  EXPECT_EQ(rule_of("expected integer, got string \"0\""), "expected integer, got string");
  EXPECT_EQ(rule_of("\"2024-01-01T00:00:00\" is not an RFC 3339 date-time with a timezone (e.g. "
                    "2019-06-16T10:23:31.607Z)"),
            "is not an RFC 3339 date-time with a timezone (e.g. 2019-06-16T10:23:31.607Z)");
  EXPECT_EQ(rule_of("must have at most 25 items (got 26 items)"), "must have at most 25 items");
  EXPECT_EQ(rule_of("missing required property \"consoleUrl\""),
            "missing required property \"consoleUrl\"");
}

}  // namespace
