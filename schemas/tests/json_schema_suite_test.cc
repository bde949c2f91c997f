// The validator passes the official JSON Schema test suite (draft 7) for every keyword and format
// the schemas in schemas/*.schema.json use. The suite comes from Debian's json-schema-test-suite
// package (scripts/install-deps installs it); a missing directory or file fails the test.
//
// Keywords used by our schemas: $ref, definitions, type, properties, required, items, minItems,
// maxItems, minLength, maxLength, minimum, maximum, enum, pattern, anyOf, allOf, format.
// Annotations ($schema, $comment, title, description) need no test.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "engines.h"
#include "rqcheck/schemas/validation.h"
#include "test_util.h"

namespace rqcheck::schemas {
namespace {

using nlohmann::json;

const std::vector<std::string> kSuiteFiles = {"type.json",
                                              "properties.json",
                                              "required.json",
                                              "items.json",
                                              "minItems.json",
                                              "maxItems.json",
                                              "minLength.json",
                                              "maxLength.json",
                                              "minimum.json",
                                              "maximum.json",
                                              "enum.json",
                                              "pattern.json",
                                              "anyOf.json",
                                              "allOf.json",
                                              "ref.json",
                                              "definitions.json",
                                              "optional/format/date-time.json",
                                              "optional/format/uri.json"};

// Remote references are not supported (our schemas bundle defs.schema.json themselves): a group
// whose schema refers to another document must fail to compile, and is then skipped with the
// reason. Every other case of the listed files must agree with the suite.
struct SuiteCase {
  std::string file, group, test;
  json schema, data;
  bool valid = false;
  std::string name;
};

bool has_remote_ref(const json& j) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (k == "$ref" && v.is_string() && !v.get<std::string>().empty() &&
          v.get<std::string>()[0] != '#') {
        return true;
      }
      if (has_remote_ref(v)) return true;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (has_remote_ref(v)) return true;
    }
  }
  return false;
}

std::vector<SuiteCase> load_cases() {
  std::vector<SuiteCase> out;
  for (const std::string& file : kSuiteFiles) {
    auto doc =
        testing_util::read_json_file(std::string(RQCHECK_JSON_SCHEMA_SUITE_DIR) + "/" + file);
    if (!doc || !doc->is_array()) continue;  // SuiteFilesArePresent reports it
    int g = 0;
    for (const json& group : *doc) {
      int t = 0;
      for (const json& test : group["tests"]) {
        SuiteCase c{file,
                    group["description"].get<std::string>(),
                    test["description"].get<std::string>(),
                    group["schema"],
                    test["data"],
                    test["valid"].get<bool>(),
                    ""};
        c.name = testing_util::test_name(std::filesystem::path(file).stem().string() + "_" +
                                         std::to_string(g) + "_" + std::to_string(t));
        out.push_back(std::move(c));
        ++t;
      }
      ++g;
    }
  }
  return out;
}

// How ctest and failure messages show a case (instead of its bytes).
void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.file << ": " << c.test; }

const std::vector<SuiteCase>& cases() {
  static const std::vector<SuiteCase> all = load_cases();
  return all;
}

// The fast engine must cover most of the suite's cases for the keywords we use, or the
// comparison above proves little.
TEST(JsonSchemaSuiteTest, FastEngineCoversTheSuite) {
  int covered = 0;
  for (const SuiteCase& c : cases()) {
    auto schema = CompiledSchema::compile(c.schema);
    if (schema && detail::EngineAccess::fast_verdict(*schema, c.data).has_value()) ++covered;
  }
  EXPECT_GT(covered, static_cast<int>(cases().size()) / 2) << covered << " of " << cases().size();
}

TEST(JsonSchemaSuiteTest, SuiteFilesArePresent) {
  for (const std::string& file : kSuiteFiles) {
    const std::string path = std::string(RQCHECK_JSON_SCHEMA_SUITE_DIR) + "/" + file;
    auto doc = testing_util::read_json_file(path);
    ASSERT_TRUE(doc.has_value() && doc->is_array())
        << path << " is missing or not JSON: run scripts/install-deps (json-schema-test-suite)";
  }
  EXPECT_GT(cases().size(), 100u);
}

class JsonSchemaSuiteCaseTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(JsonSchemaSuiteCaseTest, ValidatorAgreesWithSuite) {
  const SuiteCase& c = GetParam();
  std::string error;
  auto schema = CompiledSchema::compile(c.schema, &error);
  if (has_remote_ref(c.schema)) {
    // Not supported on purpose (the validator never fetches): it must fail loudly at compile
    // time, naming the reference, never validate wrongly.
    ASSERT_FALSE(schema.has_value()) << c.file << " / " << c.group << ": a remote $ref compiled";
    EXPECT_NE(error.find("remote"), std::string::npos) << "the refusal does not say why: " << error;
    return;
  }
  ASSERT_TRUE(schema.has_value()) << c.file << " / " << c.group << ": " << error;
  EXPECT_EQ(detail::EngineAccess::reference_verdict(*schema, c.data), c.valid) << "valijson";
  if (auto fast = detail::EngineAccess::fast_verdict(*schema, c.data)) {
    EXPECT_EQ(*fast, c.valid) << "fast engine";
  }
  const ValidationResult r = schema->validate(c.data);
  EXPECT_EQ(r.ok(), c.valid) << c.file << " / " << c.group << " / " << c.test
                             << "\n  data: " << c.data.dump() << "\n  got: " << r.summary();
}

INSTANTIATE_TEST_SUITE_P(Draft7, JsonSchemaSuiteCaseTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& p) { return p.param.name; });

}  // namespace
}  // namespace rqcheck::schemas
