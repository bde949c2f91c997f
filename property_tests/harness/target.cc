#include "target.h"

#include <sstream>

#include "rqcheck/fake_server/server.h"

namespace rqcheck::prop {

Target::Target(TargetConfig config) : config_(std::move(config)) {
  client::ClientConfig cc;
  if (!config_.base_url) {
    fake::FakeServerOptions opts;
    opts.threads = 4;
    opts.virtual_clock = true;
    opts.store.rate_limits.enabled = config_.rate_limits;
    if (config_.rate_limit_overrides.is_object()) {
      auto& rl = opts.store.rate_limits;
      const Json& o = config_.rate_limit_overrides;
      rl.single_request_per_sec = o.value("singleRequestPerSec", rl.single_request_per_sec);
      rl.batch_per_sec = o.value("batchPerSec", rl.batch_per_sec);
      rl.other_per_sec = o.value("otherPerSec", rl.other_per_sec);
      rl.batch_items_per_sec = o.value("batchItemsPerSec", rl.batch_items_per_sec);
    }
    opts.bugs = config_.bugs;
    opts.fault_seed = kFaultSeed;
    fake_ = std::make_unique<fake::FakeServer>(opts);
    auto st = fake_->start();
    if (!st) throw std::runtime_error("cannot start the embedded rq-fake: " + st.error().message);
    cc.base_url = fake_->base_url();
  } else {
    cc.base_url = *config_.base_url;
  }
  cc.token = config_.token;
  cc.retry = config_.retry;
  cc.log_capacity = 16;
  http_ = std::make_unique<client::HttpClient>(cc);
  http_->set_exchange_observer([this](const client::Exchange& ex) { record(ex); });
}

void Target::record(const client::Exchange& ex) {
  {
    TranscriptStep s;
    s.method = ex.method;
    s.target = ex.target;
    s.body = ex.request_body;
    s.status = ex.status;
    s.response =
        ex.response_body.size() > 400 ? ex.response_body.substr(0, 400) + "..." : ex.response_body;
    std::lock_guard lock(mu_);
    s.note = note_;
    steps_.push_back(std::move(s));
  }
}

client::Exchange Target::admin(const std::string& method, const std::string& path,
                               const Json& body) {
  client::RawRequest req;
  req.method = method;
  req.path = path;
  if (!body.is_null()) req.body = dump_json(body);
  return http_->send(req);  // the observer records it
}

std::int64_t Target::clock_now_ms() { return fake_ ? fake_->clock().now_ms() : 0; }

Target::~Target() {
  http_.reset();
  if (fake_) fake_->stop();
}

bool Target::embedded() const { return fake_ != nullptr; }

std::string Target::base_url() const { return fake_ ? fake_->base_url() : *config_.base_url; }

Result<std::string> Target::fresh_queue() {
  {
    std::lock_guard lock(mu_);
    steps_.clear();
    note_ = "create queue";
  }
  auto q = http_->get_or_create_queue();
  if (!q) return q.error();
  std::lock_guard lock(mu_);
  steps_.clear();  // the replay script creates its own queue
  queue_id_ = q->id;
  return q->id;
}

void Target::drop_queue(const std::string& id) {
  if (!embedded()) (void)http_->delete_queue(id);
}

void Target::advance_clock(std::int64_t ms) {
  if (!fake_) return;
  fake_->advance_clock(ms);
  TranscriptStep s;
  s.advance_ms = ms;
  std::lock_guard lock(mu_);
  s.note = note_;
  steps_.push_back(std::move(s));
}

void Target::note(std::string text) {
  std::lock_guard lock(mu_);
  note_ = std::move(text);
}

std::vector<TranscriptStep> Target::transcript() const {
  std::lock_guard lock(mu_);
  return steps_;
}

std::string Target::queue_id() const {
  std::lock_guard lock(mu_);
  return queue_id_;
}

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string replay_script(const std::string& property, std::uint64_t seed,
                          const std::vector<std::string>& bugs, const std::string& queue_id,
                          const std::vector<TranscriptStep>& steps) {
  std::ostringstream os;
  os << "#!/usr/bin/env bash\n"
     << "# Replays the shrunk failing case of rq-properties property '" << property << "' (seed "
     << seed << ").\n"
     << "# Usage: bash replay.sh            (starts a fresh rq-fake: RQ_FAKE=path/to/rq-fake)\n"
     << "#        BASE_URL=http://host:port TOKEN=... bash replay.sh   (any target)\n"
     << "# Each call prints the status and body it gets now; '# failing run:' shows what the\n"
     << "# failing run got.\n"
     << "set -euo pipefail\n"
     << "TOKEN=${TOKEN:-rqcheck-replay}\n"
     << "if [ -z \"${BASE_URL:-}\" ]; then\n"
     << "  RQ_FAKE=${RQ_FAKE:-rq-fake}\n"
     << "  log=$(mktemp)\n"
     << "  \"$RQ_FAKE\" --port 0 --clock virtual --no-rate-limit --fault-seed " << kFaultSeed;
  for (const auto& b : bugs) os << " --bug " << shell_quote(b);
  os << " >\"$log\" 2>&1 &\n"
     << "  fake_pid=$!\n"
     << "  trap 'kill $fake_pid 2>/dev/null; rm -f \"$log\"' EXIT\n"
     << "  for _ in $(seq 100); do grep -q 'listening on' \"$log\" && break; sleep 0.05; done\n"
     << "  BASE_URL=$(sed -n 's/.*listening on //p' \"$log\" | head -1)\n"
     << "fi\n"
     << "call() {  # METHOD TARGET [BODY]\n"
     << "  local args=(-sS -X \"$1\" -H \"Authorization: Bearer $TOKEN\" -w ' -> "
        "%{http_code}\\n')\n"
     << "  if [ $# -ge 3 ]; then args+=(-H 'Content-Type: application/json' --data-binary \"$3\"); "
        "fi\n"
     << "  echo \"== $1 $2\"\n"
     << "  curl \"${args[@]}\" \"$BASE_URL$2\"\n"
     << "}\n"
     << "advance() {  # MS: moves rq-fake's virtual clock\n"
     << "  echo \"== advance clock $1 ms\"\n"
     << "  curl -sS -X POST -H 'Content-Type: application/json' --data-binary "
        "\"{\\\"advanceMs\\\":$1}\" "
        "\"$BASE_URL/__admin/clock\" >/dev/null\n"
     << "}\n"
     << "Q=$(curl -sS -X POST -H \"Authorization: Bearer $TOKEN\" \"$BASE_URL/v2/request-queues\" "
        "| sed -n 's/.*\"id\":\"\\([A-Za-z0-9]*\\)\".*/\\1/p' | head -1)\n"
     << "echo \"queue $Q\"\n";
  std::string last_note;
  for (const auto& s : steps) {
    if (s.note != last_note) {
      os << "\n# " << one_line(s.note) << "\n";
      last_note = s.note;
    }
    if (s.advance_ms) {
      os << "advance " << *s.advance_ms << "\n";
      continue;
    }
    std::string target = queue_id.empty() ? s.target : replace_all(s.target, queue_id, "$Q");
    os << "call " << s.method << " \"" << target << "\"";
    if (!s.body.empty()) os << " " << shell_quote(s.body);
    os << "\n# failing run: " << s.status << " " << one_line(s.response) << "\n";
  }
  return os.str();
}

}  // namespace rqcheck::prop
