// What the fake's HTTP tests share: an in-process FakeServer on 127.0.0.1 port 0, clients with
// the tuning every httplib::Client needs (TCP_NODELAY, ../shared/PERFORMANCE.md), and the
// helpers for bodies and paths.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::fake::test_support {

class FakeServerFixture : public ::testing::Test {
 protected:
  // 16 threads and no rate limits: a test turns on what it checks.
  static FakeServerOptions BaseOptions() {
    FakeServerOptions o;
    o.threads = 16;
    o.store.rate_limits.enabled = false;
    return o;
  }

  void StartServer(FakeServerOptions o) {
    StopServer();
    server_ = std::make_unique<FakeServer>(std::move(o));
    auto st = server_->start();
    ASSERT_TRUE(st) << st.error().message;
    ASSERT_GT(server_->port(), 0);
  }

  void StopServer() {
    if (server_) server_->stop();
  }

  void TearDown() override { StopServer(); }

  std::unique_ptr<httplib::Client> MakeClient(bool keep_alive, int read_timeout_secs) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_tcp_nodelay(true);
    c->set_keep_alive(keep_alive);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(read_timeout_secs, 0);
    c->set_write_timeout(read_timeout_secs, 0);
    return c;
  }

  // The answer's body as JSON (null for no answer); a body that is not JSON fails the test.
  static Json Body(const httplib::Result& r) {
    if (!r) return Json();
    Json j = Json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r->body.substr(0, 300);
    return j;
  }

  static std::string Q(const std::string& id, const std::string& rest = "") {
    return "/v2/request-queues/" + id + rest;
  }

  static std::string AddBody(const std::string& uk) {
    return Json{{"uniqueKey", uk}, {"url", "http://example.com/" + uk}}.dump();
  }

  static std::string BatchBody(const std::vector<std::string>& keys) {
    Json a = Json::array();
    for (const auto& k : keys)
      a.push_back(Json{{"uniqueKey", k}, {"url", "http://example.com/" + k}});
    return a.dump();
  }

  std::unique_ptr<FakeServer> server_;
};

// Evaluates `res` once (it is often a call).
#define ASSERT_STATUS(res, code)                                                            \
  do {                                                                                      \
    const httplib::Result& res_once_ = (res);                                               \
    ASSERT_TRUE(res_once_) << "transport error: " << httplib::to_string(res_once_.error()); \
    ASSERT_EQ(res_once_->status, (code)) << res_once_->body.substr(0, 500);                 \
  } while (0)

// The error envelope: status, {"error":{"type","message"}}, JSON content type.
inline void ExpectError(const httplib::Result& r, int status, const std::string& type) {
  ASSERT_TRUE(r) << "transport error: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body.substr(0, 500);
  Json j = Json::parse(r->body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r->body.substr(0, 500);
  ASSERT_TRUE(j.contains("error")) << r->body.substr(0, 500);
  EXPECT_EQ(j["error"]["type"], type) << r->body.substr(0, 500);
  ASSERT_TRUE(j["error"]["message"].is_string());
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("application/json", 0), 0u);
}

}  // namespace rqcheck::fake::test_support
