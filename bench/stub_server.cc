// rq-stub: the dependency's ceiling. A bare cpp-httplib server with the same tuning as rq-fake,
// answering a fixed small JSON (GET), parsing a batch body with nlohmann and answering it
// (POST), and building a 1000-item list page as a DOM (GET /list). Prints its URL first.
#include <httplib.h>
#include <sys/socket.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 64;
  httplib::Server svr;
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(1000000);
  svr.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  int listen_fd = -1;
  svr.set_socket_options([&](socket_t s) {
    int yes = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = s;
  });
  const std::string small =
      R"({"data":{"id":"WkzbQMuFYuamGv3YF","name":"bench","userId":"wRsJZtadYvn4mBZmm","createdAt":"2019-12-12T07:34:14.202Z","modifiedAt":"2019-12-13T08:36:13.202Z","accessedAt":"2019-12-14T08:36:13.202Z","totalRequestCount":870,"handledRequestCount":100,"pendingRequestCount":670,"hadMultipleClients":false,"consoleUrl":"https://console.apify.com/storage/request-queues/WkzbQMuFYuamGv3YF"}})";
  svr.Get("/list", [](const httplib::Request&, httplib::Response& res) {
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < 1000; ++i) {
      std::string u = "https://example.com/item/" + std::to_string(i) +
                      "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
      items.push_back({{"id", "abcdefghijklmno"},
                       {"uniqueKey", u},
                       {"url", u},
                       {"method", "GET"},
                       {"retryCount", 0},
                       {"userData", {{"label", "DETAIL"}, {"depth", 1}}}});
    }
    nlohmann::json page = {{"data", {{"items", items}, {"limit", 1000}}}};
    res.set_content(page.dump(), "application/json");
  });
  svr.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(small, "application/json");
  });
  svr.Post(".*", [](const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    nlohmann::json processed = nlohmann::json::array();
    if (body.is_array()) {
      for (const auto& item : body) {
        if (!item.is_object()) continue;
        processed.push_back({{"requestId", "abcdefghijklmno"},
                             {"uniqueKey", item.value("uniqueKey", "")},
                             {"wasAlreadyPresent", false},
                             {"wasAlreadyHandled", false}});
      }
    }
    nlohmann::json out = {
        {"data",
         {{"processedRequests", processed}, {"unprocessedRequests", nlohmann::json::array()}}}};
    res.status = 201;
    res.set_content(out.dump(), "application/json");
  });
  int port = svr.bind_to_any_port("127.0.0.1");
  if (listen_fd >= 0) ::listen(listen_fd, 1024);
  std::cout << "rq-stub listening on http://127.0.0.1:" << port << std::endl;
  std::signal(SIGTERM, [](int) { std::_Exit(0); });
  svr.listen_after_bind();
}
