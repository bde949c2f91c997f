#include "wire.h"

#include <algorithm>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake::wire {

namespace {

using O = Operation;

constexpr std::string_view kBoolParams[] = {"forefront", "desc", "unnamed"};

}  // namespace

void refuse(Call& call, std::string_view rule, ApiError e) {
  call.violations.push_back({rule, e, true});
}

std::optional<bool> bool_param(const HttpRequest& http, std::string_view name, Call& call) {
  auto v = http.opt_param(name);
  if (!v) return std::nullopt;
  auto b = parse_bool_param(name, *v);
  if (!b) {
    refuse(call, "request.boolean_param", b.error());
    return std::nullopt;
  }
  return *b;
}

// Spec 1: a JSON body needs Content-Type application/json; batch DELETE declares it required.
// Returns false (with the violation recorded) when the body is not to be parsed.
bool json_body_ok(const HttpRequest& http, Call& call) {
  std::string ct = http.header_or("Content-Type");
  if (!ct.empty() && !is_json_content_type(ct)) {
    refuse(call, "request.content_type", errors::invalid_content_type(ct));
    return false;
  }
  if (ct.empty() && !http.body.empty()) {
    ApiError e = errors::invalid_content_type(ct);
    bool required = call.op == O::kRequestsBatchDelete;
    call.violations.push_back({"request.content_type", e, required});
    if (required) return false;
  }
  return true;
}

void parse_update_body(const HttpRequest& http, Call& call) {
  if (!json_body_ok(http, call)) return;
  if (http.body.empty()) {
    refuse(call, "request.body_not_json",
           errors::invalid_input(
               "Invalid input: the request body is empty; this operation takes a JSON body."));
    return;
  }
  auto doc = parse_json(http.body, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!doc) {
    refuse(call, "request.body_not_json", doc.error());
    return;
  }
  if (!doc->is_object()) {
    refuse(call, "request.body_not_object",
           errors::invalid_input("Invalid input: the body must be a JSON object."));
    return;
  }
  for (auto it = doc->begin(); it != doc->end(); ++it) {
    if (it.key() == "name") {
      if (it->is_null()) {
        call.args.changes.name = std::optional<std::string>{};
      } else if (it->is_string()) {
        call.args.changes.name = it->get<std::string>();
      } else {
        refuse(call, "request.schema",
               errors::invalid_input("Invalid input: \"name\" must be a string or null."));
      }
    } else if (it.key() == "generalAccess") {
      if (!it->is_string()) {
        refuse(call, "request.schema",
               errors::invalid_input(
                   "Invalid input: \"generalAccess\" must be one of ANYONE_WITH_ID_CAN_READ, "
                   "ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED."));
      } else {
        call.args.changes.general_access = it->get<std::string>();
      }
    }
    // Other keys (e.g. the JS client's `title`) are accepted and ignored.
  }
}

