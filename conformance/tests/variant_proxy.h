// A small HTTP proxy for the benign-variants self-test (issue 12 point 4): it stands between the
// suite and a correct rq-fake and rewrites the answers in ways the contract allows, one variant
// at a time, so the test can prove that the whole suite still passes. Test-only: it links
// httplib privately, the conformance library never sees it.
//
//   VariantProxy proxy(fake.base_url(), kReverseKeys | kGzip);
//   proxy.start();                       // 127.0.0.1, a free port
//   run the suite against proxy.base_url();
#pragma once

#include <httplib.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/time.h"

namespace rqcheck::conformance::testing_proxy {

enum Transform : std::uint32_t {
  kReverseKeys = 1u << 0,       // every JSON object's keys in reverse order
  kExtraFields = 1u << 1,       // unknown fields in the envelope, data, items and errors
  kGzip = 1u << 2,              // answers gzip-compressed (the client accepts gzip)
  kChunked = 1u << 3,           // answers with Transfer-Encoding: chunked
  kStatsNull = 1u << 4,         // queue objects carry "stats": null
  kStatsAbsent = 1u << 5,       // queue objects carry no stats
  kTimeNoFraction = 1u << 6,    // timestamps without a fraction ("...:31Z"), truncated
  kTimeOneDigit = 1u << 7,      // one fraction digit, truncated
  kTimeMicros = 1u << 8,        // six fraction digits
  kTimeOffset = 1u << 9,        // the same instant written with a +02:00 offset
  kDeferBatchItems = 1u << 10,  // odd batch items come back unprocessed the first time
  kRetryAfter = 1u << 11,       // "Retry-After: 1" on every 429
  kListCount = 1u << 12,        // list pages carry count (decision 34's alternative)
  kOpaqueCursor = 1u << 13,     // cursors in another opaque format (decision 31: tolerate)
};

namespace detail {

inline std::string gzip(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

inline std::string unhex(const std::string& s) {
  std::string out;
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) out += char(v(s[i]) * 16 + v(s[i + 1]));
  return out;
}

// JSON text with every object's keys in reverse order (nlohmann's objects are sorted maps, so
// its own dump always gives one order).
inline void dump_reversed(const Json& j, std::string& out) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    std::vector<std::pair<std::string, const Json*>> members;
    for (auto it = j.begin(); it != j.end(); ++it) members.emplace_back(it.key(), &it.value());
    for (auto m = members.rbegin(); m != members.rend(); ++m) {
      if (!first) out += ',';
      first = false;
      out += Json(m->first).dump();
      out += ':';
      dump_reversed(*m->second, out);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (i) out += ',';
      dump_reversed(j[i], out);
    }
    out += ']';
  } else {
    out += j.dump();
  }
}

inline std::string rewrite_time(const std::string& s, std::uint32_t t) {
  static const std::regex iso(
      "^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{"
      "2})$");
  std::smatch m;
  if (!std::regex_match(s, m, iso)) return s;
  std::string frac = m[3].matched ? m[3].str() : "";
  while (frac.size() < 3) frac += '0';
  if (t & kTimeNoFraction) return m[1].str() + m[4].str();
  if (t & kTimeOneDigit) return m[1].str() + "." + frac.substr(0, 1) + m[4].str();
  if (t & kTimeMicros) return m[1].str() + "." + frac.substr(0, 3) + "000" + m[4].str();
  if (t & kTimeOffset) {
    auto ms = parse_iso8601(s);
    if (!ms) return s;
    std::string shifted = format_iso8601(*ms + 2 * 3600 * 1000);  // ...Z, two hours later
    return shifted.substr(0, shifted.size() - 1) + "+02:00";
  }
  return s;
}

// The fields of an API object (not of a stored request's userData or headers).
inline void rewrite_object(Json& o, std::uint32_t t) {
  if (!o.is_object()) return;
  if (t & (kTimeNoFraction | kTimeOneDigit | kTimeMicros | kTimeOffset)) {
    for (auto it = o.begin(); it != o.end(); ++it) {
      const std::string& k = it.key();
      if (k.size() > 2 && k.compare(k.size() - 2, 2, "At") == 0 && it->is_string()) {
        *it = rewrite_time(it->get<std::string>(), t);
      }
    }
  }
  if (o.contains("totalRequestCount")) {
    if (t & kStatsNull) o["stats"] = nullptr;
    if (t & kStatsAbsent) o.erase("stats");
  }
  if (t & kExtraFields)
    o["rqcheckVariantExtra"] = Json{{"note", "a field the suite does not know"}};
}

}  // namespace detail

