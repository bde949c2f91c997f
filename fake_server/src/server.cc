// FakeServer: the layers put together. One call goes
//   transport (body read and decoded) -> router (core's operation table) -> wire::parse_call
//   (the typed Call, request rules) -> named bugs (call seam) -> auth -> faults -> the operation
//   (store; store seam) -> named bugs (outcome seam) -> wire::write_outcome -> rate-limit header
//   -> named bugs (reply seam) -> faults on the answer -> journal and compliance monitor ->
//   transport (delivery, connection faults).
// docs/ARCHITECTURE.md walks one batch add through these steps.
#include "rqcheck/fake_server/server.h"

#include <chrono>
#include <thread>
#include <utility>

#include "admin.h"
#include "bugs/registry.h"
#include "call.h"
#include "dataset_store.h"
#include "kv_store.h"
#include "operations.h"
#include "persist/database.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "transport.h"
#include "wait_room.h"
#include "wire.h"

namespace rqcheck::fake {

namespace {

// CORS preflight answers (browsers talking to the fake, the dashboard's own page excepted).
Reply preflight() {
  Reply r = Reply::no_content();
  r.headers = {{"Access-Control-Allow-Origin", "*"},
               {"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"},
               {"Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding"}};
  return r;
}

bool is_admin_path(std::string_view path) {
  return path == "/__admin" || path.rfind("/__admin/", 0) == 0;
}

// What the consumer oracle follows (docs/oracle.md): the request a call names and, from a
// successful outcome, the requests it locked, added or deleted. A fault that acts on the answer
// (failAfterCommit, truncate) comes after the work, so the work counts even when the client saw
// a failure.
void note_requests(JournalEntry& e, const Call& call, const Outcome* out) {
  switch (call.op) {
    case Operation::kRequestGet:
    case Operation::kRequestPut:
    case Operation::kRequestDelete:
    case Operation::kRequestLockPut:
    case Operation::kRequestLockDelete:
      e.request_id = bound_key(call.params[1]);
      break;
    default:
      break;
  }
  if (call.op == Operation::kRequestPut && !call.args.drafts.empty()) {
    e.handled_mark = call.args.drafts.front().handled_at.has_value();
  }
  if (!out || out->error) return;
  e.work_done = true;
  switch (call.op) {
    case Operation::kHeadLockPost:
      for (const HeadItem& item : out->head.items) {
        e.requests.push_back({bound_key(item.id), item.lock_expires_at.value_or(0)});
      }
      break;
    case Operation::kRequestLockPut:
      e.lock_expires_at = out->lock_expires_at;
      break;
    case Operation::kRequestsUnlockPost:
      e.unlocked_count = out->unlocked_count;
      break;
    case Operation::kRequestsPost:
    case Operation::kRequestPut:
      e.requests.push_back({bound_key(out->add.request_id), 0, out->add.was_already_present,
                            out->add.was_already_handled});
      break;
    case Operation::kRequestsBatchPost:
      for (const ProcessedRequest& p : out->batch_add.processed) {
        e.requests.push_back(
            {bound_key(p.request_id), 0, p.was_already_present, p.was_already_handled});
      }
      break;
    case Operation::kRequestsBatchDelete:
      for (const DeletedRequest& d : out->batch_delete.processed) {
        if (d.id) e.requests.push_back({bound_key(*d.id)});
      }
      break;
    default:
      break;
  }
}

// The journal's record of one exchange, built once from the call and its answer.
JournalEntry journal_entry(const Call* call, const HttpRequest& http, const Outcome* out,
                           const Reply& reply, bool dropped, bool with_findings, TimeMs now) {
  JournalEntry e;
  e.method = http.method;
  e.path = http.path;
  auto q = http.target.find('?');
  if (q != std::string::npos) e.query = redact_query(std::string_view(http.target).substr(q + 1));
  e.headers = redact_headers(http.headers);
  e.user_agent = http.header_or("User-Agent");
  e.body_bytes = http.body_bytes ? http.body_bytes : http.body.size();
  if (!http.body.empty()) e.body_digest = body_digest(http.body);
  e.status = dropped ? 0 : reply.status;
  if (!dropped && reply.error) e.error_type = reply.error->type;
  if (const std::string* ra = reply.header("Retry-After")) {
    e.retry_after_secs = std::atoi(ra->c_str());
  }
  if (call) {
    e.seq = call->seq;
    e.arrival_ms = call->arrival_ms;
    e.duration_ms = now - call->arrival_ms;
    e.op = call->op;
    e.queue = call->params[0];
    e.client_key = call->client_key;
    if (call->user) e.user = call->user->id;
    const FaultDecision& d = call->fault;
    e.fault_rule =
        d.rule_id.empty() && !d.latency_rules.empty() ? d.latency_rules.front() : d.rule_id;
    if (d.any()) e.fault_action = d.action_label();
    if (with_findings) {
      for (const Violation& v : call->violations) {
        e.findings.push_back(std::string(v.rule) + ": " + v.error.message);
      }
    }
    e.item_keys = call->item_keys;
    e.cost = call->charge;
  } else {
    e.arrival_ms = now;
  }
  if (out && !out->error) {
    for (const auto& u : out->batch_add.unprocessed)
      e.unprocessed_keys.push_back(bound_key(u.unique_key));
    for (const auto& u : out->batch_delete.unprocessed) {
      e.unprocessed_keys.push_back(bound_key(u.value("uniqueKey", u.value("id", ""))));
    }
    for (const auto& p : out->batch_add.processed) {
      if (p.was_already_present) e.already_present_keys.push_back(bound_key(p.unique_key));
    }
    if (call && call->op == Operation::kRequestsPost && out->add.was_already_present) {
      e.already_present_keys = call->item_keys;
    }
  }
  if (call) note_requests(e, *call, out);
  return e;
}

// Start-up: the rows of the data directory into the storages.
struct StorageLoader final : persist::Loader {
  Users& users;
  Store& store;
  KeyValueStores& kvs;
  Datasets& datasets;
  StorageLoader(Users& u, Store& s, KeyValueStores& k, Datasets& d)
      : users(u), store(s), kvs(k), datasets(d) {}
  Status user(User u) override {
    users.restore({std::move(u)});
    return Ok{};
  }
  Status storage(persist::StorageRow row) override {
    switch (row.kind) {
      case persist::Kind::kQueue:
        return store.load_queue(std::move(row));
      case persist::Kind::kKeyValueStore:
        return kvs.load_store(std::move(row));
      case persist::Kind::kDataset:
        return datasets.load_dataset(std::move(row));
    }
    return errors::invalid_input("a storage of unknown kind");
  }
  Status request(persist::RequestRow row) override { return store.load_request(std::move(row)); }
  Status record(persist::RecordRow row) override { return kvs.load_record(std::move(row)); }
  Status item(persist::ItemRow row) override { return datasets.load_item(std::move(row)); }
  Status done() override { return Ok{}; }
};

}  // namespace

struct FakeServer::Impl {
  FakeServerOptions options;
  SystemClock system_clock;
  ManualClock manual_clock;
  const Clock* clock;
  // One set of users and one rate limiter for the three storages.
  Users users;
  RateLimiter limiter;
  Store store;
  KeyValueStores key_value_stores;
  Datasets datasets;
  Storages storages;
  FaultEngine faults;
  Journal journal;
  ComplianceMonitor monitor;
  wire::WireOptions wire_options;
  bugs::ActiveBugs bugs;
  std::optional<ApiError> bug_error;  // an unknown bug name: start() fails with it
  Admin admin;
  // The data directory (options.data_dir): opened and loaded by start(), stopped after the
  // transport, before the storages go.
  std::unique_ptr<persist::Database> db;
  Transport transport;

