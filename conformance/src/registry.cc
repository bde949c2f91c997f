#include <algorithm>
#include <mutex>

#include "rqcheck/conformance/check.h"

// Every checks/*.cc defines one anchor; referencing them here keeps the linker from dropping
// the object files whose only content is static registrations.
namespace rqcheck::conformance::anchors {
void queues();
void requests();
void batch();
void list();
void head_lock();
void general();
void readback();
}  // namespace rqcheck::conformance::anchors

namespace rqcheck::conformance {

namespace {
std::vector<Check>& storage() {
  static std::vector<Check> checks;
  return checks;
}
std::mutex& storage_mu() {
  static std::mutex mu;
  return mu;
}
}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kMust:
      return "must";
    case Level::kShould:
      return "should";
    case Level::kTolerate:
      return "tolerate";
  }
  return "?";
}

bool parse_level(std::string_view text, Level* out) {
  if (text == "must")
    *out = Level::kMust;
  else if (text == "should")
    *out = Level::kShould;
  else if (text == "tolerate")
    *out = Level::kTolerate;
  else
    return false;
  return true;
}

std::string_view status_name(Verdict status) {
  switch (status) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kSkip:
      return "skip";
    case Verdict::kError:
      return "error";
  }
  return "?";
}

Outcome Outcome::pass(std::string observed) {
  Outcome o;
  o.observed = std::move(observed);
  return o;
}
Outcome Outcome::fail(std::string expected, std::string received) {
  Outcome o;
  o.status = Verdict::kFail;
  o.expected = std::move(expected);
  o.received = std::move(received);
  return o;
}
Outcome Outcome::skip(std::string reason) {
  Outcome o;
  o.status = Verdict::kSkip;
  o.reason = std::move(reason);
  return o;
}
Outcome Outcome::error(std::string reason) {
  Outcome o;
  o.status = Verdict::kError;
  o.reason = std::move(reason);
  return o;
}

void register_check(Check check) {
  std::lock_guard lock(storage_mu());
  auto& v = storage();
  auto it = std::lower_bound(v.begin(), v.end(), check.id,
                             [](const Check& c, const std::string& id) { return c.id < id; });
  v.insert(it, std::move(check));
}

detail::Registrar::Registrar(Check check, CheckFn fn, const char* file, int line) {
  check.fn = std::move(fn);
  // __FILE__ is the path the compiler was given (absolute under CMake): keep the part from the
  // module folder on, so docs/checks.md does not depend on where the tree is.
  std::string f = file;
  std::size_t at = f.rfind("conformance/checks/");
  check.file = at == std::string::npos ? f : f.substr(at);
  check.line = line;
  register_check(std::move(check));
}

const std::vector<Check>& all_checks() {
  static const bool anchored = [] {
    anchors::queues();
    anchors::requests();
    anchors::batch();
    anchors::list();
    anchors::head_lock();
    anchors::general();
    anchors::readback();
    return true;
  }();
  (void)anchored;
  return storage();
}

const Check* find_check(std::string_view id) {
  for (const auto& c : all_checks()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace rqcheck::conformance