class VariantProxy {
 public:
  VariantProxy(std::string upstream, std::uint32_t transforms)
      : upstream_(std::move(upstream)), t_(transforms) {}
  ~VariantProxy() { stop(); }

  bool start() {
    auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) { serve(req, res, &reader); };
    auto without_body = [this](const httplib::Request& req, httplib::Response& res) {
      serve(req, res, nullptr);
    };
    server_.Get(".*", without_body);
    server_.Options(".*", without_body);
    server_.Post(".*", with_body);
    server_.Put(".*", with_body);
    server_.Patch(".*", with_body);
    server_.Delete(".*", with_body);
    server_.set_payload_max_length(4 * kMaxPayloadBytes);
    server_.set_tcp_nodelay(true);
    server_.new_task_queue = [] { return new httplib::ThreadPool(16); };
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 1000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return true;
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader) {
    httplib::Headers headers;
    for (const auto& [k, v] : req.headers) {
      std::string lk = k;
      for (char& c : lk) c = char(std::tolower(static_cast<unsigned char>(c)));
      if (lk == "host" || lk == "content-length" || lk == "accept-encoding" ||
          lk == "content-encoding" || lk == "transfer-encoding" || lk == "connection" ||
          lk.rfind("remote_", 0) == 0 || lk.rfind("local_", 0) == 0)
        continue;
      headers.emplace(k, v);
    }
    std::string body;
    std::string encoding = req.get_header_value("Content-Encoding");
    std::string lenc = encoding;
    for (char& c : lenc) c = char(std::tolower(static_cast<unsigned char>(c)));
    bool decodable =
        lenc.empty() || lenc == "gzip" || lenc == "deflate" || lenc == "br" || lenc == "identity";
    if (!decodable) {
      // Unread: the upstream refuses the coding before it reads a byte (415).
      headers.emplace("Content-Encoding", encoding);
      body = "x";
    } else if (reader) {
      if (!lenc.empty() && lenc != encoding) {
        auto& h = const_cast<httplib::Request&>(req).headers;
        h.erase("Content-Encoding");
        h.emplace("Content-Encoding", lenc);
      }
      // Past the limit the upstream answers 413 anyway: stop reading one byte after it.
      (*reader)([&](const char* d, std::size_t n) {
        body.append(d, n);
        return body.size() <= kMaxPayloadBytes;
      });
    }
    std::string target = req.target;
    if (t_ & kOpaqueCursor) target = unwrap_cursor(target);

    std::vector<Json> deferred;
    bool batch_add = req.method == "POST" && ends_with(req.path, "/requests/batch");
    bool batch_delete = req.method == "DELETE" && ends_with(req.path, "/requests/batch");
    if ((t_ & kDeferBatchItems) && (batch_add || batch_delete)) {
      body = defer(req.path, body, batch_add, deferred);
    }

    httplib::Client c(upstream_);
    c.set_keep_alive(false);
    c.set_decompress(true);
    c.set_read_timeout(60, 0);
    c.set_write_timeout(60, 0);
    httplib::Request up;
    up.method = req.method;
    up.path = target;
    up.headers = headers;
    if (reader || !decodable) {
      up.body = body;
      if (!up.has_header("Content-Type")) up.set_header("Content-Type", "application/json");
    }
    httplib::Response ures;
    httplib::Error err = httplib::Error::Success;
    if (!c.send(up, ures, err)) {
      res.status = 502;
      res.set_content("{\"error\":{\"type\":\"proxy\",\"message\":\"upstream failed\"}}",
                      "application/json; charset=utf-8");
      return;
    }
    res.status = ures.status;
    std::string content_type = "application/json; charset=utf-8";
    for (const auto& [k, v] : ures.headers) {
      std::string lk = k;
      for (char& ch : lk) ch = char(std::tolower(static_cast<unsigned char>(ch)));
      if (lk == "content-length" || lk == "content-encoding" || lk == "transfer-encoding" ||
          lk == "connection" || lk == "keep-alive")
        continue;
      if (lk == "content-type") {
        content_type = v;
        continue;
      }
      res.headers.emplace(k, v);
    }
    if (ures.status == 429 && (t_ & kRetryAfter)) res.set_header("Retry-After", "1");
    // A body left unread (an unknown coding, or past the limit) would be read as the next
    // request of the connection: close it after the answer, as a server that stops reading must.
    if (!decodable || body.size() > kMaxPayloadBytes) res.set_header("Connection", "close");
    std::string out = ures.body;
    if (!out.empty()) {
      auto doc = parse_json(out);
      if (doc) {
        rewrite(*doc, req, deferred);
        if (t_ & kReverseKeys) {
          out.clear();
          detail::dump_reversed(*doc, out);
        } else {
          out = doc->dump();
        }
      }
    }
    if (out.empty()) return;
    std::string accept = req.get_header_value("Accept-Encoding");
    if ((t_ & kGzip) && accept.find("gzip") != std::string::npos) {
      out = detail::gzip(out);
      res.set_header("Content-Encoding", "gzip");
    }
    if (t_ & kChunked) {
      auto text = std::make_shared<std::string>(std::move(out));
      res.set_chunked_content_provider(
          content_type, [text](std::size_t offset, httplib::DataSink& sink) {
            if (offset >= text->size()) {
              sink.done();
              return true;
            }
            sink.write(text->data() + offset, std::min<std::size_t>(97, text->size() - offset));
            return true;
          });
      return;
    }
    res.set_content(out, content_type.c_str());
  }

  static bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  // Keeps the odd items of a valid batch out of the call the first time they are seen; they
  // come back in unprocessedRequests and the next batch that carries them is forwarded whole.
  std::string defer(const std::string& path, const std::string& body, bool add,
                    std::vector<Json>& deferred) {
    auto doc = parse_json(body);
    if (!doc || !doc->is_array() || doc->size() < 2 || doc->size() > kMaxBatch) return body;
    std::set<std::string> keys;
    for (const Json& it : *doc) {
      if (!it.is_object()) return body;
      std::string key;
      if (add) {
        if (!it.contains("uniqueKey") || !it["uniqueKey"].is_string() || !it.contains("url") ||
            !it["url"].is_string() || it.contains("id"))
          return body;
        key = it["uniqueKey"].get<std::string>();
      } else {
        key = it.dump();
        if (!it.contains("id") && !it.contains("uniqueKey")) return body;
      }
      if (!keys.insert(key).second) return body;
    }
    Json forward = Json::array();
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < doc->size(); ++i) {
      const Json& it = (*doc)[i];
      std::string key = path + "\n" + (add ? it["uniqueKey"].get<std::string>() : it.dump());
      if (i % 2 == 1 && seen_.insert(key).second) {
        if (add) {
          Json u{{"uniqueKey", it["uniqueKey"]}, {"url", it["url"]}};
          u["method"] = it.contains("method") ? it["method"] : Json("GET");
          deferred.push_back(std::move(u));
        } else {
          deferred.push_back(it);
        }
      } else {
        forward.push_back(it);
      }
    }
    return forward.dump();
  }

  void rewrite(Json& doc, const httplib::Request& req, const std::vector<Json>& deferred) {
    if (!doc.is_object()) return;
    if (doc.contains("error") && doc["error"].is_object()) {
      if (t_ & kExtraFields) doc["error"]["rqcheckVariantExtra"] = 1;
    }
    if (!doc.contains("data")) return;
    Json& data = doc["data"];
    if (!deferred.empty() && data.is_object() && data.contains("unprocessedRequests") &&
        data["unprocessedRequests"].is_array()) {
      for (const Json& d : deferred) data["unprocessedRequests"].push_back(d);
    }
    detail::rewrite_object(data, t_);
    for (const char* list : {"items", "processedRequests", "unprocessedRequests"}) {
      if (data.is_object() && data.contains(list) && data[list].is_array()) {
        for (Json& it : data[list]) detail::rewrite_object(it, t_);
      }
    }
    bool list_requests = req.method == "GET" && ends_with(req.path, "/requests");
    if (list_requests && data.is_object()) {
      if ((t_ & kListCount) && data.contains("items") && data["items"].is_array()) {
        data["count"] = data["items"].size();
      }
      if (t_ & kOpaqueCursor) {
        for (const char* k : {"cursor", "nextCursor"}) {
          if (data.contains(k) && data[k].is_string()) {
            data[k] = "v1." + detail::hex(data[k].get<std::string>());
          }
        }
      }
    }
    if (t_ & kExtraFields) doc["rqcheckVariantMeta"] = Json{{"proxy", true}};
  }

  // ?cursor=v1.<hex> becomes the upstream's own cursor.
  static std::string unwrap_cursor(const std::string& target) {
    static const std::regex re("([?&]cursor=)v1\\.([0-9a-f]*)");
    std::smatch m;
    if (!std::regex_search(target, m, re)) return target;
    return m.prefix().str() + m[1].str() + detail::unhex(m[2].str()) + m.suffix().str();
  }

  std::string upstream_;
  std::uint32_t t_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::mutex mu_;
  std::set<std::string> seen_;
};

}  // namespace rqcheck::conformance::testing_proxy
