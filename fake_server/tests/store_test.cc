// Direct tests of rqcheck::fake::Store with a ManualClock: the store semantics of spec sections 4
// and 6 and the contract decisions of section 9 (each test names the decision it pins; the map is
// in DECISIONS.md beside this file). The store takes typed values (Caller, RequestDraft,
// RequestKey, WriteOptions, ListQuery) and hands stored requests to a sink; the request-shape
// rules it no longer sees (uniqueKey required, batch sizes, clientKey, lockSecs, limits, cursors)
// are tested where they live: core/tests/requests_test.cc and wire_test.cc.
#include "rqcheck/fake_server/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "snapshot.h"
#include "wire.h"

namespace rqcheck::fake {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

// A request as a client sends it, as JSON: uniqueKey and url (the key unless given).
Json Body(const std::string& unique_key, const std::string& url = "") {
  return Json{{"uniqueKey", unique_key}, {"url", url.empty() ? unique_key : url}};
}

// The same request, typed.
RequestDraft Req(const std::string& unique_key, const std::string& url = "") {
  RequestDraft d;
  d.unique_key = unique_key;
  d.url = url.empty() ? unique_key : url;
  return d;
}

// A request with more fields (userData, method, handledAt, ...), through the parse the wire layer
// runs on every body (core/requests.h).
RequestDraft Draft(const Json& body) {
  Violations v;
  auto d = request_draft_from_json(body, "", v);
  EXPECT_TRUE(d) << body.dump() << ": " << d.error().message;
  return d ? *d : RequestDraft{};
}

std::vector<RequestDraft> Reqs(std::initializer_list<std::string> keys) {
  std::vector<RequestDraft> out;
  for (const auto& k : keys) out.push_back(Req(k));
  return out;
}

RequestKey ByKey(const std::string& unique_key) { return RequestKey{std::nullopt, unique_key}; }
RequestKey ById(const std::string& id) { return RequestKey{id, std::nullopt}; }

WriteOptions Front() { return WriteOptions{true}; }

QueueChanges Rename(std::optional<std::string> name) {
  QueueChanges c;
  c.name = std::move(name);
  return c;
}

QueueChanges Access(const std::string& general_access) {
  QueueChanges c;
  c.general_access = general_access;
  return c;
}

RateLimits NoLimits() {
  RateLimits r;
  r.enabled = false;
  return r;
}

// A stored request as the wire layer writes it (the Request object of spec section 2).
Json ViewJson(const RequestView& r) {
  std::string text;
  wire::append_request_json(text, r);
  Json j = Json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

// A sink that keeps every request it is handed.
RequestSink Collect(Json& items) {
  return [&items](const RequestView& r) { items.push_back(ViewJson(r)); };
}

// One list page: the requests handed to the sink, and where the next page starts.
struct Listed {
  Json items = Json::array();
  ListPage page;
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& item : items) out.push_back(item["id"].get<std::string>());
    return out;
  }
};

// A snapshot with its queues sorted by id.
Json SortedById(Json snap) {
  auto& qs = snap["queues"];
  std::sort(qs.begin(), qs.end(), [](const Json& a, const Json& b) { return a["id"] < b["id"]; });
  return snap;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reset(Behaviour{}); }

  void Reset(Behaviour behaviour, RateLimits limits = NoLimits()) {
    StoreOptions o;
    o.behaviour = behaviour;
    o.rate_limits = limits;
    store_ = std::make_unique<Store>(o, clock_);
    alice_ = store_->user_for_token("token-alice").value();
    bob_ = store_->user_for_token("token-bob").value();
    q_ = NewQueue(alice_);
  }

  // Callers: Alice (optionally with a clientKey), Bob, and a call without a token.
  Caller Alice(std::optional<std::string> client_key = std::nullopt) const {
    return Caller{&alice_, std::move(client_key)};
  }
  Caller Bob() const { return Caller{&bob_, std::nullopt}; }
  static Caller Anonymous() { return Caller{}; }

  QueueRef NewQueue(const User& u, std::optional<std::string> name = std::nullopt) {
    auto c = store_->create_queue(Caller{&u, std::nullopt}, std::move(name));
    EXPECT_TRUE(c) << c.error().message;
    return c ? QueueRef::by_id(c->info.id) : QueueRef{};
  }

  AddResult Add(const std::string& uk, bool forefront = false,
                std::optional<std::string> client_key = std::nullopt) {
    auto r =
        store_->add_request(Alice(std::move(client_key)), q_, Req(uk), WriteOptions{forefront});
    EXPECT_TRUE(r) << r.error().type << ": " << r.error().message;
    return r ? *r : AddResult{};
  }

  RequestQueueInfo Info(const QueueRef* q = nullptr) {
    auto r = store_->get_queue(Alice(), q ? *q : q_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : RequestQueueInfo{};
  }

  // The uniqueKeys of GET head, in order.
  std::vector<std::string> HeadKeys(std::int64_t limit = 1000) {
    auto h = store_->head(Alice(), q_, limit);
    EXPECT_TRUE(h) << h.error().message;
    std::vector<std::string> out;
    if (h) {
      for (const auto& item : h->items) out.push_back(item.unique_key);
    }
    return out;
  }

  std::vector<std::string> Lock(const std::string& client_key, std::int64_t limit,
                                double lock_secs = 60) {
    auto h = store_->head_and_lock(Alice(client_key), q_, lock_secs, limit);
    EXPECT_TRUE(h) << h.error().message;
    std::vector<std::string> out;
    if (h) {
      for (const auto& item : h->items) out.push_back(item.unique_key);
    }
    return out;
  }

  // GET request, as the wire layer writes it; null when the call fails.
  Json GetIn(Store& store, const Caller& c, const QueueRef& q, const std::string& id) {
    Json out;
    auto st = store.get_request(c, q, id, [&out](const RequestView& r) { out = ViewJson(r); });
    if (!st) return Json();
    return out;
  }

  Json Get(const std::string& uk) {
    Json j = GetIn(*store_, Alice(), q_, request_id_for(uk));
    EXPECT_FALSE(j.is_null()) << uk;
    return j;
  }

  bool Present(const std::string& uk, const QueueRef* q = nullptr) {
    return static_cast<bool>(
        store_->get_request(Alice(), q ? *q : q_, request_id_for(uk), [](const RequestView&) {}));
  }

  Json MarkHandled(const std::string& uk, const std::string& when = "2024-01-01T00:00:00.000Z") {
    Json body = Body(uk);
    body["handledAt"] = when;
    auto r = store_->update_request(Alice(), q_, request_id_for(uk), Draft(body), WriteOptions{});
    EXPECT_TRUE(r) << r.error().message;
    return r ? to_json(*r) : Json();
  }

  Listed ListIn(Store& store, const Caller& c, const QueueRef& q, const ListQuery& query) {
    Listed l;
    auto r = store.list_requests(c, q, query, Collect(l.items));
    EXPECT_TRUE(r) << r.error().type << ": " << r.error().message;
    if (r) l.page = *r;
    EXPECT_EQ(l.page.listed, static_cast<std::int64_t>(l.items.size()));
    return l;
  }

  Listed List(const ListQuery& query) { return ListIn(*store_, Alice(), q_, query); }

  // Follows next_after (what nextCursor carries) to the end; counts pages and stops after
  // `max_pages`.
  std::vector<std::string> WalkAll(std::int64_t limit, bool locked, bool pending, int* pages,
                                   int max_pages = 100000) {
    std::vector<std::string> out;
    ListQuery q;
    q.limit = limit;
    q.filter_locked = locked;
    q.filter_pending = pending;
    *pages = 0;
    while (*pages < max_pages) {
      Listed l = List(q);
      ++*pages;
      for (const auto& id : l.ids()) out.push_back(id);
      if (!l.page.next_after) break;
      q.after = *l.page.next_after;
    }
    return out;
  }

  void ExpectCounters(std::int64_t total, std::int64_t handled, std::int64_t pending) {
    RequestQueueInfo i = Info();
    EXPECT_EQ(i.total_request_count, total);
    EXPECT_EQ(i.handled_request_count, handled);
    EXPECT_EQ(i.pending_request_count, pending);
    EXPECT_EQ(i.total_request_count, i.handled_request_count + i.pending_request_count);
  }

  ManualClock clock_{kT0};
  std::unique_ptr<Store> store_;
  User alice_, bob_;
  QueueRef q_;
};

template <typename R>
void ExpectRateLimited(const R& r, const char* what) {
  ASSERT_FALSE(r) << what;
  EXPECT_EQ(r.error().status, 429) << what;
  EXPECT_EQ(r.error().type, "rate-limit-exceeded") << what;
}

// ---- the writer: keys that need escaping ------------------------------------------------------

// List pages and single requests copy plain keys without escaping them; keys that need
// escaping (quotes, backslashes, control and non-ASCII characters) must still come back intact,
// on the same page as plain ones.
TEST_F(StoreTest, ListAndGetEscapeKeysThatNeedItAndCopyPlainOnes) {
  const std::vector<std::string> keys = {
      "https://example.com/plain", "https://example.com/\"quoted\"",
      "https://example.com/back\\slash", "https://example.com/tab\there",
      "https://example.com/caf\u00e9"};
  for (const auto& k : keys) Add(k);
  auto other = store_->add_request(
      Alice(), q_, Req("https://example.com/k", "https://example.com/u\"rl"), WriteOptions{});
  ASSERT_TRUE(other) << other.error().message;
  Listed page = List(ListQuery{});
  std::map<std::string, std::string> url_of;
  for (const auto& item : page.items)
    url_of[item["uniqueKey"].get<std::string>()] = item["url"].get<std::string>();
  for (const auto& k : keys) {
    EXPECT_EQ(url_of[k], k);
    EXPECT_EQ(Get(k)["uniqueKey"], k);
  }
  EXPECT_EQ(url_of["https://example.com/k"], "https://example.com/u\"rl");
  EXPECT_EQ(Get("https://example.com/k")["url"], "https://example.com/u\"rl");
}

// ---- decision 2: id in an add body ------------------------------------------------------------
// (The refusal of an id that is not derived from the uniqueKey is a request rule:
// RequestsTest.AddBodyIdNotDerivedFromUniqueKeyIsRequestIdInvalid and the WireTest of that name.)

