// Embeds rq-fake in a C++ program (as a test would): starts it on a free port, talks to it with
// the retrying client through an injected 429, lets a lock expire on the virtual clock, and runs
// part of the conformance catalogue against it, once correct and once with a named bug.
// Links rqcheck::fake_server and rqcheck::conformance from an installed rqcheck.
//
//   rqcheck_embed_fake          # exit 0 when the fake behaves as documented
#include <iostream>
#include <string>

#include "rqcheck/client/http_client.h"
#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace {

int fail(const std::string& what) {
  std::cerr << "rqcheck_embed_fake: " << what << "\n";
  return 1;
}

// The whole list-requests part of the catalogue against a fresh fake with `bugs`.
int list_checks_exit_code(const std::vector<std::string>& bugs) {
  rqcheck::fake::FakeServerOptions o;
  o.bugs = bugs;
  rqcheck::fake::FakeServer fake(o);
  if (!fake.start()) return 2;
  rqcheck::conformance::RunOptions run;
  run.base_url = fake.base_url();
  run.token = "any-token";
  run.selection.only = {"rq.list.*"};
  return run_checks(run).exit_code();
}

}  // namespace

int main() {
  // readme: begin (README.md, "Embed the fake in a C++ test")
  rqcheck::fake::FakeServerOptions opts;  // 127.0.0.1, port 0
  opts.store.rate_limits.enabled = false;
  opts.virtual_clock = true;
  rqcheck::fake::FakeServer fake(opts);
  if (!fake.start()) return 2;
  std::string base = fake.base_url();  // http://127.0.0.1:PORT
  fake.faults().add_rule(
      {{"action", {{"type", "error"}, {"status", 429}}}, {"schedule", {{"first", 2}}}});

  rqcheck::client::ClientConfig config;  // retries 429s like apify-client-js
  config.base_url = base;
  config.token = "any-token";  // rq-fake takes any non-empty token
  config.retry.sleeper = [&](std::chrono::milliseconds d) { fake.advance_clock(d.count()); };
  rqcheck::client::HttpClient client(config);
  auto queue = client.get_or_create_queue("my-queue");  // two 429s, then 201
  // readme: end
  if (!queue) return fail("creating a queue through two 429s: " + queue.error().message);
  if (fake.journal().size() != 3) return fail("expected 3 attempts in the fake's journal");

  rqcheck::client::LockHeadOptions lock;
  lock.lock_secs = 60;
  lock.client_key = "worker-1";
  if (!client.add_request(queue->id, {{"uniqueKey", "a"}, {"url", "https://example.com/a"}}))
    return fail("adding a request");
  auto locked = client.list_and_lock_head(queue->id, lock);
  if (!locked || locked->items.size() != 1) return fail("locking the head");
  auto head = client.list_head(queue->id);
  if (!head || !head->items.empty()) return fail("a locked request is not in the head");
  fake.advance_clock(61000);  // the lock expires
  head = client.list_head(queue->id);
  if (!head || head->items.size() != 1) return fail("an expired lock returns the request");

  if (int code = list_checks_exit_code({}); code != 0)
    return fail("rq.list.* against a correct fake exited " + std::to_string(code));
  if (int code = list_checks_exit_code({"CursorSkipsItem"}); code != 1)
    return fail("rq.list.* against CursorSkipsItem exited " + std::to_string(code));
  std::cout << "rqcheck_embed_fake: the embedded fake behaves as documented\n";
  return 0;
}
