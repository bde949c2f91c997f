// The storages of one kind (request queues, key-value stores or datasets) and who may touch
// them: ids, names, owners, general access, the per-user listing. Private to the fake; no HTTP,
// no JSON. Each storage is a std::shared_ptr<T> where T carries its own contents and
//
//   std::mutex mu;     // guards meta's mutable fields and everything else in T
//   StorageMeta meta;
//
// so callers lock one storage at a time while the directory's shared_mutex guards the maps.
// Lock order: the directory's mutex before a storage's, never the other way round.
//
//   Directory<KeyValueStore> dir(key_value_store_kind(), users, clock, /*seed=*/1);
//   auto c = dir.get_or_create(alice, "my-store");       // {storage, created}
//   auto s = dir.resolve(&bob, c->storage->meta.id, Access::kRead);  // ok: raw id,
//   FOLLOW_USER_SETTING dir.resolve(&bob, "alice~my-store", Access::kWrite).error().status == 403
//
// The access rules are today's Store::resolve (decisions 13 and 14 of the spec's section 9):
// a raw id is readable by anyone unless RESTRICTED; `username~name` and `~name` (the caller's
// own) need a token and are readable by others only with ANYONE_WITH_NAME_CAN_READ; writes only
// by the owner (else 403 insufficient-permissions); 401 token-not-provided where a token is
// needed; 404 record-not-found for what does not exist.
//
// Complexity: resolve, get_or_create, update, erase are O(log n) (a hash map by id plus ordered
// indexes by user); a list page is O(log n + page) through an order-statistics tree per user
// keyed by (created_at, created_seq), so `offset` costs no walk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

// components/schemas/common/GeneralAccess.yaml.
enum class GeneralAccess {
  kFollowUserSetting,
  kAnyoneWithIdCanRead,
  kAnyoneWithNameCanRead,
  kRestricted,
};
std::string_view to_string(GeneralAccess a);  // "FOLLOW_USER_SETTING", ...
std::optional<GeneralAccess> parse_general_access(std::string_view s);

// What every storage object of the API has in common (id, name, owner, access, timestamps).
struct StorageMeta {
  std::string id;  // 17 alphanumeric characters
  std::optional<std::string> name;
  std::string user_id, username;
  GeneralAccess general_access = GeneralAccess::kFollowUserSetting;
  TimeMs created_at = 0, modified_at = 0, accessed_at = 0;
  std::int64_t created_seq = 0;  // orders storages created in the same millisecond

  // Every call that reaches a storage sets accessedAt; a change of contents or of the storage
  // itself also sets modifiedAt (as today's queues do).
  void touch(TimeMs now, bool modified) {
    accessed_at = now;
    if (modified) modified_at = now;
  }
};

// The words a directory uses in its messages.
struct StorageKind {
  std::string noun;       // "key-value store", as in "this key-value store"
  std::string not_found;  // the 404 message, e.g. "Key-value store was not found."
};
StorageKind request_queue_kind();
StorageKind key_value_store_kind();
StorageKind dataset_kind();

// Names: 1..63 of [a-zA-Z0-9-], not starting or ending with '-' (today's check_queue_name;
// spec section 1: at most 63 characters, the DNS-safe rule of actor names). 400
// invalid-parameter otherwise, the message naming the kind.
Status check_storage_name(const StorageKind& kind, std::string_view name);

enum class Access { kRead, kWrite };

// List storages (GET /v2/{kind}): paginationParameters.yaml offset/limit/desc/unnamed and
// the ownership filter of StorageOwnership.yaml.
struct StorageListQuery {
  std::int64_t offset = 0;
  std::optional<std::int64_t> limit;  // default and maximum 1000; 0 means the default
  bool desc = false;
  bool unnamed = false;                  // false: named storages only
  std::optional<std::string> ownership;  // ownedByMe | sharedWithMe
};
inline constexpr std::int64_t kStorageListMaxLimit = 1000;

template <typename T>
struct StoragePage {
  std::vector<std::shared_ptr<T>> items;  // lock each one's mu to read it
  std::int64_t total = 0, offset = 0, limit = 0, count = 0;
  bool desc = false, unnamed = false;
};

