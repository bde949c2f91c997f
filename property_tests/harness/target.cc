#include "target.h"

#include <algorithm>
#include <sstream>

#include "rqcheck/conformance/replay.h"
#include "rqcheck/fake_server/lag.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::prop {

namespace {
constexpr std::size_t kTranscriptBodyLimit = 16 * 1024;
}  // namespace

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
    auto& b = opts.store.behaviour;
    for (const auto& name : config_.behaviours) {
      if (name == "delete-absent-404")
        b.delete_absent_is_404 = true;
      else if (name == "reject-over-max-limit")
        b.reject_over_max_limit = true;
      else if (name == "prolong-from-expiry")
        b.prolong_from_current_expiry = true;
      else if (name == "prolong-by-other-400")
        b.prolong_by_other_is_400 = true;
      else
        throw std::runtime_error("unknown behaviour '" + name + "' (rq-fake --behave)");
    }
    opts.fault_seed = kFaultSeed;
    if (config_.lag) {
      auto lag = fake::parse_lag(*config_.lag);
      if (!lag) throw std::runtime_error(lag.error().message);
      opts.store.lag = *lag;
      if (config_.lag_seed) opts.store.lag.seed = config_.lag_seed;
    }
    fake_ = std::make_unique<fake::FakeServer>(opts);
    auto st = fake_->start();
    if (!st) throw std::runtime_error("cannot start the embedded rq-fake: " + st.error().message);
    cc.base_url = fake_->base_url();
    cc.retry = config_.retry.value_or(client::RetryPolicy::none());
  } else {
    cc.base_url = *config_.base_url;
    cc.retry = config_.retry.value_or(client::RetryPolicy{});
  }
  cc.token = config_.token;
  cc.log_capacity = 16;
  cc.user_agent = "rq-properties/0.1";
  http_ = std::make_unique<client::HttpClient>(cc);
  http_->set_exchange_observer([this](const client::Exchange& ex) { record(ex); });
}

void Target::record(const client::Exchange& ex, bool collapse_retries) {
  ++requests_;
  if (ex.attempt > 1) ++retried_;
  if (ex.status == 429) ++rate_limited_;
  if (ex.status >= 500) ++server_errors_;
  TranscriptStep s;
  s.exchange = ex;
  client::Exchange& e = *s.exchange;
  if (e.response_body.size() > kTranscriptBodyLimit) {
    e.response_body.resize(kTranscriptBodyLimit);
    e.bodies_truncated = true;
  }
  std::lock_guard lock(mu_);
  s.note = note_;
  if (collapse_retries && ex.attempt > 1 && !steps_.empty() && steps_.back().exchange &&
      steps_.back().exchange->attempt == ex.attempt - 1 &&
      steps_.back().exchange->method == ex.method && steps_.back().exchange->target == ex.target) {
    steps_.back() = std::move(s);
    return;
  }
  steps_.push_back(std::move(s));
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

std::size_t Target::transcript_size() const {
  std::lock_guard lock(mu_);
  return steps_.size();
}

std::vector<TranscriptStep> Target::transcript_since(std::size_t from) const {
  std::lock_guard lock(mu_);
  if (from >= steps_.size()) return {};
  return {steps_.begin() + static_cast<std::ptrdiff_t>(from), steps_.end()};
}

TargetStats Target::stats() const {
  return TargetStats{requests_.load(), retried_.load(), rate_limited_.load(),
                     server_errors_.load()};
}

Result<std::int64_t> lag_spec_bound(const std::string& spec) {
  auto lag = fake::parse_lag(spec);
  if (!lag) return lag.error();
  return std::max<std::int64_t>(lag->head.on() ? lag->head.max_ms : 0,
                                lag->counters.on() ? lag->counters.max_ms : 0);
}

const std::vector<std::string>& known_behaviours() {
  static const std::vector<std::string> names = {"delete-absent-404", "reject-over-max-limit",
                                                 "prolong-from-expiry", "prolong-by-other-400"};
  return names;
}

std::string replay_script(const ReplayInfo& info, const std::vector<TranscriptStep>& steps) {
  using conformance::ReplayCall;
  conformance::ReplayPlan plan;
  plan.about = {"Replays the shrunk failing case of rq-properties property '" + info.property +
                    "' (seed " + std::to_string(info.seed) + ").",
                "Re-run the property: " + info.rerun,
                "Usage: RQ_FAKE=path/to/rq-fake bash " + std::string("FILE") +
                    (info.base_url.empty() ? "" : "   (BASE_URL and APIFY_TOKEN: the target)")};
  if (info.base_url.empty()) {
    plan.fake_args = {"--clock", "virtual", "--no-rate-limit", "--fault-seed",
                      std::to_string(kFaultSeed)};
    for (const auto& b : info.bugs) {
      plan.fake_args.push_back("--bug");
      plan.fake_args.push_back(b);
    }
    for (const auto& b : info.behaviours) {
      plan.fake_args.push_back("--behave");
      plan.fake_args.push_back(b);
    }
    if (!info.lag.empty()) {
      // The lags are drawn per queue id, which a fresh fake hands out anew: the replay meets
      // lags of the same distribution, not necessarily the same ones.
      plan.fake_args.push_back("--lag");
      plan.fake_args.push_back(info.lag);
      if (info.lag_seed) {
        plan.fake_args.push_back("--lag-seed");
        plan.fake_args.push_back(std::to_string(*info.lag_seed));
      }
    }
    plan.fake_token = kEmbeddedToken;
  } else {
    plan.default_base_url = info.base_url;
    plan.about[2] = "Usage: APIFY_TOKEN=... bash FILE   (BASE_URL: another target)";
  }
  if (!info.client_side_bug.empty()) {
    plan.about.push_back("The failing run had the client-side bug " + info.client_side_bug +
                         " on: the bug is in what the client did with these answers, so they "
                         "reproduce against a correct server too.");
  }
  plan.expected = "the answers the model predicts";
  plan.received = "the answers above marked as the failing run's (the last one broke the property)";
  for (const auto& s : steps) {
    if (s.advance_ms) {
      ReplayCall c;
      c.advance_clock_ms = s.advance_ms;
      c.note = s.note;
      plan.calls.push_back(std::move(c));
      continue;
    }
    if (!s.exchange) continue;
    const client::Exchange& ex = *s.exchange;
    bool auth = client::find_header(ex.request_headers, "Authorization").has_value();
    ReplayCall c =
        conformance::replay_call(ex, auth ? ReplayCall::Auth::kToken : ReplayCall::Auth::kNone);
    c.note = s.note;
    plan.calls.push_back(std::move(c));
  }
  return conformance::replay_script(plan).script;
}

}  // namespace rqcheck::prop
