#include "rqcheck/client/api.h"

namespace rqcheck::client {

Json to_json(const QueueUpdate& update) {
  Json j = Json::object();
  if (update.clear_name)
    j["name"] = nullptr;
  else if (update.name)
    j["name"] = *update.name;
  if (update.general_access) j["generalAccess"] = *update.general_access;
  return j;
}

}  // namespace rqcheck::client
