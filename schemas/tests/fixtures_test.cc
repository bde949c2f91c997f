// Every fixture in fixtures/<operationId>/<case>.json gets the verdict its label says, and an
// invalid one is rejected with a violation at the pointer the label names.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
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

namespace fs = std::filesystem;
using nlohmann::json;

struct Fixture {
  std::string operation;  // the folder: an operationId
  std::string file;       // path
  std::string name() const {
    return testing_util::test_name(operation + "__" + fs::path(file).stem().string());
  }
};

// How ctest and failure messages show a fixture (instead of its bytes).
void PrintTo(const Fixture& f, std::ostream* os) {
  *os << f.operation << "/" << fs::path(f.file).filename().string();
}

std::vector<Fixture> find_fixtures() {
  std::vector<Fixture> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(RQCHECK_FIXTURES_DIR, ec)) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().extension() == ".json") {
        out.push_back({dir.path().filename().string(), f.path().string()});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Fixture& a, const Fixture& b) { return a.file < b.file; });
  return out;
}

const std::vector<Fixture>& fixtures() {
  static const std::vector<Fixture> all = find_fixtures();
  return all;
}

// Whether `message` is one the operation table selects for `op`.
bool reachable(Operation op, const std::string& message) {
  if (message == kErrorMessage) return true;
  if (auto m = request_message(op); m && *m == message) return true;
  for (int s : success_statuses(op)) {
    if (auto m = response_message(op, s); m && *m == message) return true;
  }
  return false;
}

class SchemaFixturesTest : public ::testing::TestWithParam<Fixture> {};

TEST_P(SchemaFixturesTest, EveryFixtureGetsItsLabel) {
  const Fixture& fx = GetParam();
  auto doc = testing_util::read_json_file(fx.file);
  ASSERT_TRUE(doc.has_value()) << fx.file << " is not JSON";
  ASSERT_TRUE(doc->is_object()) << fx.file;
  for (const char* key : {"message", "valid", "reason", "source", "payload"}) {
    ASSERT_TRUE(doc->contains(key)) << fx.file << " lacks \"" << key << "\"";
  }
  const std::string message = (*doc)["message"].get<std::string>();
  const bool valid = (*doc)["valid"].get<bool>();
  EXPECT_FALSE((*doc)["reason"].get<std::string>().empty()) << fx.file;
  EXPECT_FALSE((*doc)["source"].get<std::string>().empty()) << fx.file;
  const json& payload = (*doc)["payload"];

  auto op = operation_from_id(fx.operation);
  ASSERT_TRUE(op.has_value()) << "folder " << fx.operation << " is not an operationId";
  EXPECT_TRUE(reachable(*op, message)) << message << " is not a message of " << fx.operation;

  const ValidationResult r = validate(message, payload);
  EXPECT_EQ(r.ok(), valid) << fx.file << "\n  label: " << (valid ? "valid" : "invalid") << " ("
                           << (*doc)["reason"].get<std::string>() << ")\n  got: " << r.summary();
  for (const Violation& v : r.violations) {
    EXPECT_TRUE(v.pointer.empty() || v.pointer[0] == '/') << v.pointer;
    EXPECT_FALSE(v.reason.empty()) << fx.file << " at " << v.pointer;
  }
  if (!valid) {
    ASSERT_TRUE(doc->contains("pointer")) << fx.file << ": an invalid fixture names its pointer";
    const std::string pointer = (*doc)["pointer"].get<std::string>();
    EXPECT_TRUE(std::any_of(r.violations.begin(), r.violations.end(),
                            [&](const Violation& v) { return v.pointer == pointer; }))
        << fx.file << ": no violation at \"" << pointer << "\"; got: " << r.summary();
  }

  // Both engines agree: the fast one (the verdict of valid documents) and valijson.
  auto compiled = detail::EngineAccess::message_schema(message);
  ASSERT_TRUE(compiled.has_value()) << message;
  auto fast = detail::EngineAccess::fast_verdict(*compiled, payload);
  ASSERT_TRUE(fast.has_value()) << message << " uses a keyword the fast engine lacks";
  EXPECT_EQ(*fast, valid) << "fast engine";
  EXPECT_EQ(detail::EngineAccess::reference_verdict(*compiled, payload), valid) << "valijson";

  // The operation and status select the same schema.
  const std::string request_suffix = ".request";
  ValidationResult selected;
  if (message == kErrorMessage) {
    selected = validate_response(*op, 400, payload);
  } else if (message.size() > request_suffix.size() &&
             message.compare(message.size() - request_suffix.size(), std::string::npos,
                             request_suffix) == 0) {
    selected = validate_request(*op, payload);
  } else {
    const int status = std::stoi(message.substr(message.rfind('.') + 1));
    selected = validate_response(*op, status, payload);
  }
  EXPECT_EQ(selected.ok(), valid) << "selection by operation/status: " << selected.summary();
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SchemaFixturesTest, ::testing::ValuesIn(fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& p) { return p.param.name(); });

TEST(SchemaFixturesSetTest, EveryMessageHasValidAndInvalidFixtures) {
  ASSERT_FALSE(fixtures().empty()) << "no fixtures under " << RQCHECK_FIXTURES_DIR;
  std::set<std::string> with_valid, with_invalid;
  for (const Fixture& fx : fixtures()) {
    auto doc = testing_util::read_json_file(fx.file);
    ASSERT_TRUE(doc.has_value()) << fx.file;
    const std::string m = doc->value("message", "");
    ((*doc).value("valid", false) ? with_valid : with_invalid).insert(m);
  }
  for (std::string_view m : message_names()) {
    EXPECT_EQ(with_valid.count(std::string(m)), 1u) << "no valid fixture for " << m;
    EXPECT_EQ(with_invalid.count(std::string(m)), 1u) << "no invalid fixture for " << m;
  }
}

}  // namespace
}  // namespace rqcheck::schemas
