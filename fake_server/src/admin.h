// The admin API under /__admin/ (README "The admin API"): health, reset, fault rules and their
// log, the journal, the compliance report, store snapshots, the virtual clock and rate limits;
// the dashboard's page and endpoints (admin_ui.h). Protected by --admin-token when set (the
// dashboard's page excepted). Not part of the Apify API: its JSON is written here.
//
//   Admin admin(ctx);
//   Reply r = admin.handle(http);   // http.path starts with /__admin
#pragma once

#include <functional>
#include <string>

#include "call.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/compliance.h"
#include "rqcheck/fake_server/faults.h"
#include "rqcheck/fake_server/journal.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

struct AdminContext {
  Store& store;
  FaultEngine& faults;
  Journal& journal;
  ComplianceMonitor& monitor;
  const Clock& clock;
  ManualClock* manual_clock;  // null unless the clock is virtual
  std::string admin_token;    // "" : no token needed
};

class Admin {
 public:
  explicit Admin(AdminContext ctx) : ctx_(std::move(ctx)) {}
  Reply handle(const HttpRequest& http);

 private:
  AdminContext ctx_;
};

}  // namespace rqcheck::fake