// A listing's answer (GET /v2/{kind}): the page's paging fields and each storage's info, read
// under that storage's own lock. Page is the answer type (QueuesPage, KvStoresPage, ...);
// info(const T&) makes one item.
template <typename Page, typename T, typename Info>
Page answer_page(const StoragePage<T>& listed, Info&& info) {
  Page page;
  page.total = listed.total;
  page.offset = listed.offset;
  page.limit = listed.limit;
  page.desc = listed.desc;
  page.items.reserve(listed.items.size());
  for (const auto& s : listed.items) {
    std::lock_guard l(s->mu);
    page.items.push_back(info(*s));
  }
  page.count = static_cast<std::int64_t>(page.items.size());
  return page;
}

template <typename T>
struct Created {
  std::shared_ptr<T> storage;
  bool created = false;  // false: a storage of that name existed (200, not 201)
};

// PUT /v2/{kind}/{id} (UpdateStoreRequest.yaml / UpdateDatasetRequest.yaml): each field is
// changed only when present; name nullopt-in-optional clears the name.
struct StorageUpdate {
  std::optional<std::optional<std::string>> name;
  std::optional<GeneralAccess> general_access;
};

// A page of storages as the dashboard lists them: each storage's info, by (user id, creation).
template <typename Info>
struct StoragesPage {
  std::vector<Info> items;
  bool more = false;       // storages are left after the last item
  std::int64_t total = 0;  // storages of every user
};

template <typename T>
class Directory {
 public:
  // `seed` drives the ids of new storages (the same seed gives the same ids in the same order).
  Directory(StorageKind kind, const Users& users, const Clock& clock, std::uint64_t seed)
      : kind_(std::move(kind)), users_(users), clock_(clock), ids_(seed) {}
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  const StorageKind& kind() const { return kind_; }
  const Clock& clock() const { return clock_; }

  // Finds the storage a call names: a raw id, "username~name" or "~name". `caller` is null for
  // calls without a token.
  Result<std::shared_ptr<T>> resolve(const User* caller, std::string_view ref,
                                     Access access) const {
    std::shared_ptr<T> s;
    bool by_name = false;
    auto tilde = ref.find('~');
    if (tilde == std::string_view::npos) {
      std::shared_lock lock(mu_);
      auto it = by_id_.find(std::string(ref));
      if (it != by_id_.end()) s = it->second;
    } else {
      by_name = true;
      if (!caller) return errors::token_not_provided();
      std::string_view owner_name = ref.substr(0, tilde), name = ref.substr(tilde + 1);
      std::string owner_id;
      if (owner_name.empty()) {
        owner_id = caller->id;
      } else {
        auto owner = users_.by_username(owner_name);
        if (!owner) return errors::record_not_found(kind_.not_found);
        owner_id = owner->id;
      }
      std::shared_lock lock(mu_);
      auto n = names_.find({owner_id, std::string(name)});
      if (n != names_.end()) s = n->second;
    }
    if (!s) return errors::record_not_found(kind_.not_found);
    if (access == Access::kWrite && !caller) return errors::token_not_provided();
    bool owner = caller && caller->id == s->meta.user_id;  // user_id never changes
    if (!owner) {
      if (access == Access::kWrite) {
        return errors::insufficient_permissions("You do not have permission to modify this " +
                                                kind_.noun + " (it belongs to another user).");
      }
      std::lock_guard sl(s->mu);
      GeneralAccess a = s->meta.general_access;
      if (a == GeneralAccess::kRestricted ||
          (by_name && a != GeneralAccess::kAnyoneWithNameCanRead)) {
        if (!caller) return errors::token_not_provided();
        return errors::insufficient_permissions("You do not have permission to read this " +
                                                kind_.noun + ".");
      }
    }
    return s;
  }