namespace {

void parse_filter(const HttpRequest& http, Call& call) {
  const Params& params = http.query;
  for (auto it = params.lower_bound("filter"); it != params.end() && it->first == "filter"; ++it) {
    std::string_view v = it->second;
    std::size_t i = 0;
    while (i <= v.size()) {
      std::size_t j = v.find(',', i);
      if (j == std::string_view::npos) j = v.size();
      std::string_view f = v.substr(i, j - i);
      if (f == "locked") {
        call.args.list.filter_locked = true;
      } else if (f == "pending") {
        call.args.list.filter_pending = true;
      } else if (!f.empty()) {
        refuse(
            call, "request.filter",
            errors::invalid_parameter("Parameter \"filter\" takes locked and/or pending (got \"" +
                                      std::string(f) + "\")."));
      }
      i = j + 1;
    }
  }
}

void parse_list(const HttpRequest& http, const WireOptions& o, Call& call) {
  CallArgs& a = call.args;
  auto limit = parse_limit(http.opt_param("limit"), kListRequestsLimit, 1, o.reject_over_max_limit,
                           call.violations);
  if (limit) a.list.limit = *limit;
  a.cursor = http.opt_param("cursor");
  a.exclusive_start_id = http.opt_param("exclusiveStartId");
  parse_filter(http, call);
  // Decision 33.
  if (a.exclusive_start_id && (a.cursor || a.list.filter_locked || a.list.filter_pending)) {
    refuse(call, "request.exclusive_start_id",
           errors::invalid_parameter(
               "Parameter \"exclusiveStartId\" cannot be combined with \"cursor\" or \"filter\"."));
  }
  if (a.cursor) {
    a.list.after = decode_cursor(*a.cursor);
    if (!a.list.after) {
      refuse(call, "request.cursor",
             errors::invalid_parameter("Parameter \"cursor\" is not a valid cursor."));
    }
  } else if (a.exclusive_start_id) {
    a.list.after = a.exclusive_start_id;
  }
}

void parse_queues_list(const HttpRequest& http, Call& call) {
  QueueListOptions& q = call.args.queues;
  if (auto v = http.opt_param("offset")) {
    auto n = parse_int_param("offset", *v);
    if (!n || *n < 0) {
      refuse(call, "request.offset",
             errors::invalid_parameter("Parameter \"offset\" must be a non-negative integer."));
    } else {
      q.offset = *n;
    }
  }
  auto limit = parse_limit(http.opt_param("limit"), kListStoragesLimit, 0, false, call.violations);
  if (limit) q.limit = *limit;
  if (auto b = bool_param(http, "desc", call)) q.desc = *b;
  if (auto b = bool_param(http, "unnamed", call)) q.unnamed = *b;
  if (auto own = http.opt_param("ownership")) {
    if (*own == "sharedWithMe") {
      q.shared_with_me = true;
    } else if (*own != "ownedByMe") {
      refuse(call, "request.ownership",
             errors::invalid_parameter("Parameter \"ownership\" must be ownedByMe or "
                                       "sharedWithMe."));
    }
  }
}

void lock_secs(const HttpRequest& http, Call& call) {
  auto secs = parse_lock_secs(http.opt_param("lockSecs"));
  if (!secs) {
    refuse(call, "request.lock_secs", secs.error());
  } else {
    call.args.lock_secs = *secs;
  }
}

bool takes_client_key(O op) {
  return operation_info(op).storage == Storage::kRequestQueue &&
         static_cast<int>(op) >= static_cast<int>(O::kRequestsPost) && op != O::kRequestGet;
}

// A parameter name as sent, quoted and cut to 64 characters for a message.
std::string quoted_name(std::string_view name) {
  return "\"" + std::string(name.substr(0, 64)) + (name.size() > 64 ? "...\"" : "\"");
}

}  // namespace