  explicit Impl(FakeServerOptions o)
      : options(std::move(o)),
        manual_clock(options.virtual_clock_start),
        clock(options.virtual_clock ? static_cast<const Clock*>(&manual_clock) : &system_clock),
        users(clock),
        limiter(options.store.rate_limits),
        store(options.store, *clock, users, limiter),
        // Ids of their own, drawn from seeds next to the queues' (reproducible runs).
        key_value_stores(users, *clock, KvStoreOptions{KvLimits{}, options.store.seed + 1},
                         &limiter),
        datasets(users, *clock, DatasetOptions{DatasetLimits{}, options.store.seed + 2}, &limiter),
        storages{store, key_value_stores, datasets, users},
        faults(options.fault_seed ? *options.fault_seed : options.store.seed, *clock),
        journal(options.journal_capacity),
        monitor(ComplianceOptions{}, clock),
        admin(AdminContext{store, key_value_stores, datasets, faults, journal, monitor, *clock,
                           options.virtual_clock ? &manual_clock : nullptr, options.admin_token,
                           [this] { return persist_replaced(); }}),
        transport(
            TransportOptions{options.host, options.port, options.threads,
                             options.keep_alive_timeout_secs * 1000, options.listen_backlog,
                             options.request_log, options.max_connections, options.head_timeout_ms,
                             options.body_timeout_ms, 1, options.running},
            [this](HttpRequest& http) { return handle(http); }) {
    if (!options.users.empty()) store.set_fixed_users(options.users);
    monitor.set_cost_budget(options.cost_budget);
    wire_options.reject_over_max_limit = options.store.behaviour.reject_over_max_limit;
    auto active = bugs::ActiveBugs::make(options.bugs);
    if (active) {
      bugs = std::move(*active);
      store.set_quirks(bugs.quirks());
    } else {
      bug_error = active.error();
    }
  }

