// rq-fake: a local stand-in for the Apify request-queue API. See `rq-fake --help`.
#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "rqcheck/fake_server/server.h"

namespace {

const char* kHelp =
    R"(rq-fake: a local stand-in for the Apify request-queue API (/v2/request-queues)

Usage: rq-fake [options]

  --host HOST             address to bind (default 127.0.0.1; loopback unless told otherwise)
  --port PORT             port (default 8080; 0 picks a free one)
  --threads N             worker threads at most, started on demand = requests in progress
                          at once (default 256); idle connections and clients still sending a
                          request hold none (one reactor thread watches them)
  --running N             of those, requests computed at once (default 4 per core); the rest
                          wait their turn, first come first served, and a request that waits
                          (a latency fault, a slow reader, a durable commit) gives its turn up
  --max-connections N     open connections at most (default 10000, lowered to fit the
                          descriptor limit); one more gets 503 with Retry-After: 1
  --keep-alive SECS       close an idle keep-alive connection after SECS (default 5)
  --head-timeout MS       a request head must arrive within MS of its first byte, else 408
                          and close (default 10000)
  --body-timeout MS       a request body must arrive within MS of its head (default 30000)
  --user NAME:TOKEN       accept only these users (repeatable); without it every non-empty
                          token is accepted and is a user of its own
  --no-rate-limit         turn the per-queue rate-limit emulation off
  --rate-limit K=V[,K=V]  set limits: single, batch, other (calls/s per queue), items
                          (batch items/s per queue), global (calls/min per user)
  --retry-after SECS      send Retry-After on 429 answers (the platform sends none)
  --clock virtual|system  virtual: time moves only through the admin API (default system)
  --admin-token TOKEN     require "Authorization: Bearer TOKEN" on /__admin/
  --seed N                seed for queue ids (default 1)
  --lag SPEC              seeded eventual consistency (docs/consistency.md; off by default):
                          new and reclaimed requests show in head and head/lock only after a
                          lag, queue counters and modifiedAt in GET queue and the list lag
                          too. SPEC = PART[;PART], PART = head=DIST or counters=DIST, DIST =
                          DUR, DUR-DUR (uniform) or exp:DUR[,max=DUR] (exponential, cut at
                          max, default 10x the mean); DUR = N ms or N s, at most 600s; e.g.
                          "head=0-800ms;counters=0-500ms". Get request, list requests and
                          dedup are never lagged; lags are not persisted
  --lag-seed N            seed of the lags (default: --seed)
  --data-dir DIR          keep every storage in DIR (an SQLite database, created when absent)
                          and load it at start-up: a write the fake acknowledged survives
                          kill -9; one rq-fake per DIR (a lock); without it, memory only
  --sync normal|full      with --data-dir: normal (default) survives a crash of rq-fake;
                          full also fsyncs every commit (survives power loss; slower)
  --behave NAME           switch a section-9 answer to the alternative a deployment may give:
                          delete-absent-404, reject-over-max-limit, prolong-from-expiry,
                          prolong-by-other-400, batch-delete-absent-unprocessed,
                          delete-lock-by-other-403, unnamed-listed-by-default (repeatable)
  --bug NAME              test-only: switch on a deliberately wrong behaviour (repeatable)
  --list-bugs             list the deliberately wrong behaviours and exit
  --faults FILE           fault rules (JSON: a rule, an array, or {"rules":[...]}); see docs/faults.md
  --fault SHORTHAND       fault rules in one line, e.g. "429@30%:batch_add" or
                          "partial@50%:batch_add; latency=20-80ms" (repeatable)
  --fault-seed N          seed of the fault schedules (default: --seed)
  --report FILE           on exit, write the client-compliance report, with the consumer
                          oracle's findings (docs/oracle.md) and the cost table
                          (docs/cost.md): FILE (JSON) and FILE.txt (a short summary)
  --budget M=N[,M=N]      the run's cost budget (docs/cost.md): at most N of each metric M,
                          any of writes, reads, deletes, headItems (head items read) and
                          refused (calls over the documented rate limits), e.g.
                          "writes=500,refused=0"; over it, the report's status is "fail" and
                          rq-fake exits 3
  --no-validate           do not check incoming requests against the request schemas
  --log                   log every request to stderr
  --help                  this text

The first line on stdout is "rq-fake listening on http://HOST:PORT" (with --data-dir, once DIR
is loaded). SIGINT or SIGTERM stops the server cleanly; at exit rq-fake prints one line of what
the run cost to stderr ("rq-fake: cost: ...").

Exit status: 0 after a clean stop; 1 when the report could not be written; 2 for bad options,
or a DIR that cannot be used (locked by another rq-fake, not rq-fake's database, corrupt, or of
another format version); 3 when the run went over the --budget (the report, if asked for, is
written first, with status "fail").
)";

