// The two validation engines behind validate(): a fast interpreter for the keywords rqcheck's
// schemas use (the verdict of valid documents), and valijson (the reference, and the source of
// every violation). Tests check that both agree; nothing outside schemas/ includes this.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "rqcheck/schemas/validation.h"

namespace rqcheck::schemas::detail {

struct EngineAccess {
  // nullopt when the schema uses a keyword the fast engine does not implement.
  static std::optional<bool> fast_verdict(const CompiledSchema& s, const nlohmann::json& doc);
  static bool reference_verdict(const CompiledSchema& s, const nlohmann::json& doc);
  // The compiled schema of a message (nullopt for an unknown message).
  static std::optional<CompiledSchema> message_schema(std::string_view message);
};

}  // namespace rqcheck::schemas::detail