  Delivery handle(HttpRequest& http);
  Delivery api(HttpRequest& http, const RouteMatch& route);
  void authenticate(Call& call);
  void decide_faults(Call& call);
  Delivery finish(Call* call, const HttpRequest& http, const Outcome* out, Reply reply);
  Status open_data_dir();
  void start_writer();
  Status persist_replaced();
};

// docs/persistence.md: lock the directory, check and load it, then hand every storage the log.
Status FakeServer::Impl::open_data_dir() {
  persist::DatabaseOptions o;
  o.dir = options.data_dir;
  o.sync = options.sync_full ? persist::SyncMode::kFull : persist::SyncMode::kNormal;
  auto opened = persist::Database::open(o);
  if (!opened) return opened.error();
  StorageLoader loader(users, store, key_value_stores, datasets);
  if (auto st = (*opened)->load(loader); !st) return st.error();
  persist::Database& d = **opened;
  if (options.virtual_clock && d.saved_clock() && *d.saved_clock() > manual_clock.now_ms()) {
    manual_clock.set_ms(*d.saved_clock());  // the virtual clock goes on from where it stopped
  }
  if (d.boot() > 1) {
    // Fresh id sequences, so a restarted fake never hands out an id of a deleted storage again.
    // (Not seed + k * the sequence's own step: that would replay the old sequence shifted.)
    auto mix = [&](std::uint64_t seed) {
      std::uint64_t h = (seed ^ 0xcbf29ce484222325ull) * 0x100000001b3ull;
      h = (h ^ d.boot()) * 0x100000001b3ull;
      return h ^ (h >> 29);
    };
    store.reseed_ids(mix(options.store.seed));
    key_value_stores.reseed_ids(mix(options.store.seed + 1));
    datasets.reseed_ids(mix(options.store.seed + 2));
  }
  users.set_change_log(&d);
  store.set_change_log(&d);
  key_value_stores.set_change_log(&d);
  datasets.set_change_log(&d);
  db = std::move(*opened);
  return Ok{};
}

void FakeServer::Impl::start_writer() {
  std::function<TimeMs()> save_clock;
  if (options.virtual_clock) save_clock = [this] { return manual_clock.now_ms(); };
  db->start(
      [this] {
        store.flush_lazy();
        key_value_stores.flush_lazy();
        datasets.flush_lazy();
      },
      std::move(save_clock));
}

Status FakeServer::Impl::persist_replaced() {
  if (!db) return Ok{};
  persist::current_ticket() = 0;
  std::vector<persist::Change> drop;
  drop.push_back(persist::DropAll{});
  db->append(std::move(drop));
  users.persist_all();
  store.persist_all();
  key_value_stores.persist_all();
  datasets.persist_all();
  return db->wait(persist::current_ticket());
}

// Decision 12: the token's owner, or 401 for an unknown token.
void FakeServer::Impl::authenticate(Call& call) {
  if (!call.token || call.token->empty()) return;
  auto u = store.user_for_token(*call.token);
  if (!u) {
    // The answer: before the request rules, as the platform authenticates first.
    auto at = call.violations.begin();
    if (at != call.violations.end() && at->rule == "request.body") ++at;  // 413/415 come first
    call.violations.insert(at, Violation{"request.token_unknown", u.error()});
    wire::settle(call);
    return;
  }
  call.user = std::move(*u);
}

// docs/faults.md: decided after auth, so rules can match users, and before the work, so an
// injected error changes nothing.
void FakeServer::Impl::decide_faults(Call& call) {
  if (faults.empty()) return;
  CallContext ctx;
  ctx.op = call.op;
  ctx.method = call.http->method;
  ctx.path = call.http->path;
  ctx.queue_ref = call.params[0];
  ctx.client_key = call.client_key;
  if (call.user) {
    ctx.user_id = call.user->id;
    ctx.username = call.user->username;
  }
  if (call.op == Operation::kRequestsBatchPost) ctx.batch_items = call.args.drafts.size();
  if (call.op == Operation::kRequestsBatchDelete) ctx.batch_items = call.args.keys.size();
  ctx.seq = call.seq;
  call.fault = faults.decide(ctx);
  if (call.fault.latency_ms > 0) {
    WaitingRoom waiting;  // the delayed call holds up no other
    std::this_thread::sleep_for(std::chrono::milliseconds(call.fault.latency_ms));
  }
}

Delivery FakeServer::Impl::handle(HttpRequest& http) {
  if (is_admin_path(http.path)) return Delivery{admin.handle(http)};
  // The dashboard lives at / too (admin_ui.h); the API has nothing there.
  if (http.path == "/" && (http.method == "GET" || http.method == "HEAD")) {
    return Delivery{admin.handle(http)};
  }
  if (http.method == "OPTIONS") return Delivery{preflight()};
  RouteMatch route = match_route(http.method, http.path);
  Reply reply;
  switch (route.kind) {
    case RouteMatch::kOperation:
      return api(http, route);
    case RouteMatch::kNotFound:
      reply = Reply::of_error(errors::page_not_found(http.path));
      break;
    case RouteMatch::kNotImplemented:
      reply = Reply::of_error(errors::not_implemented(
          "rq-fake does not emulate this part of the Apify API (it serves request queues, "
          "key-value stores, datasets and users/me; see the README). For a run's storages, "
          "address them by id, e.g. /v2/request-queues/{queueId}."));
      break;
    case RouteMatch::kMethodNotAllowed:
      reply = Reply::of_error(errors::method_not_allowed(route.allowed));
      reply.headers.emplace_back("Allow", route.allowed);
      break;
  }
  return finish(nullptr, http, nullptr, std::move(reply));
}

Delivery FakeServer::Impl::api(HttpRequest& http, const RouteMatch& route) {
  Call call;
  persist::current_ticket() = 0;  // the changes this call appends set it
  call.seq = journal.reserve_seq();
  call.arrival_ms = clock->now_ms();
  if (http.body_error) {
    // The body could not be read (413, 415, 400): the answer, whatever else the call says.
    call.http = &http;
    call.op = *route.op;
    call.params = route.params;
    call.client_key = http.opt_param("clientKey");
    call.violations.push_back({"request.body", *http.body_error});
    wire::settle(call);
  } else {
    wire::parse_call(http, route, wire_options, call);
  }
  if (!bugs.empty()) bugs.on_call(call, bugs::Context{wire_options});
  authenticate(call);
  decide_faults(call);
  const FaultDecision& d = call.fault;
  if (d.is(FaultKind::kHttpError) && d.error) {
    Reply r = Reply::of_error(*d.error);
    if (d.retry_after_secs)
      r.headers.emplace_back("Retry-After", std::to_string(*d.retry_after_secs));
    return finish(&call, *call.http, nullptr, std::move(r));
  }
  if (d.is(FaultKind::kReset) || d.is(FaultKind::kCloseBeforeResponse)) {
    return finish(&call, *call.http, nullptr, Reply{});
  }
  if (call.refusal) return finish(&call, *call.http, nullptr, Reply::of_error(*call.refusal));
  Outcome out = run_operation(storages, call);
  if (!bugs.empty()) bugs.on_outcome(call, out);
  if (out.error && out.error->status == 429 && options.retry_after_secs) {
    out.headers.emplace_back("Retry-After", std::to_string(*options.retry_after_secs));
  }
  // An acknowledged write is durable (docs/persistence.md): wait for the call's changes, and
  // every change appended before them, to be committed.
  if (db && !out.error) {
    // Waiting for the commit stands aside (wait_room.h): the commit groups more calls.
    // No store lock is held here, and leaving the room never blocks.
    WaitingRoom waiting;
    if (auto st = db->wait(persist::current_ticket()); !st) {
      return finish(&call, *call.http, nullptr, Reply::of_error(st.error()));
    }
  }
  Reply r = wire::write_outcome(call, out);
  return finish(&call, *call.http, &out, std::move(r));
}

// The answer's last steps: the rate-limit header, the reply seam of named bugs, the faults that
// act on the answer, the journal and the compliance monitor, and how the transport delivers it.
Delivery FakeServer::Impl::finish(Call* call, const HttpRequest& http, const Outcome* out,
                                  Reply reply) {
  // Spec 1.2: every answer carries X-RateLimit-Limit, the limit of the operation's class.
  reply.set_header("X-RateLimit-Limit",
                   std::to_string(store.limit_for(call ? call->op : Operation::kQueuesGet)));
  if (!bugs.empty()) bugs.on_reply(call, http, reply);
  Delivery delivery;
  const FaultDecision* d = call ? &call->fault : nullptr;
  if (d && (d->is(FaultKind::kReset) || d->is(FaultKind::kCloseBeforeResponse))) {
    delivery.drop = d->is(FaultKind::kReset) ? Delivery::Drop::kReset : Delivery::Drop::kClose;
  } else if (d && d->is(FaultKind::kFailAfterCommit)) {
    if (d->drop_after_commit) {
      delivery.drop = Delivery::Drop::kClose;
    } else if (d->error) {
      Reply err = Reply::of_error(*d->error);
      if (d->retry_after_secs)
        err.headers.emplace_back("Retry-After", std::to_string(*d->retry_after_secs));
      err.set_header("X-RateLimit-Limit", std::to_string(store.limit_for(call->op)));
      reply = std::move(err);
    }
  } else if (d && d->is(FaultKind::kMalformedJson) && reply.status >= 200 && reply.status < 300) {
    if (reply.status == 204) reply.status = 200;
    reply.body = malform_json_body(reply.body);
  }
  if (d && !reply.body.empty()) {
    if (d->is(FaultKind::kTruncate)) delivery.truncate_at = d->truncate_at(reply.body.size());
    if (d->is(FaultKind::kDribble)) {
      delivery.chunk_bytes = std::max<std::size_t>(1, d->chunk_bytes);
      delivery.chunk_delay_ms = d->chunk_delay_ms;
    }
  }
  if (http.method != "OPTIONS") {
    bool dropped = delivery.drop != Delivery::Drop::kNone;
    JournalEntry e =
        journal_entry(call, http, out, reply, dropped, options.validate_requests, clock->now_ms());
    if (!call) e.seq = journal.reserve_seq();
    monitor.on_exchange(e);
    journal.append(std::move(e));
  }
  delivery.reply = std::move(reply);
  return delivery;
}

// ---------------------------------------------------------------------------------------------

std::vector<BugDescription> bug_catalogue() {
  std::vector<BugDescription> out;
  for (const auto& b : bugs::catalogue()) {
    const char* seam = b.call ? "call" : b.store ? "store" : b.outcome ? "outcome" : "reply";
    out.push_back({std::string(b.name), std::string(b.description), std::string(b.breaks), seam,
                   std::string(b.set)});
  }
  return out;
}

FakeServer::FakeServer(FakeServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

FakeServer::~FakeServer() { stop(); }

Status FakeServer::start() {
  Impl& s = *impl_;
  if (s.transport.running()) return Ok{};
  if (s.bug_error) return *s.bug_error;
  if (!s.options.fault_rules.empty()) {
    auto ids = s.faults.add_rules(Json(s.options.fault_rules));
    if (!ids) return ids.error();
  }
  if (!s.options.data_dir.empty() && !s.db) {
    if (auto st = s.open_data_dir(); !st) return st.error();
  }
  if (s.db) s.start_writer();  // again after a stop()
  return s.transport.start();
}

void FakeServer::stop() {
  if (!impl_) return;
  impl_->transport.stop();
  if (impl_->db) impl_->db->stop();  // what reads kept back, then the last commit
}

void FakeServer::wait() { impl_->transport.wait(); }
bool FakeServer::running() const { return impl_->transport.running(); }
int FakeServer::port() const { return impl_->transport.port(); }
std::string FakeServer::base_url() const {
  std::string host = impl_->options.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port());
}
Store& FakeServer::store() { return impl_->store; }
Status FakeServer::sync() { return impl_->db ? impl_->db->sync() : Status(Ok{}); }
const Clock& FakeServer::clock() const { return *impl_->clock; }
FaultEngine& FakeServer::faults() { return impl_->faults; }
Journal& FakeServer::journal() { return impl_->journal; }
ComplianceMonitor& FakeServer::compliance() { return impl_->monitor; }

void FakeServer::advance_clock(TimeMs ms) {
  if (impl_->options.virtual_clock) impl_->manual_clock.advance_ms(ms);
}
void FakeServer::set_clock(TimeMs t) {
  if (impl_->options.virtual_clock) impl_->manual_clock.set_ms(t);
}

}  // namespace rqcheck::fake