void parse_call(const HttpRequest& http, const RouteMatch& route, const WireOptions& o,
                Call& call) {
  call.http = &http;
  call.op = *route.op;
  call.params = route.params;
  // Decision 12: Bearer header or ?token=.
  std::string auth = http.header_or("Authorization");
  if (auth.size() > 7) {
    std::string scheme = auth.substr(0, 7);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "bearer ") call.token = auth.substr(7);
  }
  if (const std::string* t = http.param("token")) {
    call.token_in_query = true;
    call.violations.push_back({"request.token_in_query",
                               errors::invalid_parameter("the token was sent in the query string"),
                               false});
    if (!call.token && !t->empty()) call.token = *t;
  }
  call.client_key = http.opt_param("clientKey");
  CallArgs& a = call.args;
  const O op = call.op;
  // Spec 1, decision 12: every call needs a token but reads by raw id (the first answer).
  if (!call.token && !operation_info(op).anonymous_read) {
    refuse(call, "request.token_missing", errors::token_not_provided());
  }
  if (operation_info(op).storage == Storage::kRequestQueue) {
    if (auto f = bool_param(http, "forefront", call)) a.write.forefront = *f;
    for (std::string_view name : kBoolParams) {
      if (name != "forefront" && op != O::kQueuesGet) {
        // desc and unnamed belong to the queue list; elsewhere they are only reported.
        if (auto v = http.opt_param(name); v && !parse_bool_param(name, *v)) {
          call.violations.push_back(
              {"request.boolean_param", parse_bool_param(name, *v).error(), false});
        }
      }
    }
  }
  switch (op) {
    case O::kQueuesGet:
      parse_queues_list(http, call);
      break;
    case O::kQueuesPost:
      a.name = http.opt_param("name");
      if (a.name && a.name->empty()) a.name.reset();
      break;
    case O::kQueuePut:
      parse_update_body(http, call);
      break;
    case O::kRequestsPost:
    case O::kRequestPut:
      if (json_body_ok(http, call)) {
        auto d = parse_request_body(http.body, call.violations);
        if (d) {
          if (op == O::kRequestsPost) {
            if (auto rid = check_derived_id(*d); !rid) {
              refuse(call, "request.id_mismatch", rid.error());
            } else {
              d->derived_id = std::move(*rid);
            }
          } else if (auto st = check_put_ids(*d, call.params[1]); !st) {
            refuse(call, "request.id_mismatch", st.error());
          }
          a.drafts.push_back(std::move(*d));
        }
      }
      break;
    case O::kRequestsBatchPost:
      if (json_body_ok(http, call)) {
        auto d = parse_batch_add_body(http.body, call.violations);
        if (d) a.drafts = std::move(*d);
      }
      break;
    case O::kRequestsBatchDelete:
      if (json_body_ok(http, call)) {
        auto k = parse_batch_delete_body(http.body, call.violations);
        if (k) a.keys = std::move(*k);
      }
      break;
    case O::kRequestsGet:
      parse_list(http, o, call);
      break;
    case O::kHeadGet: {
      auto limit = parse_limit(http.opt_param("limit"), kHeadLimit, 0, o.reject_over_max_limit,
                               call.violations);
      if (limit) a.limit = *limit;
      break;
    }
    case O::kHeadLockPost: {
      lock_secs(http, call);
      auto limit = parse_limit(http.opt_param("limit"), kHeadLockLimit, 0, o.reject_over_max_limit,
                               call.violations);
      if (limit) a.limit = *limit;
      break;
    }
    case O::kRequestLockPut:
      lock_secs(http, call);
      break;
    default:
      if (operation_info(op).storage != Storage::kRequestQueue) parse_storage_call(http, call);
      break;
  }
  for (const RequestDraft& d : a.drafts) call.item_keys.push_back(bound_key(d.unique_key));
  for (const RequestKey& k : a.keys)
    call.item_keys.push_back(bound_key(k.id ? *k.id : *k.unique_key));
  // A parameter the operation does not define is ignored, as the API ignores it; the report
  // names it with the documented name it most likely meant (a client paging with `cursor_id`
  // gets page 1 again and again, and nothing else says why). At most 8 per call.
  int unknown = 0;
  for (const auto& [name, value] : http.query) {
    if (is_documented_query_param(op, name)) continue;
    if (++unknown > 8) break;
    std::string m = "Query parameter " + quoted_name(name) + " is not defined for " +
                    std::string(operation_info(op).id) + "; the API ignores it";
    if (is_api_query_param(name)) {
      // A parameter of other operations (clientKey on GET request): harmless, noted.
      call.violations.push_back(
          {"request.parameter_not_for_operation", errors::invalid_parameter(m + "."), false});
      continue;
    }
    if (auto near = closest_query_param(op, name)) {
      m += " (did you mean \"" + std::string(*near) + "\"?)";
    }
    call.violations.push_back(
        {"request.unknown_parameter", errors::invalid_parameter(m + "."), false});
  }
  // Decision 8.
  if (auto st = check_client_key(call.client_key); !st) {
    call.violations.push_back({"request.client_key_length", st.error(), takes_client_key(op)});
  }
  settle(call);
}