TEST_F(StoreTest, AddBodyIdEqualToDerivedIdIsAccepted) {
  Json body = Body("http://example.com");
  body["id"] = request_id_for("http://example.com");
  auto r = store_->add_request(Alice(), q_, Draft(body), WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->request_id, body["id"].get<std::string>());
  EXPECT_EQ(Get("http://example.com")["id"], body["id"]);
  ExpectCounters(1, 0, 1);
}

// ---- decision 3: PUT body id ------------------------------------------------------------------
// (The refusals are request rules: RequestsTest and WireTest
// UpdateBodyIdIsOptionalButMustMatchPathAndDerivedId.)

TEST_F(StoreTest, UpdateBodyIdIsOptionalButMustMatchPathAndDerivedId) {
  Add("k1");
  std::string id = request_id_for("k1");
  // Without id: fine.
  auto ok =
      store_->update_request(Alice(), q_, id, Req("k1", "http://new.example"), WriteOptions{});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(Get("k1")["url"], "http://new.example");
  // Body id equal to both: fine.
  Json with_id = Body("k1", "http://newer.example");
  with_id["id"] = id;
  ASSERT_TRUE(store_->update_request(Alice(), q_, id, Draft(with_id), WriteOptions{}));
  EXPECT_EQ(Get("k1")["url"], "http://newer.example");
  EXPECT_EQ(Get("k1")["id"], id);
  ExpectCounters(1, 0, 1);
}

// ---- decision 4: PUT upsert -------------------------------------------------------------------

TEST_F(StoreTest, UpdateOfAbsentIdInsertsWithWasAlreadyPresentFalse) {
  auto r = store_->update_request(Alice(), q_, request_id_for("new"), Req("new"), WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->request_id, request_id_for("new"));
  EXPECT_FALSE(r->was_already_present);
  EXPECT_FALSE(r->was_already_handled);
  EXPECT_EQ(Get("new")["uniqueKey"], "new");
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"new"});
  ExpectCounters(1, 0, 1);
  // Upsert of a handled request counts as handled.
  Json h = Body("new-handled");
  h["handledAt"] = "2024-01-01T00:00:00.000Z";
  ASSERT_TRUE(
      store_->update_request(Alice(), q_, request_id_for("new-handled"), Draft(h), WriteOptions{}));
  ExpectCounters(2, 1, 1);
}

// ---- decision 5: deletes of absent requests ---------------------------------------------------

TEST_F(StoreTest, DeleteOfAbsentRequestSucceeds) {
  Add("present");
  auto st = store_->delete_request(Alice(), q_, request_id_for("absent"));
  EXPECT_TRUE(st) << st.error().message;
  ExpectCounters(1, 0, 1);
}

TEST_F(StoreTest, BatchDeleteOfAbsentItemsCountsThemAsProcessed) {
  Add("present");
  auto r = store_->batch_delete(
      Alice(), q_,
      {ByKey("absent"), ById(request_id_for("present")), ById(request_id_for("absent2"))});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->processed.size(), 3u);
  EXPECT_TRUE(r->unprocessed.empty());
  EXPECT_EQ(r->processed[0].unique_key, "absent");
  EXPECT_EQ(r->processed[1].id, request_id_for("present"));
  EXPECT_EQ(r->processed[1].unique_key, "present");
  EXPECT_EQ(r->processed[2].id, request_id_for("absent2"));
  ExpectCounters(0, 0, 0);
}

TEST_F(StoreTest, DeleteAbsentIs404SwitchAnswersRecordNotFound) {
  Behaviour b;
  b.delete_absent_is_404 = true;
  Reset(b);
  auto st = store_->delete_request(Alice(), q_, request_id_for("absent"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().status, 404);
  EXPECT_EQ(st.error().type, "record-not-found");
  Add("present");
  EXPECT_TRUE(store_->delete_request(Alice(), q_, request_id_for("present")));
  ExpectCounters(0, 0, 0);
}

// ---- decision 13: another user's queue --------------------------------------------------------

TEST_F(StoreTest, OtherUsersQueueRefusesWritesButAllowsReadsByRawId) {
  Add("k");
  auto expect_403 = [](const auto& r, const char* what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().status, 403) << what;
    EXPECT_EQ(r.error().type, "insufficient-permissions") << what;
  };
  expect_403(store_->add_request(Bob(), q_, Req("bob"), WriteOptions{}), "add");
  expect_403(store_->batch_add(Bob(), q_, Reqs({"bob"}), WriteOptions{}), "batch add");
  expect_403(store_->batch_delete(Bob(), q_, {ByKey("k")}), "batch delete");
  expect_403(store_->update_request(Bob(), q_, request_id_for("k"), Req("k"), WriteOptions{}),
             "put");
  expect_403(store_->delete_request(Bob(), q_, request_id_for("k")), "delete");
  expect_403(store_->head_and_lock(Bob(), q_, 60, 1), "lock");
  expect_403(store_->unlock_requests(Bob(), q_), "unlock");
  expect_403(store_->update_queue(Bob(), q_, Rename(std::string("stolen"))), "update queue");
  expect_403(store_->delete_queue(Bob(), q_), "delete queue");
  ExpectCounters(1, 0, 1);
  EXPECT_EQ(Info().name, std::nullopt);
  // Reads by the raw id: allowed for Bob and without a token.
  for (const Caller& reader : {Bob(), Anonymous()}) {
    auto g = store_->get_queue(reader, q_);
    ASSERT_TRUE(g) << g.error().message;
    EXPECT_EQ(g->total_request_count, 1);
    Json r = GetIn(*store_, reader, q_, request_id_for("k"));
    EXPECT_EQ(r["uniqueKey"], "k");
    auto h = store_->head(reader, q_, 10);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->items.size(), 1u);
    EXPECT_EQ(ListIn(*store_, reader, q_, ListQuery{}).items.size(), 1u);
  }
}

TEST_F(StoreTest, RestrictedQueueRefusesReadsByOthers) {
  Add("k");
  ASSERT_TRUE(store_->update_queue(Alice(), q_, Access("RESTRICTED")));
  auto g = store_->get_queue(Bob(), q_);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().status, 403);
  EXPECT_EQ(g.error().type, "insufficient-permissions");
  auto r = store_->get_request(Bob(), q_, request_id_for("k"), [](const RequestView&) {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 403);
  auto l = store_->list_requests(Bob(), q_, ListQuery{}, [](const RequestView&) {});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().status, 403);
  auto h = store_->head(Bob(), q_, 1);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().status, 403);
  // Without a token: a token is needed (401).
  auto anon = store_->get_queue(Anonymous(), q_);
  ASSERT_FALSE(anon);
  EXPECT_EQ(anon.error().status, 401);
  // The owner still reads it.
  auto own = store_->get_queue(Alice(), q_);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->general_access, "RESTRICTED");
}

// ---- queue addressing: id, username~name, ~name ------------------------------------------------

TEST_F(StoreTest, QueuesAreAddressedByIdUsernameTildeNameAndTildeName) {
  QueueRef named = NewQueue(alice_, "shop");
  ASSERT_TRUE(store_->add_request(Alice(), named, Req("via-id"), WriteOptions{}));
  QueueRef by_user_name{alice_.username + "~shop"};
  QueueRef by_own_name{"~shop"};
  ASSERT_TRUE(store_->add_request(Alice(), by_user_name, Req("via-username"), WriteOptions{}));
  ASSERT_TRUE(store_->add_request(Alice(), by_own_name, Req("via-tilde"), WriteOptions{}));
  auto info = store_->get_queue(Alice(), named);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->total_request_count, 3);
  auto i2 = store_->get_queue(Alice(), by_user_name);
  ASSERT_TRUE(i2);
  EXPECT_EQ(i2->id, named.text);
  auto i3 = store_->get_queue(Alice(), by_own_name);
  ASSERT_TRUE(i3);
  EXPECT_EQ(i3->id, named.text);
  // "~shop" for Bob is Bob's own queue called shop: there is none.
  auto bob_own = store_->get_queue(Bob(), by_own_name);
  ASSERT_FALSE(bob_own);
  EXPECT_EQ(bob_own.error().status, 404);
  // A name needs a token.
  auto anon = store_->get_queue(Anonymous(), by_own_name);
  ASSERT_FALSE(anon);
  EXPECT_EQ(anon.error().status, 401);
  auto anon2 = store_->get_queue(Anonymous(), by_user_name);
  ASSERT_FALSE(anon2);
  EXPECT_EQ(anon2.error().status, 401);
  // Unknown user or name.
  auto nouser = store_->get_queue(Alice(), QueueRef{"nobody-at-all~shop"});
  ASSERT_FALSE(nouser);
  EXPECT_EQ(nouser.error().status, 404);
  auto noname = store_->get_queue(Alice(), QueueRef{alice_.username + "~other"});
  ASSERT_FALSE(noname);
  EXPECT_EQ(noname.error().status, 404);
}

TEST_F(StoreTest, OtherUsersQueueByNameIsReadableOnlyWithAnyoneWithNameCanRead) {
  QueueRef named = NewQueue(alice_, "shared");
  ASSERT_TRUE(store_->add_request(Alice(), named, Req("k"), WriteOptions{}));
  QueueRef by_name{alice_.username + "~shared"};
  auto g = store_->get_queue(Bob(), by_name);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().status, 403);
  EXPECT_EQ(g.error().type, "insufficient-permissions");
  ASSERT_TRUE(store_->update_queue(Alice(), named, Access("ANYONE_WITH_NAME_CAN_READ")));
  auto ok = store_->get_queue(Bob(), by_name);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->id, named.text);
  auto w = store_->add_request(Bob(), by_name, Req("bob"), WriteOptions{});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().status, 403);
}