  // POST /v2/{kind}?name=: a named storage is created once per owner (201), then found (200,
  // its accessedAt set); without a name a new unnamed storage every time.
  Result<Created<T>> get_or_create(const User& owner, std::optional<std::string> name) {
    if (name) {
      if (auto ok = check_storage_name(kind_, *name); !ok) return ok.error();
    }
    TimeMs now = clock_.now_ms();
    std::unique_lock lock(mu_);
    if (name) {
      auto n = names_.find({owner.id, *name});
      if (n != names_.end()) {
        std::lock_guard sl(n->second->mu);
        n->second->meta.touch(now, false);
        return Created<T>{n->second, false};
      }
    }
    auto s = std::make_shared<T>();
    StorageMeta& m = s->meta;
    do {
      m.id = ids_.next();
    } while (by_id_.count(m.id));
    m.name = std::move(name);
    m.user_id = owner.id;
    m.username = owner.username;
    m.created_at = m.modified_at = m.accessed_at = now;
    m.created_seq = next_seq_++;
    insert_locked(s);
    return Created<T>{s, true};
  }

  // Under both locks, before a change: a storage's own check (rate-limit charging); an error
  // refuses the call and changes nothing.
  using Check = std::function<Status(T&)>;

  // Renames (400 name-not-unique when the owner has another storage of that name) and sets the
  // general access; only the owner may. Sets modifiedAt.
  Result<std::shared_ptr<T>> update(const User& caller, std::string_view ref,
                                    const StorageUpdate& u, const Check& check = {}) {
    if (u.name && *u.name) {
      if (auto ok = check_storage_name(kind_, **u.name); !ok) return ok.error();
    }
    auto s = resolve(&caller, ref, Access::kWrite);
    if (!s) return s.error();
    TimeMs now = clock_.now_ms();
    std::unique_lock lock(mu_);
    if (!present_locked(*s)) return errors::record_not_found(kind_.not_found);
    std::lock_guard sl((*s)->mu);
    if (check) {
      if (auto ok = check(**s); !ok) return ok.error();
    }
    StorageMeta& m = (*s)->meta;
    if (u.name && *u.name != m.name) {
      if (*u.name && names_.count({m.user_id, **u.name})) {
        return errors::name_not_unique(**u.name, kind_.noun);
      }
      UserIndex& ix = index_[m.user_id];
      Key key{m.created_at, m.created_seq};
      if (m.name) {
        names_.erase({m.user_id, *m.name});
        ix.named.erase(key);
      }
      m.name = *u.name;
      if (m.name) {
        names_.emplace(std::make_pair(m.user_id, *m.name), *s);
        ix.named.insert({key, *s});
      }
    }
    if (u.general_access) m.general_access = *u.general_access;
    m.touch(now, true);
    return *s;
  }

  // DELETE /v2/{kind}/{id}: only the owner may. Returns the storage taken out (callers that
  // hold it may still read it; it is no longer reachable).
  Result<std::shared_ptr<T>> erase(const User& caller, std::string_view ref,
                                   const Check& check = {}) {
    auto s = resolve(&caller, ref, Access::kWrite);
    if (!s) return s.error();
    std::unique_lock lock(mu_);
    if (!present_locked(*s)) return errors::record_not_found(kind_.not_found);
    std::lock_guard sl((*s)->mu);  // the name may change under both locks only
    if (check) {
      if (auto ok = check(**s); !ok) return ok.error();
    }
    erase_locked(*s);
    return *s;
  }

