#include "directory.h"

#include <string>

#include "rqcheck/core/limits.h"

namespace rqcheck::fake {

namespace {

constexpr std::pair<GeneralAccess, std::string_view> kAccessNames[] = {
    {GeneralAccess::kFollowUserSetting, "FOLLOW_USER_SETTING"},
    {GeneralAccess::kAnyoneWithIdCanRead, "ANYONE_WITH_ID_CAN_READ"},
    {GeneralAccess::kAnyoneWithNameCanRead, "ANYONE_WITH_NAME_CAN_READ"},
    {GeneralAccess::kRestricted, "RESTRICTED"},
};

// "key-value store" -> "Key-value store".
std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}
}  // namespace

std::string_view to_string(GeneralAccess a) {
  for (const auto& [value, name] : kAccessNames) {
    if (value == a) return name;
  }
  return "FOLLOW_USER_SETTING";
}

std::optional<GeneralAccess> parse_general_access(std::string_view s) {
  for (const auto& [value, name] : kAccessNames) {
    if (name == s) return value;
  }
  return std::nullopt;
}

StorageKind request_queue_kind() {
  // Today's queues answer 404 with the catalogue's default message; kept.
  return {"request queue", "The requested resource was not found."};
}
StorageKind key_value_store_kind() { return {"key-value store", "Key-value store was not found."}; }
StorageKind dataset_kind() { return {"dataset", "Dataset was not found."}; }

Status check_storage_name(const StorageKind& kind, std::string_view name) {
  std::string what = capitalized(kind.noun) + " name";
  if (name.empty() || name.size() > kMaxStorageNameLength) {
    return errors::invalid_parameter(what + " must be 1 to 63 characters long.");
  }
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) {
      return errors::invalid_parameter(what + " may contain only letters, digits and '-' (got \"" +
                                       std::string(name) + "\").");
    }
  }
  if (name.front() == '-' || name.back() == '-') {
    return errors::invalid_parameter(what + " must not start or end with '-'.");
  }
  return Ok{};
}

}  // namespace rqcheck::fake