TEST_F(StoreTest, CreateWithExistingNameReturnsTheQueueWithoutCreating) {
  auto a = store_->create_queue(Alice(), std::string("q-one"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->created);
  std::size_t count = store_->queue_count();
  auto b = store_->create_queue(Alice(), std::string("q-one"));
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->info.id, a->info.id);
  EXPECT_EQ(store_->queue_count(), count);
  // The same name for another user is another queue.
  auto c = store_->create_queue(Bob(), std::string("q-one"));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->created);
  EXPECT_NE(c->info.id, a->info.id);
  EXPECT_EQ(a->info.console_url.substr(a->info.console_url.size() - a->info.id.size()), a->info.id);
  // Names: 1..63 characters.
  auto too_long = store_->create_queue(Alice(), std::string(64, 'n'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().status, 400);
  EXPECT_TRUE(store_->create_queue(Alice(), std::string(63, 'n')));
}

TEST_F(StoreTest, RenameToANameInUseIsNameNotUnique) {
  QueueRef alpha = NewQueue(alice_, "alpha");
  QueueRef beta = NewQueue(alice_, "beta");
  auto r = store_->update_queue(Alice(), beta, Rename(std::string("alpha")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().type, "name-not-unique");
  EXPECT_EQ(Info(&beta).name, "beta");
  // A free name works, and the old name is free again.
  auto g = store_->update_queue(Alice(), beta, Rename(std::string("gamma")));
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->name, "gamma");
  auto again = store_->create_queue(Alice(), std::string("gamma"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->info.id, beta.text);
  auto fresh = store_->create_queue(Alice(), std::string("beta"));
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->created);
  // Renaming to null makes it unnamed and frees the name.
  auto unnamed = store_->update_queue(Alice(), alpha, Rename(std::nullopt));
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->name, std::nullopt);
  auto alpha2 = store_->create_queue(Alice(), std::string("alpha"));
  ASSERT_TRUE(alpha2);
  EXPECT_TRUE(alpha2->created);
  // Bob may use a name Alice uses.
  QueueRef bobs = NewQueue(bob_, "bobs");
  EXPECT_TRUE(store_->update_queue(Bob(), bobs, Rename(std::string("gamma"))));
}

// ---- decision 14: unknown queue or request ----------------------------------------------------

TEST_F(StoreTest, UnknownQueueOrRequestIsRecordNotFound) {
  QueueRef nowhere = QueueRef::by_id("AAAAAAAAAAAAAAAAA");
  auto expect_404 = [](const auto& r, const char* what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().status, 404) << what;
    EXPECT_EQ(r.error().type, "record-not-found") << what;
  };
  auto ignore = [](const RequestView&) {};
  expect_404(store_->get_queue(Alice(), nowhere), "get queue");
  expect_404(store_->add_request(Alice(), nowhere, Req("k"), WriteOptions{}), "add");
  expect_404(store_->list_requests(Alice(), nowhere, ListQuery{}, ignore), "list");
  expect_404(store_->head(Alice(), nowhere, 1), "head");
  expect_404(store_->delete_queue(Alice(), nowhere), "delete queue");
  expect_404(store_->get_request(Alice(), q_, request_id_for("absent"), ignore), "get request");
  expect_404(store_->prolong_lock(Alice("c"), q_, request_id_for("absent"), 60, WriteOptions{}),
             "prolong");
  expect_404(store_->delete_lock(Alice("c"), q_, request_id_for("absent"), WriteOptions{}),
             "delete lock");
  // A deleted queue is gone.
  ASSERT_TRUE(store_->delete_queue(Alice(), q_));
  expect_404(store_->get_queue(Alice(), q_), "deleted queue");
  expect_404(store_->add_request(Alice(), q_, Req("k"), WriteOptions{}), "add to deleted queue");
}

// ---- decision 19: request ids -----------------------------------------------------------------

TEST_F(StoreTest, RequestIdIsDerivedFromUniqueKeyAndStableAcrossQueues) {
  // Vectors from spec section 6.1.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"http://example.com", "8OamqXBCpPHxyH9"},
      {"http://example.com/a/b", "ZJAoqlRijenMQIn"},
      {"https://apify.com", "fvwscO2UJLdr10B"},
      {"", "47DEQpj8HBSaTIm"}};
  QueueRef other = NewQueue(alice_);
  for (const auto& [uk, id] : vectors) {
    auto a = store_->add_request(Alice(), q_, Req(uk, "http://x.example"), WriteOptions{});
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->request_id, id) << uk;
    auto b = store_->add_request(Alice(), other, Req(uk, "http://y.example"), WriteOptions{});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->request_id, id) << uk;
    Json got = GetIn(*store_, Alice(), q_, id);
    ASSERT_FALSE(got.is_null()) << uk;
    EXPECT_EQ(got["id"], id);
  }
}

// ---- decision 20: dedup by exact uniqueKey ----------------------------------------------------

TEST_F(StoreTest, DedupIsExactStringEqualityWithoutNormalisation) {
  for (const char* uk :
       {"http://example.com", "http://example.com/", "HTTP://example.com",
        "http://example.com?utm_source=x", "http://example.com#frag", " http://example.com"}) {
    AddResult r = Add(uk);
    EXPECT_FALSE(r.was_already_present) << uk;
  }
  ExpectCounters(6, 0, 6);
  EXPECT_TRUE(Add("http://example.com").was_already_present);
  EXPECT_TRUE(Add("http://example.com/").was_already_present);
  ExpectCounters(6, 0, 6);
}

// ---- decision 21: adding an existing uniqueKey ------------------------------------------------

TEST_F(StoreTest, AddOfExistingUniqueKeyReportsItAndChangesNothing) {
  Json a = Body("a", "http://a.example/1");
  a["userData"] = Json{{"v", 1}};
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(a), WriteOptions{}));
  Add("b");
  Add("c");
  Json before = Get("a");
  Json again = Body("a", "http://a.example/2");
  again["userData"] = Json{{"v", 2}};
  auto r = store_->add_request(Alice(), q_, Draft(again), Front());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id, request_id_for("a"));
  EXPECT_TRUE(r->was_already_present);
  EXPECT_FALSE(r->was_already_handled);
  EXPECT_EQ(Get("a"), before);
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"a", "b", "c"}));
  // In a batch too.
  std::vector<RequestDraft> batch;
  batch.push_back(Req("c", "http://changed"));
  batch.push_back(Req("d"));
  auto b = store_->batch_add(Alice(), q_, std::move(batch), Front());
  ASSERT_TRUE(b);
  ASSERT_EQ(b->processed.size(), 2u);
  EXPECT_TRUE(b->processed[0].was_already_present);
  EXPECT_FALSE(b->processed[1].was_already_present);
  EXPECT_EQ(Get("c")["url"], "c");
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"d", "a", "b", "c"}));
  // wasAlreadyHandled reports the stored state.
  MarkHandled("b");
  EXPECT_TRUE(Add("b").was_already_handled);
  auto bb = store_->batch_add(Alice(), q_, Reqs({"b"}), WriteOptions{});
  ASSERT_TRUE(bb);
  EXPECT_TRUE(bb->processed[0].was_already_handled);
  ExpectCounters(4, 1, 3);
}

TEST_F(StoreTest, NewRequestWithHandledAtIsStoredHandled) {
  Json h = Body("h");
  h["handledAt"] = "2024-01-01T00:00:00.000Z";
  auto r = store_->add_request(Alice(), q_, Draft(h), WriteOptions{});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->was_already_present);
  EXPECT_FALSE(r->was_already_handled);
  ExpectCounters(1, 1, 0);
  EXPECT_TRUE(HeadKeys().empty());
  EXPECT_EQ(Get("h")["handledAt"], "2024-01-01T00:00:00.000Z");
}

// ---- decision 22: PUT wasAlreadyHandled -------------------------------------------------------

TEST_F(StoreTest, UpdateWasAlreadyHandledIsTheStateBeforeTheUpdate) {
  Add("k");
  Json r1 = MarkHandled("k");
  EXPECT_EQ(r1["wasAlreadyPresent"], true);
  EXPECT_EQ(r1["wasAlreadyHandled"], false);
  Json r2 = MarkHandled("k", "2024-02-02T00:00:00.000Z");
  EXPECT_EQ(r2["wasAlreadyHandled"], true);
  auto r3 = store_->update_request(Alice(), q_, request_id_for("k"), Req("k"), WriteOptions{});
  ASSERT_TRUE(r3);
  EXPECT_TRUE(r3->was_already_handled);
  auto r4 = store_->update_request(Alice(), q_, request_id_for("k"), Req("k"), WriteOptions{});
  ASSERT_TRUE(r4);
  EXPECT_FALSE(r4->was_already_handled);
  EXPECT_TRUE(r4->was_already_present);
}

// ---- decision 23: PUT without handledAt -------------------------------------------------------

TEST_F(StoreTest, UpdateWithoutHandledAtMakesPendingAndMovesToEndOrFront) {
  Add("a");
  Add("b");
  Add("c");
  ASSERT_TRUE(store_->update_request(Alice(), q_, request_id_for("a"), Req("a"), WriteOptions{}));
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"b", "c", "a"}));
  ASSERT_TRUE(store_->update_request(Alice(), q_, request_id_for("c"), Req("c"), Front()));
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"c", "b", "a"}));
  MarkHandled("b");
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"c", "a"}));
  ExpectCounters(3, 1, 2);
  ASSERT_TRUE(store_->update_request(Alice(), q_, request_id_for("b"), Req("b"), WriteOptions{}));
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_FALSE(Get("b").contains("handledAt"));
  ExpectCounters(3, 0, 3);
}

TEST_F(StoreTest, UpdateReplacesTheStoredRequestInsteadOfMerging) {
  Json a = Body("a");
  a["userData"] = Json{{"label", "DETAIL"}};
  a["headers"] = Json{{"x", "y"}};
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(a), WriteOptions{}));
  Json upd = Body("a", "http://a.example/new");
  upd["retryCount"] = 2;
  upd["errorMessages"] = Json::array({"boom"});
  ASSERT_TRUE(store_->update_request(Alice(), q_, request_id_for("a"), Draft(upd), WriteOptions{}));
  Json got = Get("a");
  EXPECT_EQ(got["url"], "http://a.example/new");
  EXPECT_EQ(got["retryCount"], 2);
  EXPECT_EQ(got["errorMessages"], Json::array({"boom"}));
  EXPECT_FALSE(got.contains("userData"));
  EXPECT_FALSE(got.contains("headers"));
}