  // GET /v2/{kind}: the owner's storages by (createdAt, creation order), ascending or with desc
  // descending (offset counts from the newest then); only named ones unless `unnamed`.
  // `sharedWithMe` lists nothing: the fake has no sharing between users.
  Result<StoragePage<T>> list(const User& owner, const StorageListQuery& q) const {
    if (q.offset < 0) {
      return errors::invalid_parameter("Parameter \"offset\" must be a non-negative integer.");
    }
    if (q.limit && *q.limit < 0) {
      return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
    }
    if (q.ownership && *q.ownership != "ownedByMe" && *q.ownership != "sharedWithMe") {
      return errors::invalid_parameter(
          "Parameter \"ownership\" must be ownedByMe or sharedWithMe.");
    }
    StoragePage<T> page;
    page.offset = q.offset;
    page.limit =
        q.limit && *q.limit > 0 ? std::min(*q.limit, kStorageListMaxLimit) : kStorageListMaxLimit;
    page.desc = q.desc;
    page.unnamed = q.unnamed;
    if (q.ownership && *q.ownership == "sharedWithMe") return page;
    std::shared_lock lock(mu_);
    auto ix = index_.find(owner.id);
    if (ix == index_.end()) return page;
    const Tree& tree = q.unnamed ? ix->second.all : ix->second.named;
    page.total = static_cast<std::int64_t>(tree.size());
    std::int64_t n = std::max<std::int64_t>(0, std::min(page.limit, page.total - q.offset));
    page.items.reserve(static_cast<std::size_t>(n));
    if (n > 0) {
      if (!q.desc) {
        auto it = tree.find_by_order(static_cast<std::size_t>(q.offset));
        for (std::int64_t i = 0; i < n; ++i, ++it) page.items.push_back(it->second);
      } else {
        auto it = tree.find_by_order(static_cast<std::size_t>(page.total - 1 - q.offset));
        for (std::int64_t i = 0; i < n; ++i, --it) page.items.push_back(it->second);
      }
    }
    page.count = static_cast<std::int64_t>(page.items.size());
    return page;
  }

  std::size_t count() const {
    std::shared_lock lock(mu_);
    return by_id_.size();
  }

  // The storage with this raw id, or null; no access rules (the admin API's inspection reads).
  std::shared_ptr<T> find(std::string_view id) const {
    std::shared_lock lock(mu_);
    auto it = by_id_.find(std::string(id));
    return it == by_id_.end() ? nullptr : it->second;
  }

  // A page of every storage, or of one user's, ordered by (user id, created_at, created_seq),
  // starting after `after` when given: the dashboard's listing. O(log n + page).
  struct ScanPosition {
    std::string user_id;
    TimeMs created_at = 0;
    std::int64_t created_seq = 0;
  };
  struct ScanPage {
    std::vector<std::shared_ptr<T>> items;  // lock each one's mu to read its mutable fields
    bool more = false;                      // storages are left after the last item
    std::size_t total = 0;                  // storages of every user
  };
  // The same page with each storage as `info_of(storage)` gives it, read under the storage's own
  // mutex (the dashboard's lists of key-value stores and datasets).
  template <typename Info, typename InfoOf>
  StoragesPage<Info> scan_infos(const std::optional<std::string>& user_id,
                                const std::optional<ScanPosition>& after, std::size_t limit,
                                InfoOf info_of) const {
    ScanPage picked = scan(user_id, after, limit);
    StoragesPage<Info> out;
    out.total = static_cast<std::int64_t>(picked.total);
    out.more = picked.more;
    out.items.reserve(picked.items.size());
    for (const auto& s : picked.items) {
      std::lock_guard storage_lock(s->mu);
      out.items.push_back(info_of(*s));
    }
    return out;
  }

  ScanPage scan(const std::optional<std::string>& user_id, const std::optional<ScanPosition>& after,
                std::size_t limit) const {
    ScanPage page;
    std::shared_lock lock(mu_);
    page.total = by_id_.size();
    auto uit = index_.begin(), uend = index_.end();
    if (user_id) {
      uit = index_.find(*user_id);
      uend = uit == index_.end() ? uit : std::next(uit);
    } else if (after) {
      uit = index_.lower_bound(after->user_id);
    }
    for (; uit != uend; ++uit) {
      if (after && uit->first < after->user_id) continue;  // the cursor is past this user
      const Tree& tree = uit->second.all;
      auto it = after && uit->first == after->user_id
                    ? tree.upper_bound(Key{after->created_at, after->created_seq})
                    : tree.begin();
      for (; it != tree.end(); ++it) {
        if (page.items.size() >= limit) {
          page.more = true;
          return page;
        }
        page.items.push_back(it->second);
      }
    }
    return page;
  }

