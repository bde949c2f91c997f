// Every schema file is reachable from the operation table and every operation/status has a
// message: no orphan schema file, no orphan definition, no documented body without a schema.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engines.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/schemas/messages.h"
#include "rqcheck/schemas/validation.h"
#include "test_util.h"

namespace rqcheck::schemas {
namespace {

using nlohmann::json;

std::set<std::string> messages_from_operation_table() {
  std::set<std::string> out;
  for (const OperationInfo& info : request_queue_operations()) {
    if (auto m = request_message(info.op)) out.emplace(*m);
    for (int s : success_statuses(info.op)) {
      if (auto m = response_message(info.op, s)) out.emplace(*m);
    }
    for (int s : error_statuses()) {
      if (auto m = response_message(info.op, s)) out.emplace(*m);
    }
  }
  return out;
}

TEST(SchemaReachabilityTest, EveryFileInTheSourceTreeIsEmbedded) {
  std::set<std::string> on_disk;
  for (const auto& f : std::filesystem::directory_iterator(RQCHECK_SCHEMAS_DIR)) {
    const std::string name = f.path().filename().string();
    if (name.size() > 12 && name.compare(name.size() - 12, 12, ".schema.json") == 0) {
      on_disk.insert(name);
    }
  }
  std::set<std::string> embedded;
  for (std::string_view f : schema_files()) embedded.emplace(f);
  EXPECT_EQ(on_disk, embedded);
}

TEST(SchemaReachabilityTest, EverySchemaFileIsReachableFromTheOperationTable) {
  std::set<std::string> expected;
  for (const std::string& m : messages_from_operation_table()) expected.insert(m + ".schema.json");
  expected.emplace(kDefinitionsFile);
  std::set<std::string> embedded;
  for (std::string_view f : schema_files()) embedded.emplace(f);
  EXPECT_EQ(embedded, expected) << "an orphan schema file, or a message without its file";
  std::set<std::string> names;
  for (std::string_view m : message_names()) names.emplace(m);
  EXPECT_EQ(names, messages_from_operation_table());
}

TEST(SchemaReachabilityTest, EveryOperationAndStatusHasAMessage) {
  for (const OperationInfo& info : request_queue_operations()) {
    SCOPED_TRACE(std::string(info.id));
    EXPECT_EQ(request_message(info.op).has_value(), info.has_request_body());
    const std::vector<int> ok = success_statuses(info.op);
    EXPECT_NE(std::find(ok.begin(), ok.end(), info.success_status), ok.end());
    for (int s : ok) {
      EXPECT_EQ(response_message(info.op, s).has_value(), s != 204) << s;
    }
    for (int s : error_statuses()) EXPECT_EQ(response_message(info.op, s), kErrorMessage) << s;
    EXPECT_FALSE(response_message(info.op, 302).has_value());
  }
  EXPECT_EQ(success_statuses(Operation::kQueuesPost), (std::vector<int>{200, 201}));
  EXPECT_EQ(error_statuses(),
            (std::vector<int>{400, 401, 402, 403, 404, 405, 408, 413, 415, 429, 500, 503}));
}

TEST(SchemaReachabilityTest, EveryMessageCompiles) {
  for (std::string_view m : message_names()) {
    const ValidationResult r = validate(m, json::object());
    for (const Violation& v : r.violations) {
      EXPECT_EQ(v.reason.find("did not compile"), std::string::npos) << m << ": " << v.reason;
      EXPECT_EQ(v.reason.find("unknown message"), std::string::npos) << m << ": " << v.reason;
    }
  }
}

TEST(SchemaReachabilityTest, EveryMessageRunsOnTheFastEngine) {
  for (std::string_view m : message_names()) {
    auto s = detail::EngineAccess::message_schema(m);
    ASSERT_TRUE(s.has_value()) << m;
    EXPECT_TRUE(detail::EngineAccess::fast_verdict(*s, json::object()).has_value())
        << m << " uses a keyword the fast engine does not implement";
  }
}

TEST(SchemaReachabilityTest, EveryDefinitionIsReferenced) {
  auto defs = json::parse(*schema_text(kDefinitionsFile));
  const std::regex ext("defs\\.schema\\.json#/definitions/([A-Za-z]+)");
  const std::regex local("\"#/definitions/([A-Za-z]+)\"");
  std::set<std::string> used;
  for (std::string_view f : schema_files()) {
    if (f == kDefinitionsFile) continue;
    const std::string text(*schema_text(f));
    for (std::sregex_iterator it(text.begin(), text.end(), ext), end; it != end; ++it) {
      used.insert((*it)[1]);
    }
  }
  // Close over the references between definitions.
  for (bool grew = true; grew;) {
    grew = false;
    for (const std::string& d : std::set<std::string>(used)) {
      const std::string text = defs["definitions"][d].dump();
      for (std::sregex_iterator it(text.begin(), text.end(), local), end; it != end; ++it) {
        grew |= used.insert((*it)[1]).second;
      }
    }
  }
  for (auto& [name, def] : defs["definitions"].items()) {
    EXPECT_EQ(used.count(name), 1u) << "definition " << name << " is referenced by no message";
  }
  for (const std::string& u : used) EXPECT_TRUE(defs["definitions"].contains(u)) << u;
}

TEST(SchemaReachabilityTest, EveryFileNamesItsSources) {
  for (std::string_view f : schema_files()) {
    SCOPED_TRACE(std::string(f));
    json doc = json::parse(*schema_text(f), nullptr, false);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc.value("$schema", ""), "http://json-schema.org/draft-07/schema#");
    const std::string comment = doc.value("$comment", "");
    EXPECT_NE(comment.find("OpenAPI"), std::string::npos) << "names no OpenAPI component";
    EXPECT_TRUE(comment.find("seed") != std::string::npos ||
                comment.find("Seed") != std::string::npos)
        << "names no seed page (or says there is none)";
  }
}

}  // namespace
}  // namespace rqcheck::schemas
