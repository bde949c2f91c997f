// The store snapshot import (fake_server, PUT /__admin/store: parse_snapshot, then
// Store::import_queues): any JSON is imported or refused with a 400, never a crash or an
// exception; a refused import leaves the store as it was; an accepted one exports a snapshot that
// parses and imports again to the same snapshot.
#include "rqcheck/fake_server/store.h"

#include <algorithm>

#include "../fuzz_check.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/time.h"
#include "snapshot.h"

namespace {
// The snapshot with its queues in id order.
rqcheck::Json canonical(rqcheck::Json snap) {
  auto& qs = snap["queues"];
  std::vector<rqcheck::Json> v(qs.begin(), qs.end());
  std::sort(v.begin(), v.end(), [](const rqcheck::Json& a, const rqcheck::Json& b) {
    return a.value("id", "") < b.value("id", "");
  });
  snap["queues"] = v;
  return snap;
}

rqcheck::Json snapshot_of(const rqcheck::fake::Store& store) {
  return canonical(rqcheck::fake::snapshot_json(store.export_queues()));
}

rqcheck::Status import(rqcheck::fake::Store& store, const rqcheck::Json& doc) {
  auto images = rqcheck::fake::parse_snapshot(doc);
  if (!images) return images.error();
  return store.import_queues(std::move(*images));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = rqcheck::parse_json(text, rqcheck::JsonLimits{128, 1 << 20});
  if (!doc) return 0;
  rqcheck::ManualClock clock(1700000000000);
  rqcheck::fake::StoreOptions options;
  options.rate_limits.enabled = false;
  rqcheck::fake::Store store(options, clock);
  // Something to lose if a refused import touched the store.
  rqcheck::fake::User user{"FuzzUserAAAAAAAAA", "fuzz", "fuzz-token"};
  store.set_fixed_users({user});
  rqcheck::fake::Caller me{&user, std::nullopt};
  auto created = store.create_queue(me, std::string("before"));
  RQ_FUZZ_CHECK(created.ok());
  rqcheck::Json before = snapshot_of(store);
  auto st = import(store, *doc);
  if (!st) {
    RQ_FUZZ_CHECK_SHOW(st.error().status == 400, st.error().message);
    RQ_FUZZ_CHECK(snapshot_of(store) == before);
    return 0;
  }
  rqcheck::Json first = snapshot_of(store);
  rqcheck::fake::Store again(options, clock);
  auto st2 = import(again, first);
  RQ_FUZZ_CHECK_SHOW(st2.ok(), st2.ok() ? std::string() : st2.error().message);
  rqcheck::Json second = snapshot_of(again);
  RQ_FUZZ_CHECK_SHOW(second == first, rqcheck::dump_json(first).substr(0, 300) + " vs " +
                                          rqcheck::dump_json(second).substr(0, 300));
  return 0;
}