  // Every storage, by (created_at, created_seq): for snapshots and persistence. O(n log n).
  std::vector<std::shared_ptr<T>> all() const {
    std::vector<std::pair<Key, std::shared_ptr<T>>> keyed;
    {
      std::shared_lock lock(mu_);
      keyed.reserve(by_id_.size());
      for (const auto& [uid, ix] : index_) {
        for (const auto& [k, s] : ix.all) keyed.emplace_back(k, s);
      }
    }
    std::sort(keyed.begin(), keyed.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::shared_ptr<T>> out;
    out.reserve(keyed.size());
    for (auto& [k, s] : keyed) out.push_back(std::move(s));
    return out;
  }

  // New ids are drawn from this seed from now on (persistence: a restarted fake).
  void reseed(std::uint64_t seed) {
    std::unique_lock lock(mu_);
    ids_ = IdSequence(seed);
  }

  // Drops every storage (admin reset). Users stay.
  void clear() {
    std::unique_lock lock(mu_);
    by_id_.clear();
    names_.clear();
    index_.clear();
  }

  // Puts back a storage with the meta it carries (snapshot import, persistence reload): its id
  // must be a free 17-character id, its name valid and free for its owner, its owner named.
  // Later creations draw sequence numbers after the largest restored one.
  Status restore(std::shared_ptr<T> s) {
    if (!s) return errors::invalid_input("Invalid input: no storage to restore.");
    const StorageMeta& m = s->meta;
    if (!is_apify_id(m.id)) {
      return errors::invalid_input("Invalid input: a restored " + kind_.noun +
                                   " needs a 17-character alphanumeric id (got \"" + m.id + "\").");
    }
    if (m.user_id.empty()) {
      return errors::invalid_input("Invalid input: a restored " + kind_.noun + " needs a userId.");
    }
    if (m.name) {
      if (auto ok = check_storage_name(kind_, *m.name); !ok) return ok.error();
    }
    std::unique_lock lock(mu_);
    if (by_id_.count(m.id)) {
      return errors::invalid_input("Invalid input: two " + kind_.noun + "s with the id \"" + m.id +
                                   "\".");
    }
    if (m.name && names_.count({m.user_id, *m.name})) {
      return errors::name_not_unique(*m.name, kind_.noun);
    }
    if (m.created_seq >= next_seq_) next_seq_ = m.created_seq + 1;
    insert_locked(std::move(s));
    return Ok{};
  }

 private:
  using Key = std::pair<TimeMs, std::int64_t>;  // (created_at, created_seq)
  using Tree = __gnu_pbds::tree<Key, std::shared_ptr<T>, std::less<Key>, __gnu_pbds::rb_tree_tag,
                                __gnu_pbds::tree_order_statistics_node_update>;
  struct UserIndex {
    Tree all;    // every storage of the user
    Tree named;  // the named ones (the default listing)
  };

  bool present_locked(const std::shared_ptr<T>& s) const {
    auto it = by_id_.find(s->meta.id);
    return it != by_id_.end() && it->second == s;
  }
  void insert_locked(std::shared_ptr<T> s) {
    const StorageMeta& m = s->meta;
    Key key{m.created_at, m.created_seq};
    UserIndex& ix = index_[m.user_id];
    ix.all.insert({key, s});
    if (m.name) {
      ix.named.insert({key, s});
      names_.emplace(std::make_pair(m.user_id, *m.name), s);
    }
    by_id_.emplace(m.id, std::move(s));
  }
  // The caller holds mu_ and the storage's mutex.
  void erase_locked(const std::shared_ptr<T>& s) {
    const StorageMeta& m = s->meta;
    Key key{m.created_at, m.created_seq};
    auto ix = index_.find(m.user_id);
    if (ix != index_.end()) {
      ix->second.all.erase(key);
      ix->second.named.erase(key);
      if (ix->second.all.empty()) index_.erase(ix);
    }
    if (m.name) names_.erase({m.user_id, *m.name});
    by_id_.erase(m.id);
  }

  StorageKind kind_;
  const Users& users_;
  const Clock& clock_;
  mutable std::shared_mutex mu_;  // guards everything below; each storage has its own mutex
  std::unordered_map<std::string, std::shared_ptr<T>> by_id_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<T>> names_;  // (user id, name)
  std::map<std::string, UserIndex> index_;  // by user id, ordered for scan()
  IdSequence ids_;
  std::int64_t next_seq_ = 0;
};

}  // namespace rqcheck::fake
