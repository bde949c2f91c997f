#include "bugs.h"

#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {

class NoBugs final : public Bugs {
 public:
  bool empty() const override { return true; }
  void before(BugCall&) override {}
  void after(BugCall&, BugReply&) override {}
};

}  // namespace

const std::vector<BugInfo>& Bugs::catalogue() {
  static const std::vector<BugInfo> kCatalogue = {};
  return kCatalogue;
}

Result<std::shared_ptr<Bugs>> Bugs::make(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    bool known = false;
    for (const auto& b : catalogue()) known = known || b.name == n;
    if (!known) return errors::invalid_parameter("Unknown bug \"" + n + "\".");
  }
  return std::shared_ptr<Bugs>(std::make_shared<NoBugs>());
}

}  // namespace rqcheck::fake