bool parse_int(const std::string& s, long long lo, long long hi, long long& out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || end == s.c_str() || *end || v < lo || v > hi) return false;
  out = v;
  return true;
}

int usage_error(const std::string& msg) {
  std::cerr << "rq-fake: " << msg << "\nTry 'rq-fake --help'.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  rqcheck::fake::FakeServerOptions opts;
  opts.port = 8080;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string report_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    long long n = 0;
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    } else if (a == "--host") {
      if (!value(opts.host)) return usage_error("--host needs a value");
    } else if (a == "--port") {
      if (!value(v) || !parse_int(v, 0, 65535, n))
        return usage_error("--port needs a number 0-65535");
      opts.port = static_cast<int>(n);
    } else if (a == "--threads") {
      if (!value(v) || !parse_int(v, 1, 4096, n))
        return usage_error("--threads needs a number 1-4096");
      opts.threads = static_cast<int>(n);
    } else if (a == "--running") {
      if (!value(v) || !parse_int(v, 1, 4096, n))
        return usage_error("--running needs a number 1-4096");
      opts.running = static_cast<int>(n);
    } else if (a == "--max-connections") {
      if (!value(v) || !parse_int(v, 1, 1000000, n))
        return usage_error("--max-connections needs a number 1-1000000");
      opts.max_connections = static_cast<int>(n);
    } else if (a == "--keep-alive") {
      if (!value(v) || !parse_int(v, 1, 3600, n))
        return usage_error("--keep-alive needs a number of seconds 1-3600");
      opts.keep_alive_timeout_secs = static_cast<int>(n);
    } else if (a == "--head-timeout") {
      if (!value(v) || !parse_int(v, 10, 3600000, n))
        return usage_error("--head-timeout needs milliseconds 10-3600000");
      opts.head_timeout_ms = static_cast<int>(n);
    } else if (a == "--body-timeout") {
      if (!value(v) || !parse_int(v, 10, 3600000, n))
        return usage_error("--body-timeout needs milliseconds 10-3600000");
      opts.body_timeout_ms = static_cast<int>(n);
    } else if (a == "--user") {
      if (!value(v) || v.find(':') == std::string::npos || v.front() == ':' || v.back() == ':') {
        return usage_error("--user needs NAME:TOKEN");
      }
      auto colon = v.find(':');
      opts.users.push_back({"", v.substr(0, colon), v.substr(colon + 1)});
    } else if (a == "--no-rate-limit") {
      opts.store.rate_limits.enabled = false;
    } else if (a == "--rate-limit") {
      if (!value(v)) return usage_error("--rate-limit needs K=V pairs");
      std::size_t pos = 0;
      while (pos <= v.size()) {
        std::size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string kv = v.substr(pos, comma - pos);
        auto eq = kv.find('=');
        if (eq == std::string::npos || !parse_int(kv.substr(eq + 1), 0, 1LL << 30, n)) {
          return usage_error("bad --rate-limit entry '" + kv + "'");
        }
        std::string k = kv.substr(0, eq);
        auto& rl = opts.store.rate_limits;
        if (k == "single")
          rl.single_request_per_sec = int(n);
        else if (k == "batch")
          rl.batch_per_sec = int(n);
        else if (k == "other")
          rl.other_per_sec = int(n);
        else if (k == "items")
          rl.batch_items_per_sec = int(n);
        else if (k == "global")
          rl.global_per_minute = int(n);
        else
          return usage_error("unknown --rate-limit key '" + k + "'");
        pos = comma + 1;
      }
    } else if (a == "--retry-after") {
      if (!value(v) || !parse_int(v, 0, 86400, n))
        return usage_error("--retry-after needs seconds");
      opts.retry_after_secs = static_cast<int>(n);
    } else if (a == "--clock") {
      if (!value(v) || (v != "virtual" && v != "system"))
        return usage_error("--clock takes virtual or system");
      opts.virtual_clock = v == "virtual";
    } else if (a == "--admin-token") {
      if (!value(opts.admin_token) || opts.admin_token.empty())
        return usage_error("--admin-token needs a value");
    } else if (a == "--seed") {
      if (!value(v) || !parse_int(v, 0, (1LL << 62), n))
        return usage_error("--seed needs a number");
      opts.store.seed = static_cast<std::uint64_t>(n);
    } else if (a == "--lag") {
      if (!value(v)) return usage_error("--lag needs a SPEC, e.g. head=0-800ms;counters=0-500ms");
      auto lag = rqcheck::fake::parse_lag(v);
      if (!lag) return usage_error(lag.error().message);
      auto seed = opts.store.lag.seed;
      opts.store.lag = *lag;
      opts.store.lag.seed = seed;
    } else if (a == "--lag-seed") {
      if (!value(v) || !parse_int(v, 0, (1LL << 62), n))
        return usage_error("--lag-seed needs a number");
      opts.store.lag.seed = static_cast<std::uint64_t>(n);
    } else if (a == "--data-dir") {
      if (!value(opts.data_dir) || opts.data_dir.empty())
        return usage_error("--data-dir needs a directory");
    } else if (a == "--sync") {
      if (!value(v) || (v != "normal" && v != "full"))
        return usage_error("--sync takes normal or full");
      opts.sync_full = v == "full";
    } else if (a == "--behave") {
      if (!value(v)) return usage_error("--behave needs a name");
      auto& b = opts.store.behaviour;
      if (v == "delete-absent-404")
        b.delete_absent_is_404 = true;
      else if (v == "reject-over-max-limit")
        b.reject_over_max_limit = true;
      else if (v == "prolong-from-expiry")
        b.prolong_from_current_expiry = true;
      else if (v == "prolong-by-other-400")
        b.prolong_by_other_is_400 = true;
      else if (v == "batch-delete-absent-unprocessed")
        b.batch_delete_absent_unprocessed = true;
      else if (v == "delete-lock-by-other-403")
        b.delete_lock_by_other_is_403 = true;
      else if (v == "unnamed-listed-by-default")
        b.unnamed_listed_by_default = true;
      else
        return usage_error("unknown --behave '" + v + "'");
    } else if (a == "--bug") {
      if (!value(v)) return usage_error("--bug needs a name");
      opts.bugs.push_back(v);
    } else if (a == "--list-bugs") {
      for (const auto& b : rqcheck::fake::bug_catalogue())
        std::cout << b.name << "\t" << b.description << "\n";
      return 0;
    } else if (a == "--faults") {
      if (!value(v)) return usage_error("--faults needs a file");
      std::ifstream in(v);
      if (!in) return usage_error("cannot read --faults file '" + v + "'");
      std::stringstream text;
      text << in.rdbuf();
      auto doc = rqcheck::parse_json(text.str());
      if (!doc) return usage_error("--faults file '" + v + "': " + doc.error().message);
      if (doc->is_object() && doc->contains("rules")) *doc = (*doc)["rules"];
      if (doc->is_array()) {
        for (auto& r : *doc) opts.fault_rules.push_back(r);
      } else {
        opts.fault_rules.push_back(*doc);
      }
    } else if (a == "--fault") {
      if (!value(v)) return usage_error("--fault needs a shorthand");
      auto rules = rqcheck::fake::parse_fault_shorthand(v);
      if (!rules) return usage_error("--fault '" + v + "': " + rules.error().message);
      for (auto& r : *rules) opts.fault_rules.push_back(r);
    } else if (a == "--fault-seed") {
      if (!value(v) || !parse_int(v, 0, (1LL << 62), n))
        return usage_error("--fault-seed needs a number");
      opts.fault_seed = static_cast<std::uint64_t>(n);
    } else if (a == "--report") {
      if (!value(report_file)) return usage_error("--report needs a file");
    } else if (a == "--budget") {
      if (!value(v)) return usage_error("--budget needs METRIC=N pairs, e.g. writes=500");
      auto budget = rqcheck::fake::parse_cost_budget(v);
      if (!budget) return usage_error(budget.error().message);
      opts.cost_budget = *budget;
    } else if (a == "--no-validate") {
      opts.validate_requests = false;
    } else if (a == "--log") {
      opts.request_log = &std::cerr;
    } else {
      return usage_error("unknown option '" + a + "'");
    }
  }

  // Block SIGINT/SIGTERM in every thread; the main thread waits for them below.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Every connection is a descriptor: lift the soft limit to the hard one, so the connection cap
  // (--max-connections) is not lowered to the default 1024 descriptors.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }

  rqcheck::fake::FakeServer server(opts);
  if (auto st = server.start(); !st) {
    std::cerr << "rq-fake: " << st.error().message << "\n";
    return 2;
  }
  std::cout << "rq-fake listening on " << server.base_url() << std::endl;
  int sig = 0;
  sigwait(&sigs, &sig);
  std::cerr << "rq-fake: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down\n";
  server.stop();
  const bool over_budget = server.compliance().over_budget();
  std::cerr << "rq-fake: " << server.compliance().cost_summary() << "\n";
  if (!report_file.empty()) {
    std::ofstream json(report_file), text(report_file + ".txt");
    // The run is over: the consumer oracle judges every client as stopped (docs/oracle.md).
    json << rqcheck::dump_json(server.compliance().report(true)) << "\n";
    text << server.compliance().summary(true);
    if (!json || !text) {
      std::cerr << "rq-fake: could not write the report to " << report_file << "\n";
      return 1;
    }
    std::cerr << "rq-fake: compliance report written to " << report_file << " and " << report_file
              << ".txt\n";
  }
  return over_budget ? 3 : 0;
}
