#include "admin.h"

#include "admin_ui.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"
#include "snapshot.h"

namespace rqcheck::fake {

namespace {

Reply data(int status, const Json& j) {
  Reply r;
  r.status = status;
  r.body = "{\"data\":" + dump_json(j) + "}";
  return r;
}

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<Json> body_json(const HttpRequest& http) {
  if (http.body.empty()) return Json::object();
  return parse_json(http.body, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
}

Json rate_limits_json(const RateLimits& rl) {
  return {{"enabled", rl.enabled},
          {"singleRequestPerSec", rl.single_request_per_sec},
          {"batchPerSec", rl.batch_per_sec},
          {"otherPerSec", rl.other_per_sec},
          {"batchItemsPerSec", rl.batch_items_per_sec},
          {"globalPerMinute", rl.global_per_minute},
          {"kvRecordPerSec", rl.kv_record_per_sec},
          {"datasetPushPerSec", rl.dataset_push_per_sec}};
}

// The lag in force (docs/consistency.md): null when off.
Json lag_json(const Store& store) {
  const LagOptions& lag = store.lag();
  if (!lag.enabled()) return nullptr;
  return {{"spec", lag.describe()},
          {"head", lag.head.describe()},
          {"counters", lag.counters.describe()},
          {"seed", store.lag_seed()},
          {"headMaxMs", lag.head.on() ? lag.head.max_ms : 0},
          {"countersMaxMs", lag.counters.on() ? lag.counters.max_ms : 0}};
}

}  // namespace

Reply Admin::handle(const HttpRequest& http) {
  // The dashboard's page needs no token (it holds no data; it asks for the token itself).
  if (auto page = ui_asset(http, !ctx_.admin_token.empty())) return *page;
  if (http.body_error) return Reply::of_error(*http.body_error);
  if (!ctx_.admin_token.empty() &&
      http.header_or("Authorization") != "Bearer " + ctx_.admin_token) {
    return Reply::of_error(
        ApiError{401, "token-not-provided",
                 "The admin API needs the admin token (Authorization: Bearer <token>)."});
  }
  const std::string& method = http.method;
  auto parts = segments(http.path);
  std::string what = parts.size() >= 2 ? parts[1] : "";
  Store& store = ctx_.store;
  if (auto r = ui_api(ctx_, http, parts)) return *r;  // the dashboard's endpoints (admin_ui.cc)
  if (what == "health" && method == "GET") {
    return data(200, {{"status", "ok"},
                      {"queues", store.queue_count()},
                      {"keyValueStores", ctx_.key_value_stores.count()},
                      {"datasets", ctx_.datasets.count()},
                      {"users", store.users().count()},
                      {"now", format_iso8601(ctx_.clock.now_ms())},
                      {"clock", ctx_.manual_clock ? "virtual" : "system"},
                      {"lag", lag_json(store)}});
  }
  if (what == "reset" && method == "POST") {
    store.reset();
    ctx_.key_value_stores.clear();
    ctx_.datasets.clear();
    ctx_.faults.clear();
    ctx_.journal.clear();
    ctx_.monitor.clear();
    if (ctx_.persist_replaced) {
      if (auto st = ctx_.persist_replaced(); !st) return Reply::of_error(st.error());
    }
    return Reply::no_content();
  }
  if (what == "faults") {
    std::string sub = parts.size() >= 3 ? parts[2] : "";
    if (sub == "log" && method == "GET") return data(200, ctx_.faults.fault_log(1000));
    if (!sub.empty() && method == "DELETE") {
      return ctx_.faults.remove_rule(sub)
                 ? Reply::no_content()
                 : Reply::of_error(errors::record_not_found("No fault rule \"" + sub + "\"."));
    }
    if (sub.empty() && method == "GET") return data(200, ctx_.faults.rules_json());
    if (sub.empty() && method == "DELETE") {
      ctx_.faults.clear();
      return Reply::no_content();
    }
    if (sub.empty() && method == "POST") {
      Json rules;
      if (http.header_or("Content-Type").rfind("text/plain", 0) == 0) {
        auto parsed = parse_fault_shorthand(http.body);
        if (!parsed) return Reply::of_error(parsed.error());
        rules = Json(*parsed);
      } else {
        auto doc = body_json(http);
        if (!doc) return Reply::of_error(doc.error());
        rules = std::move(*doc);
      }
      auto ids = ctx_.faults.add_rules(rules);
      if (!ids) return Reply::of_error(ids.error());
      return data(201, Json{{"ids", *ids}});
    }
    return Reply::of_error(errors::method_not_allowed("GET,POST,DELETE"));
  }
  if (what == "journal" && method == "GET") {
    std::vector<Header> query(http.query.begin(), http.query.end());
    auto filter = JournalFilter::from_query(query);
    if (!filter) return Reply::of_error(filter.error());
    return data(200, ctx_.journal.to_json(*filter));
  }
  if (what == "report" && method == "GET") {
    // ?final=true: judge the run as over (docs/oracle.md), as rq-fake --report does at exit.
    const std::string* final = http.param("final");
    if (final && *final != "true" && *final != "false" && *final != "1" && *final != "0") {
      return Reply::of_error(errors::invalid_parameter("final must be true, false, 1 or 0."));
    }
    return data(200, ctx_.monitor.report(final && (*final == "true" || *final == "1")));
  }
  if (what == "store") {
    if (method == "GET") {
      SnapshotData snap;
      snap.queues = store.export_queues();
      snap.key_value_stores = ctx_.key_value_stores.snapshot();
      snap.datasets = ctx_.datasets.snapshot();
      snap.users = store.users().all();
      for (User& u : snap.users) u.token.clear();  // never a token in an export
      return data(200, snapshot_json(snap));
    }
    if (method == "PUT" || method == "POST") {
      auto doc = body_json(http);
      if (!doc) return Reply::of_error(doc.error());
      auto snap = parse_snapshot(*doc);
      if (!snap) return Reply::of_error(snap.error());
      // All or nothing: the other storages are checked before the queues are replaced (which
      // checks everything first itself), and cannot fail after that.
      if (auto st = ctx_.key_value_stores.check_restore(snap->key_value_stores); !st) {
        return Reply::of_error(st.error());
      }
      if (auto st = ctx_.datasets.check_restore(snap->datasets); !st) {
        return Reply::of_error(st.error());
      }
      if (auto st = store.import_queues(std::move(snap->queues)); !st) {
        return Reply::of_error(st.error());
      }
      store.users().restore(snap->users);
      auto kv = ctx_.key_value_stores.restore(std::move(snap->key_value_stores));
      auto ds = ctx_.datasets.restore(std::move(snap->datasets));
      if (!kv) return Reply::of_error(kv.error());
      if (!ds) return Reply::of_error(ds.error());
      if (ctx_.persist_replaced) {
        if (auto st = ctx_.persist_replaced(); !st) return Reply::of_error(st.error());
      }
      return Reply::no_content();
    }
    return Reply::of_error(errors::method_not_allowed("GET,PUT,POST"));
  }
  if (what == "clock") {
    if (method == "POST" || method == "PUT") {
      if (!ctx_.manual_clock) {
        return Reply::of_error(errors::invalid_request(
            "The clock can be moved only when rq-fake runs with --clock virtual."));
      }
      auto doc = body_json(http);
      if (!doc) return Reply::of_error(doc.error());
      if (doc->contains("advanceMs") && (*doc)["advanceMs"].is_number_integer() &&
          (*doc)["advanceMs"].get<std::int64_t>() >= 0) {
        ctx_.manual_clock->advance_ms((*doc)["advanceMs"].get<std::int64_t>());
      } else if (doc->contains("now") && (*doc)["now"].is_string()) {
        auto t = parse_iso8601((*doc)["now"].get<std::string>());
        if (!t) {
          return Reply::of_error(errors::invalid_input(
              "Invalid input: \"now\" must be an ISO 8601 date-time with a timezone."));
        }
        ctx_.manual_clock->set_ms(*t);
      } else {
        return Reply::of_error(
            errors::invalid_input("Invalid input: send {\"advanceMs\": <non-negative integer>} or "
                                  "{\"now\": \"<date-time>\"}."));
      }
    } else if (method != "GET") {
      return Reply::of_error(errors::method_not_allowed("GET,POST"));
    }
    TimeMs now = ctx_.clock.now_ms();
    return data(200, Json{{"now", format_iso8601(now)},
                          {"nowMs", now},
                          {"mode", ctx_.manual_clock ? "virtual" : "system"}});
  }
  if (what == "rate-limits") {
    RateLimits rl = store.rate_limits();
    if (method == "PUT" || method == "POST") {
      auto doc = body_json(http);
      if (!doc) return Reply::of_error(doc.error());
      if (!doc->is_object()) {
        return Reply::of_error(errors::invalid_input("Invalid input: expected an object."));
      }
      for (auto it = doc->begin(); it != doc->end(); ++it) {
        const std::string& k = it.key();
        if (k == "enabled" && it->is_boolean()) {
          rl.enabled = it->get<bool>();
        } else if (it->is_number_integer() && it->get<std::int64_t>() >= 0 &&
                   it->get<std::int64_t>() < (1LL << 31)) {
          int v = it->get<int>();
          if (k == "singleRequestPerSec") {
            rl.single_request_per_sec = v;
          } else if (k == "batchPerSec") {
            rl.batch_per_sec = v;
          } else if (k == "otherPerSec") {
            rl.other_per_sec = v;
          } else if (k == "batchItemsPerSec") {
            rl.batch_items_per_sec = v;
          } else if (k == "globalPerMinute") {
            rl.global_per_minute = v;
          } else if (k == "kvRecordPerSec") {
            rl.kv_record_per_sec = v;
          } else if (k == "datasetPushPerSec") {
            rl.dataset_push_per_sec = v;
          } else {
            return Reply::of_error(
                errors::invalid_input("Invalid input: unknown rate-limit field \"" + k + "\"."));
          }
        } else {
          return Reply::of_error(errors::invalid_input("Invalid input: rate-limit field \"" + k +
                                                       "\" has the wrong type."));
        }
      }
      store.set_rate_limits(rl);
    }
    return data(200, rate_limits_json(rl));
  }
  return Reply::of_error(errors::page_not_found(http.path));
}

}  // namespace rqcheck::fake