// Each fatal rule answers in the order the checks ran.
void settle(Call& call) {
  call.refusal.reset();
  for (const Violation& v : call.violations) {
    if (v.fatal) {
      call.refusal = v.error;
      return;
    }
  }
}

// --- writers ---------------------------------------------------------------------------------

namespace {

void append_add_result(std::string& out, const AddResult& r) {
  out += "{\"requestId\":";
  append_json_string(out, r.request_id);
  out += r.was_already_present ? ",\"wasAlreadyPresent\":true" : ",\"wasAlreadyPresent\":false";
  out += r.was_already_handled ? ",\"wasAlreadyHandled\":true}" : ",\"wasAlreadyHandled\":false}";
}

void append_batch_add(std::string& out, const BatchAddResult& r) {
  out += "{\"processedRequests\":[";
  for (std::size_t i = 0; i < r.processed.size(); ++i) {
    const auto& p = r.processed[i];
    if (i) out += ',';
    out += "{\"requestId\":";
    append_json_string(out, p.request_id);
    out += ",\"uniqueKey\":";
    append_json_string(out, p.unique_key);
    out += p.was_already_present ? ",\"wasAlreadyPresent\":true" : ",\"wasAlreadyPresent\":false";
    out += p.was_already_handled ? ",\"wasAlreadyHandled\":true}" : ",\"wasAlreadyHandled\":false}";
  }
  out += "],\"unprocessedRequests\":[";
  for (std::size_t i = 0; i < r.unprocessed.size(); ++i) {
    const auto& u = r.unprocessed[i];
    if (i) out += ',';
    out += "{\"uniqueKey\":";
    append_json_string(out, u.unique_key);
    out += ",\"url\":";
    append_json_string(out, u.url);
    if (u.method) {
      out += ",\"method\":";
      append_json_string(out, *u.method);
    }
    out += '}';
  }
  out += "]}";
}

// Keys in nlohmann's (sorted) order, as the earlier DOM writer gave them.
void append_queues_page(std::string& out, const QueuesPage& p, bool unnamed) {
  out += "{\"count\":";
  out += std::to_string(p.count);
  out += p.desc ? ",\"desc\":true" : ",\"desc\":false";
  out += ",\"items\":[";
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (i) out += ',';
    append_queue_json(out, p.items[i], true);
  }
  out += "],\"limit\":";
  out += std::to_string(p.limit);
  out += ",\"offset\":";
  out += std::to_string(p.offset);
  out += ",\"total\":";
  out += std::to_string(p.total);
  if (unnamed) out += ",\"unnamed\":true";
  out += '}';
}

Reply data_reply(int status, std::size_t reserve) {
  Reply r;
  r.status = status;
  r.body.reserve(reserve + 10);
  r.body += "{\"data\":";
  return r;
}

}  // namespace

void append_request_json(std::string& out, const RequestView& e) {
  out += "{\"id\":";
  append_json_string(out, e.id);
  if (e.plain) {
    // The common case: nothing to escape, so no per-byte scan of a 1000-item page.
    out += ",\"uniqueKey\":\"";
    out += e.unique_key;
    out += "\",\"url\":\"";
    out += e.url;
    out += '"';
  } else {
    out += ",\"uniqueKey\":";
    append_json_string(out, e.unique_key);
    out += ",\"url\":";
    append_json_string(out, e.url);
  }
  out += ",\"method\":\"";
  out += kRequestMethods[e.method];
  out += "\",\"retryCount\":";
  out += std::to_string(e.retry_count);
  out += e.extra;
  if (e.handled_at) {
    out += ",\"handledAt\":\"";
    append_iso8601(out, *e.handled_at);
    out += '"';
  }
  out += '}';
}