TEST_F(StoreTest, UpdateWithHandledAtReleasesTheLock) {
  Add("a");
  Add("b");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  MarkHandled("a");
  auto l = store_->head_and_lock(Alice("c2"), q_, 60, 25);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->items.size(), 1u);
  EXPECT_EQ(l->items[0].unique_key, "b");
  // The handled request is not locked any more: the old owner cannot prolong it.
  auto p = store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 60, WriteOptions{});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().type, "request-handled-or-locked");
  ListQuery lq;
  lq.filter_locked = true;
  EXPECT_EQ(List(lq).ids(), std::vector<std::string>{request_id_for("b")});
}

// ---- decision 24: queue order -----------------------------------------------------------------

TEST_F(StoreTest, ForefrontRequestsComeFirstNewestFirstOthersFifo) {
  Add("n1");
  Add("f1", true);
  clock_.advance_ms(5);
  Add("n2");
  Add("f2", true);
  clock_.advance_ms(5);
  Add("n3");
  Add("f3", true);
  Add("f4", true);  // same millisecond as f3: still newest first
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"f4", "f3", "f2", "f1", "n1", "n2", "n3"}));
  auto lock = Lock("c1", 25);
  EXPECT_EQ(lock, (std::vector<std::string>{"f4", "f3", "f2", "f1", "n1", "n2", "n3"}));
  // Batch add keeps the same rules.
  ASSERT_TRUE(store_->batch_add(Alice(), q_, Reqs({"b1", "b2"}), WriteOptions{}));
  ASSERT_TRUE(store_->batch_add(Alice(), q_, Reqs({"bf1", "bf2"}), Front()));
  auto keys = HeadKeys();
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[2], "b1");
  EXPECT_EQ(keys[3], "b2");
  EXPECT_TRUE((keys[0] == "bf2" && keys[1] == "bf1") || (keys[0] == "bf1" && keys[1] == "bf2"));
}

// ---- decision 25: GET head --------------------------------------------------------------------

TEST_F(StoreTest, HeadListsPendingUnlockedRequestsInQueueOrder) {
  Json a = Body("a", "http://a.example");
  a["method"] = "POST";
  a["retryCount"] = 3;
  a["userData"] = Json{{"secret", 1}};
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(a), WriteOptions{}));
  Add("b");
  Add("c");
  Add("d");
  MarkHandled("b");
  ASSERT_EQ(Lock("other", 1), std::vector<std::string>{"a"});
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(HeadKeys(1), (std::vector<std::string>{"c"}));
  ASSERT_TRUE(store_->unlock_requests(Alice("other"), q_));
  auto h = store_->head(Alice(), q_, 10);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->items.size(), 3u);
  const HeadItem& item = h->items[2];
  EXPECT_EQ(item.unique_key, "a");  // unlocked now: back at the end
  EXPECT_EQ(item.id, request_id_for("a"));
  EXPECT_EQ(item.url, "http://a.example");
  EXPECT_EQ(item.method, "POST");
  EXPECT_EQ(item.retry_count, 3);
  EXPECT_FALSE(item.lock_expires_at);
  // The head object: no userData, and queueModifiedAt/hadMultipleClients are the queue's.
  Json j = to_json(*h);
  EXPECT_FALSE(j["items"][2].contains("userData"));
  EXPECT_EQ(h->queue_modified_at, Info().modified_at);
  EXPECT_FALSE(j.contains("lockSecs"));
}

// ---- decision 26: a locked request is handed out once ------------------------------------------

TEST_F(StoreTest, HeadAndLockNeverHandsOutALockedRequestAgain) {
  for (int i = 0; i < 10; ++i) Add("k" + std::to_string(i));
  auto first = store_->head_and_lock(Alice("c1"), q_, 60, 3);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->lock_secs, 60);
  EXPECT_EQ(first->client_key, "c1");
  EXPECT_EQ(first->queue_has_locked_requests, true);
  for (const auto& item : first->items) EXPECT_EQ(item.lock_expires_at, kT0 + 60'000);
  std::set<std::string> seen;
  for (const auto& it : first->items) seen.insert(it.unique_key);
  // The same client again, then other clients: never a request already locked.
  for (const char* ck : {"c1", "c2", "c3", "c1", "c2"}) {
    for (const std::string& k : Lock(ck, 2)) EXPECT_TRUE(seen.insert(k).second) << k << " twice";
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_TRUE(Lock("c4", 25).empty());
  EXPECT_TRUE(HeadKeys().empty());
  // Not even just before the locks expire.
  clock_.advance_ms(59'999);
  EXPECT_TRUE(Lock("c4", 25).empty());
  clock_.advance_ms(1);
  EXPECT_EQ(Lock("c4", 25).size(), 10u);
}

// ---- decision 27: prolong ---------------------------------------------------------------------

TEST_F(StoreTest, ProlongLockSetsNowPlusLockSecsForTheOwner) {
  Add("a");
  Add("b");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  clock_.advance_ms(10'000);
  auto p = store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 100, WriteOptions{});
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(*p, kT0 + 10'000 + 100'000);
  clock_.advance_ms(99'999);  // kT0 + 109999: original expiry (kT0 + 60000) long past
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"b"});
  ListQuery lq;
  lq.filter_locked = true;
  EXPECT_EQ(List(lq).ids(), std::vector<std::string>{request_id_for("a")});
  clock_.advance_ms(1);
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"b", "a"}));
}

TEST_F(StoreTest, ProlongByAnotherClientIsInsufficientPermissions) {
  Add("a");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  for (std::optional<std::string> other :
       {std::optional<std::string>("c2"), std::optional<std::string>()}) {
    auto p = store_->prolong_lock(Alice(other), q_, request_id_for("a"), 100, WriteOptions{});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().status, 403);
    EXPECT_EQ(p.error().type, "insufficient-permissions");
  }
  // The lock is unchanged: it expires at the original time.
  clock_.advance_ms(60'000);
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"a"});
}

TEST_F(StoreTest, ProlongByOtherIs400SwitchAnswersRequestHandledOrLocked) {
  Behaviour b;
  b.prolong_by_other_is_400 = true;
  Reset(b);
  Add("a");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  auto p = store_->prolong_lock(Alice("c2"), q_, request_id_for("a"), 100, WriteOptions{});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().status, 400);
  EXPECT_EQ(p.error().type, "request-handled-or-locked");
  EXPECT_TRUE(store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 100, WriteOptions{}));
}

TEST_F(StoreTest, ProlongFromCurrentExpirySwitchAddsToTheCurrentExpiry) {
  Behaviour b;
  b.prolong_from_current_expiry = true;
  Reset(b);
  Add("a");
  ASSERT_EQ(Lock("c1", 1, 60), std::vector<std::string>{"a"});
  clock_.advance_ms(10'000);
  auto p = store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 100, WriteOptions{});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, kT0 + 60'000 + 100'000);
  clock_.advance_ms(140'000);  // kT0 + 150000: past now+lockSecs, before expiry+lockSecs
  EXPECT_TRUE(HeadKeys().empty());
  clock_.advance_ms(10'000);
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"a"});
}

TEST_F(StoreTest, ProlongOfAnUnlockedOrHandledRequestIsRefused) {
  Add("a");
  Add("h");
  MarkHandled("h");
  for (const char* k : {"a", "h"}) {
    auto p = store_->prolong_lock(Alice("c1"), q_, request_id_for(k), 60, WriteOptions{});
    ASSERT_FALSE(p) << k;
    EXPECT_EQ(p.error().status, 400) << k;
    EXPECT_EQ(p.error().type, "request-handled-or-locked") << k;
  }
  // Expired locks count as not locked.
  ASSERT_EQ(Lock("c1", 1, 1), std::vector<std::string>{"a"});
  clock_.advance_ms(1'000);
  auto p = store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 60, WriteOptions{});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().type, "request-handled-or-locked");
}

TEST_F(StoreTest, ProlongWithForefrontSendsTheRequestToTheFrontOnExpiry) {
  Add("a");
  Add("b");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  ASSERT_TRUE(store_->prolong_lock(Alice("c1"), q_, request_id_for("a"), 10, Front()));
  clock_.advance_ms(10'000);
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"a", "b"}));
}

// ---- decision 28: delete lock -----------------------------------------------------------------

TEST_F(StoreTest, DeleteLockByOwnerMakesThePendingAtEndOrFront) {
  Add("a");
  Add("b");
  Add("c");
  ASSERT_EQ(Lock("c1", 2), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(store_->delete_lock(Alice("c1"), q_, request_id_for("a"), WriteOptions{}));
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"c", "a"}));
  ASSERT_TRUE(store_->delete_lock(Alice("c1"), q_, request_id_for("b"), Front()));
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"b", "c", "a"}));
  // It can be locked again right away, by anyone.
  EXPECT_EQ(Lock("c2", 1), std::vector<std::string>{"b"});
}

TEST_F(StoreTest, DeleteLockOfUnlockedOrOthersRequestIsRequestHandledOrLocked) {
  Add("a");
  Add("b");
  Add("h");
  MarkHandled("h");
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"a"});
  auto expect_400 = [&](const std::string& k, std::optional<std::string> ck) {
    auto st = store_->delete_lock(Alice(std::move(ck)), q_, request_id_for(k), WriteOptions{});
    ASSERT_FALSE(st) << k;
    EXPECT_EQ(st.error().status, 400) << k;
    EXPECT_EQ(st.error().type, "request-handled-or-locked") << k;
  };
  expect_400("b", std::string("c1"));                    // not locked
  expect_400("h", std::string("c1"));                    // handled
  expect_400("a", std::string("c2"));                    // locked by another client
  expect_400("a", std::nullopt);                         // keyless caller is not the owner
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"b"});  // still locked
}

// ---- decision 29: lock expiry -----------------------------------------------------------------

