#include "rqcheck/core/operations.h"

#include <string>

#include "near_names.h"
#include "rqcheck/core/percent.h"

namespace rqcheck {

namespace {

using O = Operation;
using R = RateClass;
using B = BodyKind;
using S = Storage;

constexpr std::string_view kQ = "/v2/request-queues/{queueId}";
constexpr std::string_view kR = "/v2/request-queues/{queueId}/requests/{requestId}";
constexpr std::string_view kK = "/v2/key-value-stores/{storeId}";
constexpr std::string_view kKr = "/v2/key-value-stores/{storeId}/records/{recordKey}";
constexpr std::string_view kD = "/v2/datasets/{datasetId}";
constexpr std::string_view kDi = "/v2/datasets/{datasetId}/items";

// Rate classes of the other storages: the platform documents 60/s per resource for everything
// but request-queue operations (spec 1.2); so do we.
constexpr std::array<OperationInfo, kAllOperationCount> kTable = {{
    // Request queues: spec section 3 rows 1-17, statuses and rate classes of section 1.2.
    {O::kQueuesGet, "requestQueues_get", "list_queues", "GET", "/v2/request-queues", 200, B::kNone,
     R::kOther, S::kRequestQueue, false, "offset,limit,desc,unnamed,ownership"},
    {O::kQueuesPost, "requestQueues_post", "create_queue", "POST", "/v2/request-queues", 201,
     B::kNone, R::kOther, S::kRequestQueue, false, "name"},
    {O::kQueueGet, "requestQueue_get", "get_queue", "GET", kQ, 200, B::kNone, R::kOther,
     S::kRequestQueue, true, ""},
    {O::kQueuePut, "requestQueue_put", "update_queue", "PUT", kQ, 200, B::kJson, R::kOther,
     S::kRequestQueue, false, ""},
    {O::kQueueDelete, "requestQueue_delete", "delete_queue", "DELETE", kQ, 204, B::kNone, R::kOther,
     S::kRequestQueue, false, ""},
    {O::kRequestsPost, "requestQueue_requests_post", "add", "POST",
     "/v2/request-queues/{queueId}/requests", 201, B::kJson, R::kSingleRequest, S::kRequestQueue,
     false, "clientKey,forefront"},
    {O::kRequestsGet, "requestQueue_requests_get", "list", "GET",
     "/v2/request-queues/{queueId}/requests", 200, B::kNone, R::kOther, S::kRequestQueue, true,
     "clientKey,exclusiveStartId,limit,cursor,filter"},
    {O::kRequestsBatchPost, "requestQueue_requests_batch_post", "batch_add", "POST",
     "/v2/request-queues/{queueId}/requests/batch", 201, B::kJson, R::kBatch, S::kRequestQueue,
     false, "clientKey,forefront"},
    {O::kRequestsBatchDelete, "requestQueue_requests_batch_delete", "batch_delete", "DELETE",
     "/v2/request-queues/{queueId}/requests/batch", 200, B::kJson, R::kBatch, S::kRequestQueue,
     false, "clientKey"},
    {O::kRequestGet, "requestQueue_request_get", "get", "GET", kR, 200, B::kNone, R::kSingleRequest,
     S::kRequestQueue, true, ""},
    {O::kRequestPut, "requestQueue_request_put", "update", "PUT", kR, 200, B::kJson,
     R::kSingleRequest, S::kRequestQueue, false, "forefront,clientKey"},
    {O::kRequestDelete, "requestQueue_request_delete", "delete", "DELETE", kR, 204, B::kNone,
     R::kSingleRequest, S::kRequestQueue, false, "clientKey"},
    {O::kHeadGet, "requestQueue_head_get", "head", "GET", "/v2/request-queues/{queueId}/head", 200,
     B::kNone, R::kOther, S::kRequestQueue, true, "limit,clientKey"},
    {O::kHeadLockPost, "requestQueue_head_lock_post", "lock", "POST",
     "/v2/request-queues/{queueId}/head/lock", 201, B::kNone, R::kBatch, S::kRequestQueue, false,
     "lockSecs,limit,clientKey"},
    {O::kRequestLockPut, "requestQueue_request_lock_put", "prolong", "PUT",
     "/v2/request-queues/{queueId}/requests/{requestId}/lock", 200, B::kNone, R::kSingleRequest,
     S::kRequestQueue, false, "lockSecs,clientKey,forefront"},
    {O::kRequestLockDelete, "requestQueue_request_lock_delete", "delete_lock", "DELETE",
     "/v2/request-queues/{queueId}/requests/{requestId}/lock", 204, B::kNone, R::kSingleRequest,
     S::kRequestQueue, false, "clientKey,forefront"},
    {O::kRequestsUnlockPost, "requestQueue_requests_unlock_post", "unlock", "POST",
     "/v2/request-queues/{queueId}/requests/unlock", 200, B::kNone, R::kOther, S::kRequestQueue,
     false, "clientKey"},
    // Key-value stores (paths/key-value-stores/).
    {O::kKvStoresGet, "keyValueStores_get", "list_kv_stores", "GET", "/v2/key-value-stores", 200,
     B::kNone, R::kOther, S::kKeyValueStore, false, "offset,limit,desc,unnamed,ownership"},
    {O::kKvStoresPost, "keyValueStores_post", "create_kv_store", "POST", "/v2/key-value-stores",
     201, B::kNone, R::kOther, S::kKeyValueStore, false, "name"},
    {O::kKvStoreGet, "keyValueStore_get", "get_kv_store", "GET", kK, 200, B::kNone, R::kOther,
     S::kKeyValueStore, true, ""},
    {O::kKvStorePut, "keyValueStore_put", "update_kv_store", "PUT", kK, 200, B::kJson, R::kOther,
     S::kKeyValueStore, false, ""},
    {O::kKvStoreDelete, "keyValueStore_delete", "delete_kv_store", "DELETE", kK, 204, B::kNone,
     R::kOther, S::kKeyValueStore, false, ""},
    {O::kKvKeysGet, "keyValueStore_keys_get", "kv_keys", "GET",
     "/v2/key-value-stores/{storeId}/keys", 200, B::kNone, R::kOther, S::kKeyValueStore, true,
     "exclusiveStartKey,limit,collection,prefix,signature"},
    {O::kKvRecordsGet, "keyValueStore_records_get", "kv_records", "GET",
     "/v2/key-value-stores/{storeId}/records", 200, B::kNone, R::kOther, S::kKeyValueStore, true,
     "collection,prefix,signature"},
    {O::kKvRecordGet, "keyValueStore_record_get", "kv_get", "GET", kKr, 200, B::kNone, R::kOther,
     S::kKeyValueStore, true, "attachment,signature"},
    {O::kKvRecordHead, "keyValueStore_record_head", "kv_head", "HEAD", kKr, 200, B::kNone,
     R::kOther, S::kKeyValueStore, true, ""},
    {O::kKvRecordPut, "keyValueStore_record_put", "kv_put", "PUT", kKr, 201, B::kBytes, R::kOther,
     S::kKeyValueStore, false, ""},
    {O::kKvRecordPost, "keyValueStore_record_post", "kv_post", "POST", kKr, 201, B::kBytes,
     R::kOther, S::kKeyValueStore, false, ""},
    {O::kKvRecordDelete, "keyValueStore_record_delete", "kv_delete", "DELETE", kKr, 204, B::kNone,
     R::kOther, S::kKeyValueStore, false, ""},
    // Datasets (paths/datasets/).
    {O::kDatasetsGet, "datasets_get", "list_datasets", "GET", "/v2/datasets", 200, B::kNone,
     R::kOther, S::kDataset, false, "offset,limit,desc,unnamed,ownership"},
    {O::kDatasetsPost, "datasets_post", "create_dataset", "POST", "/v2/datasets", 201, B::kNone,
     R::kOther, S::kDataset, false, "name"},
    {O::kDatasetGet, "dataset_get", "get_dataset", "GET", kD, 200, B::kNone, R::kOther, S::kDataset,
     true, ""},
    {O::kDatasetPut, "dataset_put", "update_dataset", "PUT", kD, 200, B::kJson, R::kOther,
     S::kDataset, false, ""},
    {O::kDatasetDelete, "dataset_delete", "delete_dataset", "DELETE", kD, 204, B::kNone, R::kOther,
     S::kDataset, false, ""},
    {O::kDatasetItemsGet, "dataset_items_get", "items", "GET", kDi, 200, B::kNone, R::kOther,
     S::kDataset, true,
     "format,clean,offset,limit,fields,outputFields,omit,unwind,flatten,desc,attachment,delimiter,"
     "bom,xmlRoot,xmlRow,skipHeaderRow,skipHidden,skipEmpty,simplified,view,skipFailedPages,"
     "feedTitle,feedDescription,signature"},
    {O::kDatasetItemsHead, "dataset_items_head", "items_head", "HEAD", kDi, 200, B::kNone,
     R::kOther, S::kDataset, true,
     "format,clean,offset,limit,fields,outputFields,omit,unwind,flatten,desc,attachment,delimiter,"
     "bom,xmlRoot,xmlRow,skipHeaderRow,skipHidden,skipEmpty,simplified,view,skipFailedPages,"
     "feedTitle,feedDescription,signature"},
    {O::kDatasetItemsPost, "dataset_items_post", "push_items", "POST", kDi, 201, B::kJson,
     R::kOther, S::kDataset, false, ""},
    {O::kDatasetStatisticsGet, "dataset_statistics_get", "dataset_statistics", "GET",
     "/v2/datasets/{datasetId}/statistics", 200, B::kNone, R::kOther, S::kDataset, true, ""},
    // Users (paths/users/).
    {O::kUserMeGet, "users_me_get", "user_me", "GET", "/v2/users/me", 200, B::kNone, R::kOther,
     S::kUser, false, ""},
    {O::kUserGet, "user_get", "user", "GET", "/v2/users/{userId}", 200, B::kNone, R::kOther,
     S::kUser, true, ""},
}};

// Calls `f` with each documented query parameter of `op` (the table's list, then the two that
// every operation takes).
template <typename F>
void for_each_query_param(Operation op, const F& f) {
  std::string_view list = operation_info(op).query;
  while (!list.empty()) {
    auto comma = list.find(',');
    f(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  f("token");
  f("method");
}

// The request-queue rows, a prefix of the table.
std::array<OperationInfo, kOperationCount> make_queue_rows() {
  std::array<OperationInfo, kOperationCount> out{};
  std::copy(kTable.begin(), kTable.begin() + kOperationCount, out.begin());
  return out;
}

// Top-level resources of the Apify API (openapi.yaml paths) that rqcheck does not emulate:
// their paths answer 501 instead of 404, so a client sees at once that the fake lacks them.
constexpr std::string_view kNotEmulatedRoots[] = {
    "actor-builds", "actor-runs",         "actor-tasks", "actors", "acts",  "logs",
    "schedules",    "webhook-dispatches", "webhooks",    "store",  "tools",
};

// Iterates the non-empty '/'-separated segments of a path without allocating.
class Segments {
 public:
  explicit Segments(std::string_view path) : rest_(path) {}
  bool next(std::string_view& out) {
    while (!rest_.empty() && rest_.front() == '/') rest_.remove_prefix(1);
    if (rest_.empty()) return false;
    std::size_t j = rest_.find('/');
    out = rest_.substr(0, j);
    rest_ = j == std::string_view::npos ? std::string_view{} : rest_.substr(j);
    return true;
  }

 private:
  std::string_view rest_;
};

constexpr std::size_t kMaxSegments = 8;

struct Split {
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  bool too_long = false;
};

Split split(std::string_view path) {
  Split s;
  Segments seg(path);
  std::string_view part;
  while (seg.next(part)) {
    if (s.n == kMaxSegments) {
      s.too_long = true;
      break;
    }
    s.parts[s.n++] = part;
  }
  return s;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{'; }

// A template's segments, split once.
struct Pattern {
  Split split;
};

const std::array<Pattern, kAllOperationCount>& patterns() {
  static const std::array<Pattern, kAllOperationCount> p = [] {
    std::array<Pattern, kAllOperationCount> out{};
    for (std::size_t i = 0; i < kAllOperationCount; ++i) out[i].split = split(kTable[i].path);
    return out;
  }();
  return p;
}

// Whether path segments `got` fit template `want`. A literal segment of the template beats a
// parameter: "/requests/batch" is batch, not request "batch" (the API's ids are never "batch",
// "unlock" or "lock").
bool fits(const Split& want, const Split& got) {
  if (want.n != got.n) return false;
  for (std::size_t i = 0; i < want.n; ++i) {
    if (is_param(want.parts[i])) {
      if (got.parts[i].empty()) return false;
    } else if (want.parts[i] != got.parts[i]) {
      return false;
    }
  }
  return true;
}

// How specific a template is: the number of literal segments (more wins).
std::size_t literals(const Split& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.n; ++i) n += is_param(s.parts[i]) ? 0 : 1;
  return n;
}

}  // namespace

const std::array<OperationInfo, kOperationCount>& request_queue_operations() {
  static const std::array<OperationInfo, kOperationCount> rows = make_queue_rows();
  return rows;
}

const std::array<OperationInfo, kAllOperationCount>& all_operations() { return kTable; }

const OperationInfo& operation_info(Operation op) { return kTable[static_cast<std::size_t>(op)]; }

std::optional<Operation> operation_from_id(std::string_view id) {
  for (const auto& info : kTable) {
    if (info.id == id) return info.op;
  }
  return std::nullopt;
}

std::optional<Operation> operation_from_alias(std::string_view name) {
  for (const auto& info : kTable) {
    if (info.id == name || info.alias == name) return info.op;
  }
  return std::nullopt;
}

RouteMatch match_route(std::string_view method, std::string_view path) {
  RouteMatch m;
  // Only the path: a query or fragment is not part of it.
  path = path.substr(0, path.find_first_of("?#"));
  Split got = split(path);
  if (got.too_long || got.n < 2 || got.parts[0] != "v2") return m;
  for (std::string_view root : kNotEmulatedRoots) {
    if (got.parts[1] == root) {
      m.kind = RouteMatch::kNotImplemented;
      return m;
    }
  }
  if (got.parts[1] == "users" && got.n > 3) {  // /v2/users/me/limits, /usage/monthly
    m.kind = RouteMatch::kNotImplemented;
    return m;
  }
  const auto& pats = patterns();
  // The most specific template that fits; among its operations, the method.
  std::size_t best = 0;
  bool found = false;
  for (std::size_t i = 0; i < kAllOperationCount; ++i) {
    if (!fits(pats[i].split, got)) continue;
    std::size_t lit = literals(pats[i].split);
    if (!found || lit > best) best = lit, found = true;
  }
  if (!found) return m;
  const OperationInfo* exact = nullptr;
  const OperationInfo* get = nullptr;
  bool head_op = false;
  std::size_t allowed_n = 0;
  std::array<std::string_view, 6> allowed{};
  for (std::size_t i = 0; i < kAllOperationCount; ++i) {
    if (!fits(pats[i].split, got) || literals(pats[i].split) != best) continue;
    const OperationInfo& info = kTable[i];
    if (info.method == method) exact = &info;
    if (info.method == "GET") get = &info;
    if (info.method == "HEAD") head_op = true;
    if (allowed_n < allowed.size()) allowed[allowed_n++] = info.method;
  }
  const OperationInfo* chosen = exact;
  if (!chosen && method == "HEAD" && !head_op) chosen = get;
  if (!chosen) {
    m.kind = RouteMatch::kMethodNotAllowed;
    m.allowed = "OPTIONS";
    for (std::size_t i = 0; i < allowed_n; ++i) {
      m.allowed += ',';
      m.allowed += allowed[i];
    }
    return m;
  }
  m.kind = RouteMatch::kOperation;
  m.op = chosen->op;
  const Split& want = pats[static_cast<std::size_t>(chosen->op)].split;
  std::size_t k = 0;
  for (std::size_t i = 0; i < want.n && k < m.params.size(); ++i) {
    if (is_param(want.parts[i])) m.params[k++] = percent_decode(got.parts[i]);
  }
  return m;
}

std::string build_path(Operation op, std::string_view p1, std::string_view p2) {
  std::string_view tpl = operation_info(op).path;
  std::string out;
  out.reserve(tpl.size() + p1.size() + p2.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < tpl.size();) {
    if (tpl[i] == '{') {
      std::size_t close = tpl.find('}', i);
      append_percent_encoded(out, k == 0 ? p1 : p2);
      ++k;
      i = close + 1;
    } else {
      out += tpl[i++];
    }
  }
  return out;
}

bool is_documented_query_param(Operation op, std::string_view name) {
  bool found = false;
  for_each_query_param(op, [&](std::string_view p) { found = found || p == name; });
  return found;
}

bool is_api_query_param(std::string_view name) {
  for (const OperationInfo& info : kTable) {
    if (is_documented_query_param(info.op, name)) return true;
  }
  return false;
}

std::optional<std::string_view> closest_query_param(Operation op, std::string_view name) {
  if (is_documented_query_param(op, name)) return std::nullopt;
  detail::NearName near(name);
  for_each_query_param(op, [&](std::string_view p) { near.offer(p); });
  return near.best();
}

}  // namespace rqcheck