void begin_list_page(std::string& out) { out += "{\"data\":{\"items\":["; }

void finish_list_page(std::string& out, const Call& call, const ListPage& page) {
  out += "],\"limit\":";
  out += std::to_string(call.args.list.limit);
  if (call.args.exclusive_start_id) {
    out += ",\"exclusiveStartId\":";
    append_json_string(out, *call.args.exclusive_start_id);
  }
  if (call.args.cursor) {
    out += ",\"cursor\":";
    append_json_string(out, *call.args.cursor);
  }
  if (page.next_after) {
    out += ",\"nextCursor\":\"";
    out += encode_cursor(*page.next_after);
    out += '"';
  }
  out += "}}";
}

RequestSink request_writer(std::string& out, std::size_t expected) {
  return [&out, expected, first = true](const RequestView& r) mutable {
    if (first) {
      // One allocation for the page: the size of the first item stands for the rest (a page
      // of 1000 is ~300 KB; growing it by doubling would copy it twice more). Bounded, as one
      // item may carry megabytes of userData.
      std::size_t start = out.size();
      append_request_json(out, r);
      std::size_t per_item = out.size() - start + 16;
      std::string first_item = out.substr(start);
      out.resize(start);
      out.reserve(start + std::min<std::size_t>(expected * per_item, std::size_t(8) << 20) + 256);
      out += first_item;
      first = false;
      return;
    }
    out += ',';
    append_request_json(out, r);
  };
}

Reply write_outcome(const Call& call, Outcome& o) {
  if (o.error) {
    Reply e = Reply::of_error(*o.error);
    for (const auto& h : o.headers) e.headers.push_back(h);
    return e;
  }
  Reply r;
  bool complete = false;  // the operation wrote the whole body (list, get request)
  switch (call.op) {
    case O::kQueuesGet:
      r = data_reply(o.status, 256 + o.queues.items.size() * 640);
      append_queues_page(r.body, o.queues, call.args.queues.unnamed);
      break;
    case O::kQueuesPost:
    case O::kQueueGet:
    case O::kQueuePut:
      r = data_reply(o.status, 640);
      append_queue_json(r.body, o.queue);
      break;
    case O::kRequestsPost:
    case O::kRequestPut:
      r = data_reply(o.status, 128);
      append_add_result(r.body, o.add);
      break;
    case O::kRequestsGet:
    case O::kRequestGet:
      r.status = o.status;
      r.body = std::move(o.data_text);
      complete = true;
      break;
    case O::kRequestsBatchPost:
      r = data_reply(o.status, 64 + o.batch_add.processed.size() * 128);
      append_batch_add(r.body, o.batch_add);
      break;
    case O::kRequestsBatchDelete:
      r = data_reply(o.status, 64 + o.batch_delete.processed.size() * 64);
      r.body += dump_json(to_json(o.batch_delete));
      break;
    case O::kHeadGet:
    case O::kHeadLockPost:
      r = data_reply(o.status, 160 + o.head.items.size() * 256);
      append_head_json(r.body, o.head);
      break;
    case O::kRequestLockPut:
      r = data_reply(o.status, 64);
      r.body += "{\"lockExpiresAt\":\"";
      append_iso8601(r.body, o.lock_expires_at);
      r.body += "\"}";
      break;
    case O::kRequestsUnlockPost:
      r = data_reply(o.status, 32);
      r.body += "{\"unlockedCount\":" + std::to_string(o.unlocked_count) + "}";
      break;
    default:
      return write_storage_outcome(call, o);
  }
  if (o.no_body) {
    r = Reply::no_content();
    r.status = o.status;
  } else if (!r.body.empty() && !complete) {
    r.body += '}';
  }
  for (const auto& h : o.headers) r.headers.push_back(h);
  return r;
}

}  // namespace rqcheck::fake::wire