TEST_F(StoreTest, ExpiredLockReturnsRequestOrderedByExpiryTimeWithRetryCountUnchanged) {
  Json a = Body("a");
  a["retryCount"] = 2;
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(a), WriteOptions{}));
  Json b = Body("b");
  b["retryCount"] = 5;
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(b), WriteOptions{}));
  Add("x");
  ASSERT_EQ(Lock("c1", 1, 60), std::vector<std::string>{"a"});  // expires kT0 + 60 s
  ASSERT_EQ(Lock("c2", 1, 10), std::vector<std::string>{"b"});  // expires kT0 + 10 s
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"x"});
  clock_.advance_ms(30'000);
  Add("c");  // added after b's expiry, before a's
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"x", "b", "c"}));
  clock_.advance_ms(70'000);
  Add("d");  // after both
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"x", "b", "c", "a", "d"}));
  EXPECT_EQ(Get("a")["retryCount"], 2);
  EXPECT_EQ(Get("b")["retryCount"], 5);
  auto h = store_->head(Alice(), q_, 10);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->items[3].retry_count, 2);
  ExpectCounters(5, 0, 5);
}

TEST_F(StoreTest, ExpiredForefrontLockGoesBeforeForefrontRequestsAddedBeforeItsExpiry) {
  Add("n1");
  Add("f1", true);
  ASSERT_EQ(Lock("c1", 1, 60), std::vector<std::string>{"f1"});
  clock_.advance_ms(30'000);
  Add("f2", true);  // before f1's expiry
  clock_.advance_ms(40'000);
  Add("f3", true);  // after f1's expiry
  EXPECT_EQ(HeadKeys(), (std::vector<std::string>{"f3", "f1", "f2", "n1"}));
}

// ---- decision 30: hadMultipleClients ----------------------------------------------------------

TEST_F(StoreTest, HadMultipleClientsTurnsTrueOnASecondClientOrKeylessCall) {
  // One client only: false.
  Add("a", false, "c1");
  Lock("c1", 1);
  ASSERT_TRUE(store_->head(Alice("c1"), q_, 10));
  EXPECT_FALSE(Info().had_multiple_clients);
  // A second client: true, and it stays true.
  Add("b", false, "c2");
  EXPECT_TRUE(Info().had_multiple_clients);
  auto h = store_->head(Alice("c1"), q_, 10);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->had_multiple_clients);
  // One keyless call alone: false; a second keyless call: true.
  QueueRef q2 = NewQueue(alice_);
  ASSERT_TRUE(store_->add_request(Alice(), q2, Req("a"), WriteOptions{}));
  EXPECT_FALSE(Info(&q2).had_multiple_clients);
  ASSERT_TRUE(store_->add_request(Alice(), q2, Req("b"), WriteOptions{}));
  EXPECT_TRUE(Info(&q2).had_multiple_clients);
  // A keyed call after a keyless one: true.
  QueueRef q3 = NewQueue(alice_);
  ASSERT_TRUE(store_->add_request(Alice(), q3, Req("a"), WriteOptions{}));
  ASSERT_TRUE(store_->head(Alice("c1"), q3, 1));
  EXPECT_TRUE(Info(&q3).had_multiple_clients);
  // A head/lock reports the flag.
  QueueRef q4 = NewQueue(alice_);
  ASSERT_TRUE(store_->add_request(Alice("c1"), q4, Req("a"), WriteOptions{}));
  auto l1 = store_->head_and_lock(Alice("c1"), q4, 60, 1);
  ASSERT_TRUE(l1);
  EXPECT_FALSE(l1->had_multiple_clients);
  auto l2 = store_->head_and_lock(Alice("c2"), q4, 60, 1);
  ASSERT_TRUE(l2);
  EXPECT_TRUE(l2->had_multiple_clients);
}

// ---- decision 31: list order and cursor -------------------------------------------------------
// (The cursor's wire form, base64url of {"requestId"}, and the echo of cursor, limit and
// exclusiveStartId in the page: WireTest.CursorIsBase64UrlOfTheLastListedRequestId.)

TEST_F(StoreTest, ListWalkReachesEveryRequestExactlyOnceAndEnds) {
  std::set<std::string> all;
  for (int i = 0; i < 2550; ++i)
    all.insert(Add("http://example.com/" + std::to_string(i)).request_id);
  int pages = 0;
  auto walked = WalkAll(100, false, false, &pages);
  EXPECT_EQ(walked.size(), all.size());
  EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()), all);
  EXPECT_EQ(pages, 26);  // 25 full pages and one of 50, which has no next page
  EXPECT_TRUE(std::is_sorted(walked.begin(), walked.end()));  // ordered by request id
  // Exactly a multiple of the limit: the last full page has no next page, no empty page after.
  for (int i = 2550; i < 2600; ++i) Add("http://example.com/" + std::to_string(i));
  walked = WalkAll(100, false, false, &pages);
  EXPECT_EQ(walked.size(), 2600u);
  EXPECT_EQ(pages, 26);
}

TEST_F(StoreTest, ListItemsAreTheFullStoredRequests) {
  Json a = Body("a", "http://a.example");
  a["userData"] = Json{{"label", "X"}};
  a["method"] = "PUT";
  a["payload"] = "p";
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(a), WriteOptions{}));
  Listed page = List(ListQuery{});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0], Get("a"));
  EXPECT_EQ(page.items[0]["userData"], a["userData"]);
  EXPECT_EQ(page.items[0]["payload"], "p");
  EXPECT_EQ(page.items[0]["method"], "PUT");
  EXPECT_FALSE(page.page.next_after);
}

TEST_F(StoreTest, RequestsAddedDuringAWalkAreNeverListedTwice) {
  for (int i = 0; i < 300; ++i) Add("k" + std::to_string(i));
  std::set<std::string> before;
  for (int i = 0; i < 300; ++i) before.insert(request_id_for("k" + std::to_string(i)));
  ListQuery q;
  q.limit = 50;
  std::vector<std::string> walked;
  int added = 0;
  for (int pages = 0; pages < 1000; ++pages) {
    Listed page = List(q);
    for (const auto& id : page.ids()) walked.push_back(id);
    for (int j = 0; j < 10; ++j) Add("new" + std::to_string(added++));
    if (!page.page.next_after) break;
    q.after = *page.page.next_after;
  }
  std::set<std::string> unique(walked.begin(), walked.end());
  EXPECT_EQ(unique.size(), walked.size()) << "a request was listed twice";
  for (const auto& id : before) EXPECT_TRUE(unique.count(id)) << id << " was never listed";
}

// ---- decision 32: filter ----------------------------------------------------------------------

TEST_F(StoreTest, FilterLockedPendingSelectsTheUnionOfStates) {
  for (int i = 0; i < 12; ++i) Add("k" + std::to_string(i));
  std::set<std::string> locked, handled, pending;
  for (const auto& k : Lock("c1", 4)) locked.insert(request_id_for(k));
  for (int i = 4; i < 7; ++i) {
    MarkHandled("k" + std::to_string(i));
    handled.insert(request_id_for("k" + std::to_string(i)));
  }
  for (int i = 7; i < 12; ++i) pending.insert(request_id_for("k" + std::to_string(i)));
  int pages = 0;
  auto as_set = [](const std::vector<std::string>& v) {
    return std::set<std::string>(v.begin(), v.end());
  };
  EXPECT_EQ(as_set(WalkAll(3, true, false, &pages)), locked);
  EXPECT_EQ(as_set(WalkAll(3, false, true, &pages)), pending);
  std::set<std::string> both = locked;
  both.insert(pending.begin(), pending.end());
  EXPECT_EQ(as_set(WalkAll(3, true, true, &pages)), both);
  EXPECT_EQ(WalkAll(100, false, false, &pages).size(), 12u);  // no filter: everything
  // After expiry the locked ones are pending.
  clock_.advance_ms(60'000);
  EXPECT_TRUE(WalkAll(3, true, false, &pages).empty());
  EXPECT_EQ(WalkAll(3, false, true, &pages).size(), 9u);
}

TEST_F(StoreTest, FilteredPageMayBeEmptyWhileNextCursorPointsAtMore) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Add("k" + std::to_string(i)).request_id);
  std::sort(ids.begin(), ids.end());
  // Lock only the request with the largest id: the earlier pages find nothing locked.
  std::string last_key;
  for (int i = 0; i < 10; ++i) {
    if (request_id_for("k" + std::to_string(i)) == ids.back()) last_key = "k" + std::to_string(i);
  }
  ASSERT_TRUE(store_->update_request(Alice(), q_, ids.back(), Req(last_key), Front()));
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{last_key});
  ListQuery q;
  q.limit = 3;
  q.filter_locked = true;
  Listed first = List(q);
  EXPECT_TRUE(first.items.empty());
  ASSERT_TRUE(first.page.next_after);
  EXPECT_EQ(*first.page.next_after, ids[2]);  // the last scanned id, not the last listed one
  int pages = 0;
  EXPECT_EQ(WalkAll(3, true, false, &pages), std::vector<std::string>{ids.back()});
  EXPECT_EQ(pages, 4);
}

// ---- decision 33: exclusiveStartId ------------------------------------------------------------
// (exclusiveStartId is a ListQuery::after; its refusal with cursor or filter is a request rule:
// WireTest.ExclusiveStartIdSkipsThroughThatIdAndRefusesCursorOrFilter.)

