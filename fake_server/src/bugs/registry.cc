#include "registry.h"

#include <algorithm>

#include "rqcheck/core/errors.h"

namespace rqcheck::fake::bugs {

using O = Operation;

bool is_add(O op) { return op == O::kRequestsPost || op == O::kRequestsBatchPost; }
bool returns_queue(O op) {
  return op == O::kQueuesPost || op == O::kQueueGet || op == O::kQueuePut;
}
bool ok(int status) { return status >= 200 && status < 300; }

bool has_violation(const Call& call, std::string_view rule) {
  for (const Violation& v : call.violations) {
    if (v.rule == rule) return true;
  }
  return false;
}

void drop_extra_field(RequestDraft& d, const std::string& key) {
  if (d.extra.empty()) return;
  Json more = Json::parse("{" + d.extra.substr(1) + "}", nullptr, false);
  if (!more.is_object() || !more.contains(key)) return;
  more.erase(key);
  d.extra.clear();
  for (auto it = more.begin(); it != more.end(); ++it) {
    d.extra += ',';
    append_json_string(d.extra, it.key());
    d.extra += ':';
    d.extra += dump_json(it.value());
  }
}

void reparse(Call& call, const Context& ctx, std::string body) {
  auto http = std::make_shared<HttpRequest>(*call.http);
  http->body = std::move(body);
  Call fresh;
  fresh.seq = call.seq;
  fresh.arrival_ms = call.arrival_ms;
  RouteMatch route;
  route.kind = RouteMatch::kOperation;
  route.op = call.op;
  route.params = call.params;
  wire::parse_call(*http, route, ctx.wire, fresh);
  fresh.rewritten = std::move(http);
  call = std::move(fresh);
}

Json body_doc(const Call& call) {
  auto doc = parse_json(call.http->body);
  return doc ? std::move(*doc) : Json();
}

std::size_t batch_size(const Call& call) {
  Json doc = body_doc(call);
  return doc.is_array() ? doc.size() : 0;
}

void forgive(Call& call, std::string_view rule) {
  auto& v = call.violations;
  v.erase(std::remove_if(v.begin(), v.end(), [&](const Violation& x) { return x.rule == rule; }),
          v.end());
  wire::settle(call);
}

void refuse(Call& call, std::string_view rule, ApiError e) {
  call.violations.push_back({rule, std::move(e), true});
  wire::settle(call);
}

void set_error(Reply& r, const ApiError& e) {
  Reply fresh = Reply::of_error(e);
  r.status = fresh.status;
  r.body = std::move(fresh.body);
  r.error = std::move(fresh.error);
}

const std::vector<Bug>& catalogue() {
  static const std::vector<Bug> all = [] {
    std::vector<Bug> out;
    for (auto group : {queue_bugs, request_bugs, batch_bugs, list_bugs, lock_bugs, http_bugs}) {
      for (Bug& b : group()) out.push_back(b);
    }
    for (auto group : {subtle_queue_bugs, subtle_request_bugs, subtle_list_bugs, subtle_lock_bugs,
                       subtle_http_bugs, subtle_batch_bugs, subtle_access_bugs}) {
      for (Bug& b : group()) {
        b.set = "second";
        out.push_back(b);
      }
    }
    std::sort(out.begin(), out.end(), [](const Bug& a, const Bug& b) { return a.name < b.name; });
    return out;
  }();
  return all;
}

const Bug* find_bug(std::string_view name) {
  for (const Bug& b : catalogue()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

Result<ActiveBugs> ActiveBugs::make(const std::vector<std::string>& names) {
  ActiveBugs out;
  for (const std::string& n : names) {
    const Bug* b = find_bug(n);
    if (!b) {
      return errors::invalid_input("Unknown bug \"" + n +
                                   "\" (rq-fake --list-bugs lists the named bugs).");
    }
    if (std::find(out.active_.begin(), out.active_.end(), b) == out.active_.end()) {
      out.active_.push_back(b);
    }
  }
  return out;
}

StoreQuirks ActiveBugs::quirks() const {
  StoreQuirks q;
  for (const Bug* b : active_) {
    if (b->store) b->store(q);
  }
  return q;
}

void ActiveBugs::on_call(Call& call, const Context& ctx) const {
  for (const Bug* b : active_) {
    if (b->call) b->call(call, ctx);
  }
}

void ActiveBugs::on_outcome(const Call& call, Outcome& out) const {
  for (const Bug* b : active_) {
    if (b->outcome) b->outcome(call, out);
  }
}

void ActiveBugs::on_reply(const Call* call, const HttpRequest& http, Reply& reply) const {
  for (const Bug* b : active_) {
    if (b->reply) b->reply(call, http, reply);
  }
}

}  // namespace rqcheck::fake::bugs
