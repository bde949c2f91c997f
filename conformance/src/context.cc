#include "rqcheck/conformance/context.h"

#include <algorithm>
#include <cctype>

#include "rqcheck/core/json.h"

namespace rqcheck::conformance {

namespace {
// Responses are kept up to 16 KiB; request bodies whole up to 16 MiB, so that a reproducer can
// send them again (the reports cut them).
constexpr std::size_t kEvidenceBodyLimit = 16 * 1024;
constexpr std::size_t kEvidenceRequestLimit = 16 * 1024 * 1024;

std::string cut(std::string s, std::size_t n) {
  if (s.size() > n) {
    s.resize(n);
    s += "...";
  }
  return s;
}
}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  return client::find_header(exchange.response_headers, name);
}

bool Response::has_error_envelope() const {
  return json_ok && json.is_object() && json.contains("error") && json["error"].is_object() &&
         json["error"].contains("type") && json["error"]["type"].is_string() &&
         json["error"].contains("message") && json["error"]["message"].is_string();
}

std::string Response::error_type() const {
  return has_error_envelope() ? json["error"]["type"].get<std::string>() : std::string();
}

std::string Response::summary() const {
  if (status == 0) return "no response (" + exchange.transport_error + ")";
  std::string s = std::to_string(status);
  if (has_error_envelope()) {
    return s + " " + error_type() + ": " + json["error"]["message"].get<std::string>();
  }
  if (exchange.response_body.empty()) return s + " (no body)";
  return s + " " + cut(exchange.response_body, 300);
}

Context::Context(const Check& check, client::RequestQueueApi& api, client::HttpClient& http,
                 client::HttpClient* second, const TargetInfo& target, RunState& run)
    : check_(check), api_(api), http_(http), second_(second), target_(target), run_(run) {}

Context::~Context() = default;

client::HttpClient& Context::second() {
  if (!second_) skip("needs a second token (--second-token) of a different user");
  return *second_;
}

const std::string& Context::queue() {
  if (!queue_) queue_ = new_queue();
  return *queue_;
}

std::string Context::new_queue() {
  std::string name = run_.prefix + "-" + std::to_string(++run_.queue_counter);
  auto q = api_.get_or_create_queue(name);
  if (!q) {
    // Setting up is not what the check is about, but a target that cannot create a queue fails.
    fail_with("a new queue \"" + name + "\" can be created", describe(q.error()));
  }
  track_queue(q->id);
  return q->id;
}

void Context::track_queue(const std::string& id) {
  std::lock_guard lock(run_.created_mu);
  if (std::find(run_.created_queues.begin(), run_.created_queues.end(), id) ==
      run_.created_queues.end()) {
    run_.created_queues.push_back(id);
  }
}

std::string Context::unique_key(std::string_view key) const {
  return "https://example.com/" + std::string(key);
}

Json Context::request(std::string_view key) const {
  std::string u = unique_key(key);
  return Json{{"uniqueKey", u}, {"url", u}};
}

std::string Context::new_client_key() { return "rqc-client-" + std::to_string(++client_keys_); }

Response Context::call(Operation op, std::string method, std::string path,
                       std::vector<std::pair<std::string, std::string>> query,
                       std::optional<std::string> body, client::HeaderList headers) {
  client::RawRequest req;
  req.method = std::move(method);
  req.path = "/v2/request-queues" + path;
  req.query = std::move(query);
  req.body = std::move(body);
  req.headers = std::move(headers);
  req.operation = op;
  return send(std::move(req));
}

Response Context::send(client::RawRequest request, client::HttpClient* via) {
  if (budget_exhausted()) skip("the request budget (--max-requests) is exhausted");
  // The rate-limit checks exceed the limits on purpose; every other call is paced under them.
  if (check_.needs & kNeedRateLimits) request.paced = false;
  Response r;
  r.exchange = (via ? *via : http_).send(request);
  r.status = r.exchange.status;
  if (!r.exchange.response_body.empty()) {
    auto parsed = parse_json(r.exchange.response_body);
    if (parsed) {
      r.json = std::move(*parsed);
      r.json_ok = true;
    }
  }
  return r;
}

void Context::ok(const ::rqcheck::Status& s, std::string_view what) {
  if (!s) fail_with(std::string(what) + " succeeds", describe(s.error()));
}

void Context::expect(bool condition, std::string expected, std::string received) {
  if (!condition) fail_with(std::move(expected), std::move(received));
}

void Context::fail_with(std::string expected, std::string received) {
  throw CheckFailure{std::move(expected), std::move(received)};
}

void Context::skip(std::string reason) { throw CheckSkip{std::move(reason)}; }

void Context::observe(const client::Exchange& exchange, bool second_user) {
  ++run_.requests;
  std::vector<std::string> ids = run_.schema.record(check_.id, exchange);
  Kept kept{exchange, second_user};
  client::Exchange& copy = kept.exchange;
  if (copy.request_body.size() > kEvidenceRequestLimit) {
    copy.request_body = cut(std::move(copy.request_body), kEvidenceRequestLimit);
    copy.bodies_truncated = true;
  }
  if (copy.response_body.size() > kEvidenceBodyLimit) {
    copy.response_body = cut(std::move(copy.response_body), kEvidenceBodyLimit);
    copy.bodies_truncated = true;
  }
  std::lock_guard lock(mu_);
  for (auto& id : ids) {
    if (std::find(schema_findings_.begin(), schema_findings_.end(), id) == schema_findings_.end())
      schema_findings_.push_back(std::move(id));
  }
  ++seen_;
  if (head_.size() < kEvidenceHead) {
    head_.push_back(std::move(kept));
  } else if (tail_.size() < kEvidenceTail) {
    tail_.push_back(std::move(kept));
  } else {
    tail_[tail_next_] = std::move(kept);
    tail_next_ = (tail_next_ + 1) % kEvidenceTail;
  }
}

void Context::take_evidence(Outcome& out) const {
  std::lock_guard lock(mu_);
  out.evidence.clear();
  out.evidence_second_user.clear();
  auto add = [&](const Kept& k) {
    out.evidence.push_back(k.exchange);
    out.evidence_second_user.push_back(k.second_user);
  };
  for (const auto& k : head_) add(k);
  for (std::size_t i = 0; i < tail_.size(); ++i) add(tail_[(tail_next_ + i) % tail_.size()]);
  out.evidence_omitted = seen_ - head_.size() - tail_.size();
}

std::vector<std::string> Context::schema_findings() const {
  std::lock_guard lock(mu_);
  return schema_findings_;
}

bool Context::budget_exhausted() const {
  return run_.max_requests && run_.requests.load() >= *run_.max_requests;
}

std::string Context::describe(const ApiError& e) {
  if (e.status == 0) return e.type + ": " + e.message;
  return std::to_string(e.status) + " " + e.type + ": " + cut(e.message, 300);
}

}  // namespace rqcheck::conformance