// The id index (src/id_index.h, a sorted table by the ids' leading characters) against a sorted
// set, through growth and shrinking that rebuild it: every stored id is found, absent ones are
// not, and a list after any string (ids, prefixes, characters outside the id alphabet, empty)
// starts exactly after it.
TEST_F(StoreTest, IdIndexAgreesWithASortedSetThroughGrowthAndShrinking) {
  std::set<std::string> want;
  std::vector<std::string> keys;
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    std::vector<std::string> probes = {"",
                                       "0",
                                       "00",
                                       "/",
                                       "9z",
                                       ":",
                                       "A",
                                       "Z[",
                                       "`",
                                       "a{",
                                       "z",
                                       "zzzz",
                                       "zzzzzzzzzzzzzzzz",
                                       "~",
                                       "\x7f",
                                       "\xff",
                                       "/zzz",
                                       ":zzz",
                                       "Z[zz",
                                       "`zzz",
                                       "a{aa"};
    std::size_t k = 0;
    for (const auto& id : want) {
      if (k++ % 97 != 0) continue;
      probes.push_back(id);
      probes.push_back(id.substr(0, 3));
      probes.push_back(id.substr(0, 14) + "~");
    }
    for (const auto& p : probes) {
      ListQuery q;
      q.limit = 3;
      q.after = p;
      std::vector<std::string> got = List(q).ids(), expected;
      for (auto it = want.upper_bound(p); it != want.end() && expected.size() < 3; ++it)
        expected.push_back(*it);
      EXPECT_EQ(got, expected) << "after \"" << p << "\"";
    }
    for (std::size_t i = 0; i < keys.size(); i += 53) {
      bool present = want.count(request_id_for(keys[i])) > 0;
      EXPECT_EQ(Present(keys[i]), present) << keys[i];
    }
  };
  for (int i = 0; i < 10000; ++i) {
    keys.push_back("https://example.com/index/" + std::to_string(i));
    Add(keys.back());
    want.insert(request_id_for(keys.back()));
    if (i == 500 || i == 2500 || i == 9999) check("growing");
  }
  for (int i = 0; i < 9800; ++i) {
    ASSERT_TRUE(store_->delete_request(Alice(), q_, request_id_for(keys[i])));
    want.erase(request_id_for(keys[i]));
    if (i == 5000 || i == 9799) check("shrinking");
  }
  EXPECT_EQ(Info().total_request_count, 200);
  // Adds and deletes interleaved while the index doubles: runs of the table shift under the
  // requests deleted and added.
  std::uint64_t r = 12345;
  std::vector<std::string> live(keys.end() - 200, keys.end());
  for (int i = 0; i < 12000; ++i) {
    keys.push_back("https://example.com/mixed/" + std::to_string(i));
    Add(keys.back());
    want.insert(request_id_for(keys.back()));
    live.push_back(keys.back());
    if (i % 3 == 2) {
      r = r * 6364136223846793005ull + 1442695040888963407ull;
      std::size_t at = static_cast<std::size_t>(r >> 33) % live.size();
      ASSERT_TRUE(store_->delete_request(Alice(), q_, request_id_for(live[at])));
      want.erase(request_id_for(live[at]));
      live[at] = live.back();
      live.pop_back();
    }
    if (i == 300 || i == 4000 || i == 11999) check("mixed");
  }
  EXPECT_EQ(Info().total_request_count, static_cast<std::int64_t>(want.size()));
}

// ---- decision 35: unnamed queues --------------------------------------------------------------

TEST_F(StoreTest, UnnamedQueuesHaveNullNameAndAreListedOnlyWithUnnamed) {
  NewQueue(alice_, "named-one");
  NewQueue(bob_, "bobs-queue");
  EXPECT_EQ(Info().name, std::nullopt);
  auto named = store_->list_queues(Alice(), QueueListOptions{});
  ASSERT_TRUE(named);
  ASSERT_EQ(named->items.size(), 1u);
  EXPECT_EQ(named->items[0].name, "named-one");
  EXPECT_EQ(named->total, 1);
  QueueListOptions o;
  o.unnamed = true;
  auto all = store_->list_queues(Alice(), o);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->total, 2);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].id, q_.text);  // created first
  EXPECT_EQ(all->items[0].name, std::nullopt);
  EXPECT_EQ(to_json(all->items[0], true)["name"], nullptr);
  o.desc = true;
  auto desc = store_->list_queues(Alice(), o);
  ASSERT_TRUE(desc);
  EXPECT_EQ(desc->items[1].id, q_.text);
  o.offset = 1;
  o.limit = 1;
  auto paged = store_->list_queues(Alice(), o);
  ASSERT_TRUE(paged);
  ASSERT_EQ(paged->items.size(), 1u);
  EXPECT_EQ(paged->items[0].id, q_.text);
  EXPECT_EQ(paged->total, 2);
}

// ---- decision 36: counters --------------------------------------------------------------------

TEST_F(StoreTest, CountersFollowEveryKindOfChange) {
  ExpectCounters(0, 0, 0);
  Add("a");
  Add("b");
  Add("c");
  ExpectCounters(3, 0, 3);
  Add("a");  // duplicate: nothing
  ExpectCounters(3, 0, 3);
  Json h = Body("h");
  h["handledAt"] = "2024-01-01T00:00:00Z";
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(h), WriteOptions{}));  // new handled
  ExpectCounters(4, 1, 3);
  MarkHandled("a");  // pending -> handled
  ExpectCounters(4, 2, 2);
  MarkHandled("a");  // handled -> handled
  ExpectCounters(4, 2, 2);
  ASSERT_TRUE(
      store_->update_request(Alice(), q_, request_id_for("a"), Req("a"), WriteOptions{}));  // back
  ExpectCounters(4, 1, 3);
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{"b"});  // locking changes no counter
  ExpectCounters(4, 1, 3);
  ASSERT_TRUE(store_->delete_request(Alice(), q_, request_id_for("h")));  // delete handled
  ExpectCounters(3, 0, 3);
  ASSERT_TRUE(store_->delete_request(Alice(), q_, request_id_for("b")));  // delete pending
  ExpectCounters(2, 0, 2);
  auto batch = store_->batch_add(Alice(), q_, Reqs({"d", "e", "c"}), WriteOptions{});
  ASSERT_TRUE(batch);
  ExpectCounters(4, 0, 4);
  MarkHandled("d");
  auto del =
      store_->batch_delete(Alice(), q_, {ByKey("d"), ById(request_id_for("e")), ByKey("zzz")});
  ASSERT_TRUE(del);
  ExpectCounters(2, 0, 2);
  // The deleted ones are gone.
  EXPECT_FALSE(Present("d"));
  EXPECT_FALSE(Present("e"));
  // Deleting a locked request released its lock ("b" was locked by c1 when it was deleted).
  ListQuery lq;
  lq.filter_locked = true;
  EXPECT_TRUE(List(lq).items.empty());
  auto l = store_->head_and_lock(Alice("c2"), q_, 60, 25);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->items.size(), 2u);
  ExpectCounters(2, 0, 2);
}

TEST_F(StoreTest, ModifiedAtMovesOnWritesAndAccessedAtOnReads) {
  clock_.advance_ms(1000);
  Add("a");
  EXPECT_EQ(Info().modified_at, kT0 + 1000);
  clock_.advance_ms(1000);
  RequestQueueInfo i = Info();
  EXPECT_EQ(i.accessed_at, kT0 + 2000);
  EXPECT_EQ(i.modified_at, kT0 + 1000);
  clock_.advance_ms(1000);
  Lock("c1", 1);
  EXPECT_EQ(Info().modified_at, kT0 + 3000);
  clock_.advance_ms(1000);
  Add("a");  // duplicate: no modification
  EXPECT_EQ(Info().modified_at, kT0 + 3000);
}

// ---- decision 37 (items in a batch) and the per-queue buckets ----------------------------------

TEST_F(StoreTest, BatchItemsOverThePerSecondBudgetAreUnprocessedAndNotStored) {
  RateLimits rl;
  rl.batch_items_per_sec = 3;
  Reset(Behaviour{}, rl);
  std::vector<RequestDraft> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(Req("k" + std::to_string(i), "http://u/" + std::to_string(i)));
  auto r = store_->batch_add(Alice(), q_, batch, WriteOptions{});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->processed.size(), 3u);
  ASSERT_EQ(r->unprocessed.size(), 2u);
  EXPECT_EQ(r->unprocessed[0].unique_key, "k3");
  EXPECT_EQ(r->unprocessed[0].url, "http://u/3");
  EXPECT_EQ(r->unprocessed[0].method, "GET");
  EXPECT_EQ(r->unprocessed[1].unique_key, "k4");
  ExpectCounters(3, 0, 3);
  EXPECT_FALSE(Present("k3"));
  // Same second: nothing more; the next second: the retry goes through.
  auto again = store_->batch_add(Alice(), q_, {batch[3], batch[4]}, WriteOptions{});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->unprocessed.size(), 2u);
  clock_.advance_ms(1000);
  auto retry = store_->batch_add(Alice(), q_, {batch[3], batch[4]}, WriteOptions{});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->processed.size(), 2u);
  EXPECT_TRUE(retry->unprocessed.empty());
  ExpectCounters(5, 0, 5);
  // Batch delete shares the budget.
  clock_.advance_ms(1000);
  std::vector<RequestKey> del;
  for (int i = 0; i < 5; ++i) del.push_back(ByKey("k" + std::to_string(i)));
  auto d = store_->batch_delete(Alice(), q_, del);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->processed.size(), 3u);
  ASSERT_EQ(d->unprocessed.size(), 2u);
  EXPECT_EQ(d->unprocessed[0]["uniqueKey"], "k3");
  EXPECT_EQ(d->unprocessed[0]["url"], "http://u/3");
  ExpectCounters(2, 0, 2);
}

TEST_F(StoreTest, UnprocessedMaskLeavesChosenItemsUntouched) {
  Add("existing");
  UnprocessedMask mask{false, true, false};
  auto r = store_->batch_add(Alice(), q_, Reqs({"a", "b", "c"}), WriteOptions{}, &mask);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->processed.size(), 2u);
  ASSERT_EQ(r->unprocessed.size(), 1u);
  EXPECT_EQ(r->unprocessed[0].unique_key, "b");
  EXPECT_FALSE(Present("b"));
  ExpectCounters(3, 0, 3);
  UnprocessedMask dmask{true, false};
  auto d = store_->batch_delete(Alice(), q_, {ByKey("existing"), ByKey("a")}, &dmask);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->unprocessed.size(), 1u);
  EXPECT_EQ(d->unprocessed[0]["uniqueKey"], "existing");
  EXPECT_TRUE(Present("existing"));
  ExpectCounters(2, 0, 2);
}

