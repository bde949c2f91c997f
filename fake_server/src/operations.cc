#include "operations.h"

#include <array>

#include "rqcheck/core/errors.h"
#include "wire.h"

namespace rqcheck::fake {

namespace {

using O = Operation;

Outcome ok(int status) {
  Outcome o;
  o.status = status;
  return o;
}

Outcome no_content() {
  Outcome o = ok(204);
  o.no_body = true;
  return o;
}

template <typename T, typename Set>
Outcome from(Result<T>&& r, int status, Set&& set) {
  if (!r) return Outcome::failure(r.error());
  Outcome o = ok(status);
  set(o, std::move(*r));
  return o;
}

Outcome from(Status&& st) { return st ? no_content() : Outcome::failure(st.error()); }

// A batch add or delete: the items a partial-batch fault picked go to unprocessedRequests.
const UnprocessedMask* partial_mask(const Call& c) {
  return c.fault.is(FaultKind::kPartialBatch) ? &c.fault.unprocessed : nullptr;
}

// (1) .. (17), spec section 3.
Outcome queues_get(Store& s, Call& c) {
  return from(s.list_queues(c.caller(), c.args.queues), 200,
              [](Outcome& o, QueuesPage&& p) { o.queues = std::move(p); });
}

Outcome queues_post(Store& s, Call& c) {
  auto r = s.create_queue(c.caller(), c.args.name);
  if (!r) return Outcome::failure(r.error());
  Outcome o = ok(r->created ? 201 : 200);
  if (r->created) {
    o.headers.emplace_back("Location", "https://api.apify.com/v2/request-queues/" + r->info.id);
  }
  o.queue = std::move(r->info);
  return o;
}

Outcome queue_get(Store& s, Call& c) {
  return from(s.get_queue(c.caller(), c.queue_ref()), 200,
              [](Outcome& o, RequestQueueInfo&& q) { o.queue = std::move(q); });
}

Outcome queue_put(Store& s, Call& c) {
  return from(s.update_queue(c.caller(), c.queue_ref(), c.args.changes), 200,
              [](Outcome& o, RequestQueueInfo&& q) { o.queue = std::move(q); });
}

Outcome queue_delete(Store& s, Call& c) { return from(s.delete_queue(c.caller(), c.queue_ref())); }

Outcome requests_post(Store& s, Call& c) {
  return from(
      s.add_request(c.caller(), c.queue_ref(), std::move(c.args.drafts.at(0)), c.args.write), 201,
      [](Outcome& o, AddResult&& a) { o.add = std::move(a); });
}

Outcome requests_get(Store& s, Call& c) {
  Outcome o = ok(200);
  wire::begin_list_page(o.data_text);
  auto page = s.list_requests(
      c.caller(), c.queue_ref(), c.args.list,
      wire::request_writer(o.data_text, static_cast<std::size_t>(c.args.list.limit)));
  if (!page) return Outcome::failure(page.error());
  o.page = *page;
  wire::finish_list_page(o.data_text, c, o.page);
  return o;
}

Outcome batch_post(Store& s, Call& c) {
  return from(s.batch_add(c.caller(), c.queue_ref(), std::move(c.args.drafts), c.args.write,
                          partial_mask(c)),
              201, [](Outcome& o, BatchAddResult&& b) { o.batch_add = std::move(b); });
}

Outcome batch_delete(Store& s, Call& c) {
  return from(s.batch_delete(c.caller(), c.queue_ref(), c.args.keys, partial_mask(c)), 200,
              [](Outcome& o, BatchDeleteResult&& b) { o.batch_delete = std::move(b); });
}

Outcome request_get(Store& s, Call& c) {
  Outcome o = ok(200);
  o.data_text = "{\"data\":";
  auto st = s.get_request(c.caller(), c.queue_ref(), c.params[1], [&o](const RequestView& r) {
    wire::append_request_json(o.data_text, r);
  });
  if (!st) return Outcome::failure(st.error());
  o.data_text += '}';
  return o;
}

Outcome request_put(Store& s, Call& c) {
  return from(s.update_request(c.caller(), c.queue_ref(), c.params[1],
                               std::move(c.args.drafts.at(0)), c.args.write),
              200, [](Outcome& o, AddResult&& a) { o.add = std::move(a); });
}

Outcome request_delete(Store& s, Call& c) {
  return from(s.delete_request(c.caller(), c.queue_ref(), c.params[1]));
}

Outcome head_get(Store& s, Call& c) {
  return from(s.head(c.caller(), c.queue_ref(), c.args.limit), 200,
              [](Outcome& o, Head&& h) { o.head = std::move(h); });
}

Outcome head_lock(Store& s, Call& c) {
  return from(s.head_and_lock(c.caller(), c.queue_ref(), c.args.lock_secs, c.args.limit), 201,
              [](Outcome& o, Head&& h) { o.head = std::move(h); });
}

Outcome lock_put(Store& s, Call& c) {
  return from(
      s.prolong_lock(c.caller(), c.queue_ref(), c.params[1], c.args.lock_secs, c.args.write), 200,
      [](Outcome& o, TimeMs t) { o.lock_expires_at = t; });
}

Outcome lock_delete(Store& s, Call& c) {
  return from(s.delete_lock(c.caller(), c.queue_ref(), c.params[1], c.args.write));
}

Outcome unlock_post(Store& s, Call& c) {
  return from(s.unlock_requests(c.caller(), c.queue_ref()), 200,
              [](Outcome& o, std::int64_t n) { o.unlocked_count = n; });
}

using OperationFn = Outcome (*)(Store&, Call&);

// Indexed by Operation; the request-queue rows in spec order.
constexpr std::array<OperationFn, kOperationCount> kRequestQueueOps = {
    queues_get,   queues_post, queue_get,    queue_put,   queue_delete, requests_post,
    requests_get, batch_post,  batch_delete, request_get, request_put,  request_delete,
    head_get,     head_lock,   lock_put,     lock_delete, unlock_post,
};

}  // namespace

Outcome run_operation(Store& store, Call& call) {
  auto i = static_cast<std::size_t>(call.op);
  if (i < kRequestQueueOps.size()) return kRequestQueueOps[i](store, call);
  return Outcome::failure(errors::not_implemented(
      "rq-fake does not serve " + std::string(operation_info(call.op).id) + " yet."));
}

}  // namespace rqcheck::fake
