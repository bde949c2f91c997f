#include "registry.h"

#include <algorithm>
#include <mutex>

// Every properties/*.cc defines one anchor; referencing them here keeps the linker from dropping
// the object files whose only content is static registrations.
namespace rqcheck::prop::anchors {
void state_machines();
void retry();
void oracle();
}  // namespace rqcheck::prop::anchors

namespace rqcheck::prop {

namespace {
std::vector<Property>& storage() {
  static std::vector<Property> properties;
  return properties;
}
std::mutex& storage_mu() {
  static std::mutex mu;
  return mu;
}
}  // namespace

detail::PropertyRegistrar::PropertyRegistrar(Property p, PropertyBody body, const char* file,
                                             int line) {
  p.body = std::move(body);
  std::string f = file;
  std::size_t at = f.rfind("property_tests/");
  p.file = at == std::string::npos ? f : f.substr(at);
  p.line = line;
  std::lock_guard lock(storage_mu());
  auto& v = storage();
  // In file and line order, whatever order the static initialisers run in.
  auto it = std::upper_bound(v.begin(), v.end(), p, [](const Property& a, const Property& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
  v.insert(it, std::move(p));
}

const std::vector<Property>& all_properties() {
  static const bool anchored = [] {
    anchors::state_machines();
    anchors::retry();
    anchors::oracle();
    return true;
  }();
  (void)anchored;
  return storage();
}

const Property* find_property(std::string_view id) {
  for (const auto& p : all_properties()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

}  // namespace rqcheck::prop