// Every operation charges its class's per-queue bucket once (Store::enter); a refused call
// changes nothing.
TEST_F(StoreTest, ChargeRefusesCallsOverThePerQueueLimitOfTheirClass) {
  RateLimits rl;
  rl.other_per_sec = 2;
  rl.batch_per_sec = 1;
  rl.single_request_per_sec = 3;
  Reset(Behaviour{}, rl);  // creating a queue charges no queue bucket
  EXPECT_EQ(store_->limit_for(Operation::kQueueGet), 2);
  EXPECT_EQ(store_->limit_for(Operation::kHeadLockPost), 1);
  EXPECT_EQ(store_->limit_for(Operation::kRequestsPost), 3);
  auto ignore = [](const RequestView&) {};
  // "Other": queue get twice, then head and list (same class) are refused.
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(store_->get_queue(Alice(), q_)) << i;
  ExpectRateLimited(store_->head(Alice(), q_, 10), "head");
  ExpectRateLimited(store_->list_requests(Alice(), q_, ListQuery{}, ignore), "list");
  ExpectRateLimited(store_->get_queue(Alice(), q_), "third queue get");
  // "Batch": one head/lock, then a batch add is refused and stores nothing.
  EXPECT_TRUE(store_->head_and_lock(Alice("c1"), q_, 60, 1));
  ExpectRateLimited(store_->batch_add(Alice(), q_, Reqs({"refused"}), WriteOptions{}), "batch add");
  // "Single request": add, put and get, then a delete is refused and deletes nothing.
  EXPECT_TRUE(store_->add_request(Alice(), q_, Req("single"), WriteOptions{}));
  EXPECT_TRUE(store_->update_request(Alice(), q_, request_id_for("single"),
                                     Req("single", "http://put.example"), WriteOptions{}));
  EXPECT_TRUE(store_->get_request(Alice(), q_, request_id_for("single"), ignore));
  ExpectRateLimited(store_->delete_request(Alice(), q_, request_id_for("single")), "delete");
  ExpectRateLimited(store_->add_request(Alice(), q_, Req("refused"), WriteOptions{}), "add");
  // Per queue: another queue has its own buckets.
  QueueRef other = NewQueue(alice_);
  EXPECT_TRUE(store_->get_queue(Alice(), other));
  EXPECT_TRUE(store_->head(Alice(), other, 1));
  // The next second: allowed again; the refused calls changed nothing.
  clock_.advance_ms(1000);
  EXPECT_TRUE(Present("single"));
  EXPECT_FALSE(Present("refused"));
  ExpectCounters(1, 0, 1);
  // Disabled: never refused.
  rl.enabled = false;
  store_->set_rate_limits(rl);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(store_->get_queue(Alice(), q_)) << i;
  EXPECT_FALSE(store_->rate_limits().enabled);
}

