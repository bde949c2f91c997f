// A tiny HTTP server for client tests: binds 127.0.0.1 on a free port, answers from a script
// (first in, first out) and records what it received.
#pragma once

#include <httplib.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace rqcheck::client::testing {

struct Received {
  std::string method;
  std::string path;    // decoded path, no query
  std::string target;  // as sent
  httplib::Params params;
  httplib::Headers headers;
  std::string body;  // after httplib undid any Content-Encoding

  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string("<absent>") : it->second;
  }
  bool has_param(const std::string& k) const { return params.count(k) > 0; }
  std::string header(const std::string& k) const {
    auto it = headers.find(k);
    return it == headers.end() ? std::string("<absent>") : it->second;
  }
};

struct Scripted {
  int status = 200;
  std::string body = R"({"data":{}})";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // sleep before answering (to provoke client timeouts)
};

class ScriptedServer {
 public:
  // `keep_alive_secs`: how long the server keeps an idle connection open.
  void start(time_t keep_alive_secs = 5) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000);
    server_.set_keep_alive_timeout(keep_alive_secs);
    // Routes, not a pre-routing handler: only routed requests have their body read.
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Scripted s;
      {
        std::lock_guard<std::mutex> lock(mu_);
        Received r{req.method, req.path, req.target, req.params, req.headers, req.body};
        received_.push_back(std::move(r));
        if (!script_.empty()) {
          s = std::move(script_.front());
          script_.pop_front();
        } else if (has_default_) {
          s = default_;
        } else {
          s = Scripted{599,
                       R"({"error":{"type":"test-script-empty","message":"no scripted answer"}})"};
        }
      }
      if (s.delay.count() > 0) std::this_thread::sleep_for(s.delay);
      res.status = s.status;
      for (const auto& [k, v] : s.headers) res.set_header(k, v);
      if (!s.body.empty() || s.status != 204) res.set_content(s.body, s.content_type.c_str());
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    server_.Delete(".*", handler);
    server_.Options(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  void stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void push(Scripted s) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(s));
  }
  void push(int status, std::string body) { push(Scripted{status, std::move(body)}); }
  // Answer used once the script is exhausted.
  void set_default(Scripted s) {
    std::lock_guard<std::mutex> lock(mu_);
    default_ = std::move(s);
    has_default_ = true;
  }

  std::vector<Received> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  Received last() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.empty() ? Received{} : received_.back();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  mutable std::mutex mu_;
  std::deque<Scripted> script_;
  Scripted default_;
  bool has_default_ = false;
  std::vector<Received> received_;
};

}  // namespace rqcheck::client::testing