// The per-user minute budget is charged by every operation, queue and request ones alike.
TEST_F(StoreTest, ChargeRefusesCallsOverTheGlobalPerUserBudget) {
  RateLimits rl;
  rl.global_per_minute = 3;
  rl.other_per_sec = 0;  // no per-queue limit
  Reset(Behaviour{}, rl);
  clock_.advance_ms(60'000);  // a fresh minute: Reset's create_queue was charged to the last one
  EXPECT_TRUE(store_->list_queues(Alice(), QueueListOptions{}));
  EXPECT_TRUE(store_->get_queue(Alice(), q_));
  EXPECT_TRUE(store_->add_request(Alice(), q_, Req("a"), WriteOptions{}));
  ExpectRateLimited(store_->add_request(Alice(), q_, Req("b"), WriteOptions{}), "4th call");
  ExpectRateLimited(store_->list_queues(Alice(), QueueListOptions{}), "5th call");
  ExpectRateLimited(store_->create_queue(Alice(), std::string("refused")), "create");
  EXPECT_TRUE(store_->list_queues(Bob(), QueueListOptions{}));  // per user
  clock_.advance_ms(60'000);
  EXPECT_TRUE(Present("a"));
  EXPECT_FALSE(Present("b"));
  auto refused = store_->get_queue(Alice(), QueueRef{"~refused"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 404);  // the third call of this minute: not created
  clock_.advance_ms(60'000);
  ExpectCounters(1, 0, 1);
}

// ---- decision 39: timestamps ------------------------------------------------------------------
// (A handledAt without a timezone is refused by the body parse: RequestsTest.)

TEST_F(StoreTest, HandledAtIsReturnedAsUtcWithMilliseconds) {
  Json h = Body("h");
  h["handledAt"] = "2024-05-06T07:08:09.1+02:00";
  ASSERT_TRUE(store_->add_request(Alice(), q_, Draft(h), WriteOptions{}));
  EXPECT_EQ(Get("h")["handledAt"], "2024-05-06T05:08:09.100Z");
  EXPECT_EQ(List(ListQuery{}).items[0]["handledAt"], "2024-05-06T05:08:09.100Z");
  // Queue timestamps come from the clock.
  RequestQueueInfo i = Info();
  EXPECT_EQ(i.created_at, kT0);
  EXPECT_EQ(to_json(i)["createdAt"], "2023-11-14T22:13:20.000Z");
}

// ---- unlock -----------------------------------------------------------------------------------

TEST_F(StoreTest, UnlockReleasesOnlyTheCallersLocks) {
  for (int i = 0; i < 6; ++i) Add("k" + std::to_string(i));
  auto mine = Lock("c1", 2);
  auto theirs = Lock("c2", 2);
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_EQ(theirs.size(), 2u);
  auto n = store_->unlock_requests(Alice("c1"), q_);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  auto head = HeadKeys();
  for (const auto& k : mine) EXPECT_NE(std::find(head.begin(), head.end(), k), head.end()) << k;
  for (const auto& k : theirs) EXPECT_EQ(std::find(head.begin(), head.end(), k), head.end()) << k;
  auto again = store_->unlock_requests(Alice("c1"), q_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  auto stranger = store_->unlock_requests(Alice("c3"), q_);
  ASSERT_TRUE(stranger);
  EXPECT_EQ(*stranger, 0);
  // c2 still owns its locks.
  EXPECT_TRUE(store_->prolong_lock(Alice("c2"), q_, request_id_for(theirs[0]), 60, WriteOptions{}));
  auto theirs_n = store_->unlock_requests(Alice("c2"), q_);
  ASSERT_TRUE(theirs_n);
  EXPECT_EQ(*theirs_n, 2);
  EXPECT_EQ(HeadKeys().size(), 6u);
}

// ---- snapshot and restore ---------------------------------------------------------------------

// The request of `snap` (snapshot_json form) with this uniqueKey in the queue `queue_id`.
Json SnapshotRequest(const Json& snap, const std::string& queue_id, const std::string& uk) {
  for (const auto& q : snap["queues"]) {
    if (q["id"] != queue_id) continue;
    for (const auto& r : q["requests"]) {
      if (r["uniqueKey"] == uk) return r;
    }
  }
  return Json();
}

TEST_F(StoreTest, SnapshotRestoreRoundTripKeepsOrderAndState) {
  QueueRef named = NewQueue(alice_, "keep-me");
  ASSERT_TRUE(store_->update_queue(Alice(), named, Access("RESTRICTED")));
  Json rich = Body("r1", "http://r1.example");
  rich["userData"] = Json{{"label", "L"}, {"n", 1}};
  rich["method"] = "POST";
  rich["payload"] = Json{{"a", 1}};
  rich["retryCount"] = 4;
  ASSERT_TRUE(store_->add_request(Alice("c1"), q_, Draft(rich), WriteOptions{}));
  Add("n1", false, "c2");
  Add("f1", true);
  clock_.advance_ms(3);
  Add("n2");
  Add("f2", true);
  Add("h1");
  MarkHandled("h1", "2024-03-03T03:03:03.333Z");
  ASSERT_TRUE(store_->add_request(Alice(), named, Req("in-named"), WriteOptions{}));
  ASSERT_EQ(HeadKeys(), (std::vector<std::string>{"f2", "f1", "r1", "n1", "n2"}));
  // Locks: f2 by client c1 for 60 s, f1 by a caller without a clientKey for 30 s.
  ASSERT_EQ(Lock("c1", 1, 60), std::vector<std::string>{"f2"});
  auto keyless = store_->head_and_lock(Alice(), q_, 30, 1);
  ASSERT_TRUE(keyless);
  ASSERT_EQ(keyless->items.size(), 1u);
  ASSERT_EQ(keyless->items[0].unique_key, "f1");
  auto head_before = HeadKeys();
  ASSERT_EQ(head_before, (std::vector<std::string>{"r1", "n1", "n2"}));
  Json list_before = List(ListQuery{}).items;  // before the info: listing counts as reads
  RequestQueueInfo info_before = Info();
  ASSERT_GT(info_before.stats.read_count, 0);
  ASSERT_GT(info_before.stats.write_count, 0);
  ASSERT_GT(info_before.stats.head_item_read_count, 0);
  const TimeMs locked_at = clock_.now_ms();

  // The JSON form carries locks, their owners, forefront flags and the stats.
  Json snap = snapshot_json(SnapshotData{store_->export_queues(), {}, {}, {}});
  EXPECT_EQ(snap["format"], kSnapshotFormat);
  Json f2 = SnapshotRequest(snap, q_.text, "f2");
  EXPECT_EQ(f2["__forefront"], true);
  EXPECT_EQ(f2["__lockExpiresAt"], format_iso8601(locked_at + 60'000));
  EXPECT_EQ(f2["__lockClientKey"], "c1");
  Json f1 = SnapshotRequest(snap, q_.text, "f1");
  EXPECT_EQ(f1["__forefront"], true);
  EXPECT_EQ(f1["__lockExpiresAt"], format_iso8601(locked_at + 30'000));
  EXPECT_TRUE(f1.contains("__lockClientKey") && f1["__lockClientKey"].is_null()) << f1.dump();
  EXPECT_FALSE(SnapshotRequest(snap, q_.text, "r1").contains("__lockExpiresAt"));
  EXPECT_EQ(SnapshotRequest(snap, q_.text, "h1")["handledAt"], "2024-03-03T03:03:03.333Z");
  for (const auto& q : snap["queues"]) {
    if (q["id"] == q_.text) {
      EXPECT_EQ(q["stats"]["readCount"], info_before.stats.read_count);
      EXPECT_EQ(q["stats"]["writeCount"], info_before.stats.write_count);
      EXPECT_EQ(q["stats"]["headItemReadCount"], info_before.stats.head_item_read_count);
    }
  }

  // Restored 10 s later into another store: the locks still hold.
  ManualClock clock2(locked_at + 10'000);
  StoreOptions o;
  o.rate_limits = NoLimits();
  Store restored(o, clock2);
  User alice2 = restored.user_for_token("token-alice").value();
  ASSERT_EQ(alice2.id, alice_.id);
  Caller me{&alice2, std::nullopt};
  auto images = parse_snapshot(Json{{"data", snap}});  // GET's wrapper is accepted as is
  ASSERT_TRUE(images) << images.error().message;
  auto st = restored.import_queues(std::move(images->queues));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(restored.queue_count(), store_->queue_count());
  EXPECT_EQ(SortedById(snapshot_json(SnapshotData{restored.export_queues(), {}, {}, {}})),
            SortedById(snap));

  auto info_after = restored.get_queue(me, q_);
  ASSERT_TRUE(info_after);
  EXPECT_EQ(info_after->total_request_count, info_before.total_request_count);
  EXPECT_EQ(info_after->handled_request_count, info_before.handled_request_count);
  EXPECT_EQ(info_after->pending_request_count, info_before.pending_request_count);
  EXPECT_EQ(info_after->had_multiple_clients, info_before.had_multiple_clients);
  EXPECT_EQ(info_after->created_at, info_before.created_at);
  EXPECT_EQ(info_after->user_id, alice_.id);
  EXPECT_EQ(info_after->stats.read_count, info_before.stats.read_count);
  EXPECT_EQ(info_after->stats.write_count, info_before.stats.write_count);
  EXPECT_EQ(info_after->stats.delete_count, info_before.stats.delete_count);
  EXPECT_EQ(info_after->stats.head_item_read_count, info_before.stats.head_item_read_count);
  auto head_after = [&]() {
    std::vector<std::string> out;
    auto h = restored.head(me, q_, 100);
    EXPECT_TRUE(h);
    if (h) {
      for (const auto& it : h->items) out.push_back(it.unique_key);
    }
    return out;
  };
  EXPECT_EQ(head_after(), head_before);
  EXPECT_EQ(ListIn(restored, me, q_, ListQuery{}).items, list_before);
  // The locks keep their owners: c1 owns f2, the keyless caller owns f1.
  Caller c1{&alice2, "c1"}, c2{&alice2, "c2"};
  auto p_other = restored.prolong_lock(c2, q_, request_id_for("f2"), 60, WriteOptions{});
  ASSERT_FALSE(p_other);
  EXPECT_EQ(p_other.error().status, 403);
  auto d_other = restored.delete_lock(c1, q_, request_id_for("f1"), WriteOptions{});
  ASSERT_FALSE(d_other);
  EXPECT_EQ(d_other.error().type, "request-handled-or-locked");
  auto p_owner = restored.prolong_lock(c1, q_, request_id_for("f2"), 60, Front());
  ASSERT_TRUE(p_owner) << p_owner.error().message;
  EXPECT_EQ(*p_owner, locked_at + 10'000 + 60'000);
  // f1's lock expires 30 s after it was taken; as a forefront request it goes to the front.
  clock2.advance_ms(20'000);
  EXPECT_EQ(head_after(), (std::vector<std::string>{"f1", "r1", "n1", "n2"}));
  // The named queue keeps its name and access.
  auto by_name = restored.get_queue(me, QueueRef{"~keep-me"});
  ASSERT_TRUE(by_name) << by_name.error().message;
  EXPECT_EQ(by_name->id, named.text);
  EXPECT_EQ(by_name->general_access, "RESTRICTED");
  EXPECT_EQ(by_name->total_request_count, 1);
  // A forefront request added after the restore still goes first; a normal one last.
  ASSERT_TRUE(restored.add_request(me, q_, Req("f3"), Front()));
  ASSERT_TRUE(restored.add_request(me, q_, Req("n3"), WriteOptions{}));
  auto h2 = head_after();
  ASSERT_FALSE(h2.empty());
  EXPECT_EQ(h2.front(), "f3");
  EXPECT_EQ(h2.back(), "n3");
}

TEST_F(StoreTest, RestoreOfAnInvalidSnapshotChangesNothing) {
  Add("a");
  const std::size_t queues = store_->queue_count();
  // The JSON form: each of these is refused by parse_snapshot.
  const std::string v2(kSnapshotFormat);
  for (Json bad :
       {Json::object(), Json{{"format", "other/1"}, {"queues", Json::array()}},
        Json{{"format", v2}, {"queues", Json::object()}},
        Json{{"format", v2}, {"queues", Json::array({Json{{"name", "x"}}})}},
        Json{{"format", v2},
             {"queues", Json::array({Json{{"id", "AAAAAAAAAAAAAAAAA"},
                                          {"userId", alice_.id},
                                          {"requests", Json::array({Json{{"url", "x"}}})}}})}},
        Json{{"format", v2},
             {"queues",
              Json::array({Json{{"id", "AAAAAAAAAAAAAAAAA"},
                                {"userId", alice_.id},
                                {"requests", Json::array({Json{{"uniqueKey", "k"},
                                                               {"url", "k"},
                                                               {"__lockExpiresAt", "soon"}}})}}})}},
        Json{{"format", v2},
             {"queues", Json::array({Json{{"id", "AAAAAAAAAAAAAAAAA"},
                                          {"userId", alice_.id},
                                          {"stats", Json{{"readCount", -1}}}}})}}}) {
    auto images = parse_snapshot(bad);
    ASSERT_FALSE(images) << bad.dump();
    EXPECT_EQ(images.error().status, 400) << bad.dump();
  }
  // Typed images: the store refuses the whole import when one queue is wrong.
  auto good = [&](const std::string& id) {
    QueueImage img;
    img.info.id = id;
    img.info.user_id = alice_.id;
    StoredRequest r;
    r.id = request_id_for("k");
    r.draft = Req("k");
    img.requests.push_back(r);
    return img;
  };
  std::vector<std::vector<QueueImage>> bad_imports;
  bad_imports.push_back({good("BBBBBBBBBBBBBBBBB"), good("short")});              // bad id
  bad_imports.push_back({good("BBBBBBBBBBBBBBBBB"), good("BBBBBBBBBBBBBBBBB")});  // twice
  {
    auto wrong_id = good("CCCCCCCCCCCCCCCCC");
    wrong_id.requests[0].id = request_id_for("not-k");
    bad_imports.push_back({good("BBBBBBBBBBBBBBBBB"), wrong_id});
  }
  {
    auto a = good("BBBBBBBBBBBBBBBBB"), b = good("CCCCCCCCCCCCCCCCC");
    a.info.name = b.info.name = std::string("same-name");
    bad_imports.push_back({a, b});
  }
  for (auto& images : bad_imports) {
    auto st = store_->import_queues(images);
    ASSERT_FALSE(st) << images.back().info.id;
    EXPECT_EQ(st.error().status, 400);
  }
  EXPECT_EQ(store_->queue_count(), queues);
  EXPECT_FALSE(store_->get_queue(Alice(), QueueRef::by_id("BBBBBBBBBBBBBBBBB")));
  ExpectCounters(1, 0, 1);
}

// Found by fuzz/targets/store_restore.cc (on the Store::restore of before the snapshot layer): a
// field of the wrong type made Json::value() throw (an escaping exception: a 500 on
// PUT /__admin/store). parse_snapshot type-checks every field.
TEST_F(StoreTest, RestoreRefusesFieldsOfTheWrongTypeWithoutThrowing) {
  Add("a");
  Json queue = {{"id", "AAAAAAAAAAAAAAAAA"}, {"userId", alice_.id}};
  std::vector<Json> bad = {Json{{"format", Json::array()}, {"queues", Json::array()}}};
  for (const char* key : {"username", "generalAccess", "createdAt", "modifiedAt", "accessedAt"}) {
    Json q = queue;
    q[key] = Json::array({1});
    bad.push_back(Json{{"format", "rqcheck-store-snapshot/1"}, {"queues", Json::array({q})}});
  }
  Json q = queue;
  q["hadMultipleClients"] = "yes";
  bad.push_back(Json{{"format", "rqcheck-store-snapshot/1"}, {"queues", Json::array({q})}});
  q = queue;
  q["requests"] = Json::array({Json{{"uniqueKey", "u"}, {"url", "u"}, {"__forefront", 1}}});
  bad.push_back(Json{{"format", "rqcheck-store-snapshot/1"}, {"queues", Json::array({q})}});
  for (const Json& b : bad) {
    Result<SnapshotData> images = SnapshotData{};
    ASSERT_NO_THROW(images = parse_snapshot(b)) << b.dump();
    ASSERT_FALSE(images) << b.dump();
    EXPECT_EQ(images.error().status, 400) << b.dump();
  }
  ExpectCounters(1, 0, 1);
}

TEST_F(StoreTest, ResetDropsQueuesButKeepsUsers) {
  Add("a");
  ASSERT_GE(store_->queue_count(), 1u);
  store_->reset();
  EXPECT_EQ(store_->queue_count(), 0u);
  auto g = store_->get_queue(Alice(), q_);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().status, 404);
  auto u = store_->user_for_token("token-alice");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->id, alice_.id);
}

// ---- users ------------------------------------------------------------------------------------

TEST_F(StoreTest, TokensAreUsersAndFixedUsersRefuseUnknownTokens) {
  EXPECT_NE(alice_.id, bob_.id);
  EXPECT_TRUE(is_apify_id(alice_.id)) << alice_.id;
  auto again = store_->user_for_token("token-alice");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, alice_.id);
  auto empty = store_->user_for_token("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().status, 401);
  EXPECT_EQ(empty.error().type, "token-not-provided");
  store_->set_fixed_users({User{"", "carol", "token-carol"}});
  auto carol = store_->user_for_token("token-carol");
  ASSERT_TRUE(carol) << carol.error().message;
  EXPECT_EQ(carol->username, "carol");
  EXPECT_TRUE(is_apify_id(carol->id));
  auto by_id = store_->user_by_id(carol->id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "carol");
  auto unknown = store_->user_for_token("token-alice");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().status, 401);
  EXPECT_EQ(unknown.error().type, "user-or-token-not-found");
}

}  // namespace
}  // namespace rqcheck::fake
