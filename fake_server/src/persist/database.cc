#include "database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "rqcheck/core/errors.h"

namespace rqcheck::fake::persist {

std::uint64_t& current_ticket() {
  thread_local std::uint64_t ticket = 0;
  return ticket;
}

namespace {

ApiError failure(const std::string& msg) { return errors::internal_server_error(msg); }

const char* kSchema = R"(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE users(id TEXT PRIMARY KEY, username TEXT NOT NULL, created_at INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE storages(kind INTEGER NOT NULL, id TEXT NOT NULL, name TEXT, user_id TEXT NOT NULL,
  username TEXT NOT NULL, access INTEGER NOT NULL, created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL, accessed_at INTEGER NOT NULL, created_seq INTEGER NOT NULL,
  counters TEXT NOT NULL, client TEXT, PRIMARY KEY(kind, id)) WITHOUT ROWID;
CREATE TABLE requests(row INTEGER PRIMARY KEY, queue_id TEXT NOT NULL, id TEXT NOT NULL,
  unique_key TEXT NOT NULL,
  url TEXT, method INTEGER NOT NULL, retry_count INTEGER NOT NULL, extra TEXT NOT NULL,
  handled_at INTEGER, order_t INTEGER NOT NULL, order_seq INTEGER NOT NULL,
  forefront INTEGER NOT NULL, lock_expires INTEGER, lock_seq INTEGER NOT NULL,
  lock_client TEXT NOT NULL);
CREATE INDEX requests_by_queue ON requests(queue_id, row);
CREATE TABLE records(store_id TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
  content_type TEXT NOT NULL, PRIMARY KEY(store_id, key));
CREATE TABLE items(dataset_id TEXT NOT NULL, idx INTEGER NOT NULL, json TEXT NOT NULL,
  clean INTEGER NOT NULL, PRIMARY KEY(dataset_id, idx));
)";

// A prepared statement, reset after each use.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s); }
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v)
    bind_text(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}
void bind_opt(sqlite3_stmt* s, int i, const std::optional<std::int64_t>& v) {
  if (v)
    sqlite3_bind_int64(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}

std::string counters_text(const std::vector<std::int64_t>& c) {
  std::string out;
  for (std::int64_t v : c) {
    if (!out.empty()) out += ' ';
    out += std::to_string(v);
  }
  return out;
}

// A column as text (bounded by SQLite's own length), "" for NULL.
std::string col_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  int n = sqlite3_column_bytes(s, i);
  return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
}
std::optional<std::string> col_opt_text(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return col_text(s, i);
}
std::optional<std::int64_t> col_opt_int(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

Result<std::vector<std::int64_t>> parse_counters(std::string_view text) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos < text.size() && out.size() < 64) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end) {
      return failure("a storage's counters are not a list of integers");
    }
    out.push_back(v);
    pos = end + 1;
  }
  return out;
}

}  // namespace

struct Database::Statements {
  Stmt begin, commit, rollback, put_storage, drop_storage, drop_requests, drop_records, drop_items,
      put_request, drop_request, put_record, drop_record, put_item, put_user, put_meta;
};

Status Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path_ + ": " + (err ? err : sqlite3_errmsg(db_));
    sqlite3_free(err);
    return failure(msg);
  }
  return Ok{};
}

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& o) {
  std::unique_ptr<Database> db(new Database());
  db->dir_ = o.dir;
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) return failure("cannot create the data directory " + o.dir + ": " + ec.message());
  std::string lock_path = (std::filesystem::path(o.dir) / kLockFile).string();
  db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db->lock_fd_ < 0) {
    return failure("cannot open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return failure("the data directory " + o.dir + " is in use by another rq-fake (" + lock_path +
                     " is locked); stop it or pass another --data-dir");
    }
    return failure("cannot lock " + lock_path + ": " + std::strerror(errno));
  }
  db->path_ = (std::filesystem::path(o.dir) / kDatabaseFile).string();
  bool existed = std::filesystem::exists(db->path_, ec);
  if (sqlite3_open_v2(db->path_.c_str(), &db->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    return failure("cannot open " + db->path_ + ": " +
                   (db->db_ ? sqlite3_errmsg(db->db_) : "out of memory"));
  }
  sqlite3_extended_result_codes(db->db_, 1);
  auto refuse = [&](const std::string& why) {
    return failure(db->path_ + " " + why + "; rq-fake will not start on it (move it away to " +
                   "start empty, or pass another --data-dir)");
  };
  // The first read of the file: a file that is not a database fails here.
  int version = 0;
  bool has_meta = false, has_tables = false;
  {
    Stmt q;
    if (sqlite3_prepare_v2(db->db_, "SELECT name FROM sqlite_master WHERE type='table'", -1, &q.s,
                           nullptr) != SQLITE_OK) {
      return refuse(std::string("is not an rq-fake database (") + sqlite3_errmsg(db->db_) + ")");
    }
    int rc;
    while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
      has_tables = true;
      if (col_text(q.s, 0) == "meta") has_meta = true;
    }
    if (rc != SQLITE_DONE) {
      return refuse(std::string("is not an rq-fake database (") + sqlite3_errmsg(db->db_) + ")");
    }
  }
  if (has_tables && !has_meta) return refuse("is an SQLite database but not rq-fake's");
  if (existed && !has_tables) {
    std::uintmax_t size = std::filesystem::file_size(db->path_, ec);
    if (!ec && size > 0) return refuse("has no tables (truncated or not rq-fake's)");
  }
  if (o.integrity_check && has_tables) {
    Stmt q;
    std::string verdict;
    if (sqlite3_prepare_v2(db->db_, "PRAGMA quick_check(1)", -1, &q.s, nullptr) == SQLITE_OK &&
        sqlite3_step(q.s) == SQLITE_ROW) {
      verdict = col_text(q.s, 0);
    } else {
      verdict = sqlite3_errmsg(db->db_);
    }
    if (verdict != "ok") return refuse("fails its integrity check (" + verdict + ")");
  }
  if (auto st = db->exec("PRAGMA journal_mode=WAL"); !st) return refuse("cannot use WAL mode");
  if (auto st = db->exec(o.sync == SyncMode::kFull ? "PRAGMA synchronous=FULL"
                                                   : "PRAGMA synchronous=NORMAL");
      !st)
    return st.error();
  // Request ids are hashes, so inserts land all over the requests tree: a page cache of 64 MiB
  // (the default is 2 MiB) keeps a 1,000,000-request queue's inner pages in memory.
  if (auto st = db->exec("PRAGMA cache_size=-65536"); !st) return st.error();
  if (!has_tables) {
    if (auto st = db->exec("BEGIN"); !st) return st.error();
    if (auto st = db->exec(kSchema); !st) return st.error();
    std::string meta = "INSERT INTO meta(key, value) VALUES('format', '" +
                       std::to_string(kFormatVersion) + "'), ('boot', '0')";
    if (auto st = db->exec(meta.c_str()); !st) return st.error();
    if (auto st = db->exec("COMMIT"); !st) return st.error();
  }
  {
    Stmt q;
    if (sqlite3_prepare_v2(db->db_, "SELECT key, value FROM meta", -1, &q.s, nullptr) !=
        SQLITE_OK) {
      return refuse(std::string("has an unreadable meta table (") + sqlite3_errmsg(db->db_) + ")");
    }
    bool has_format = false;
    while (sqlite3_step(q.s) == SQLITE_ROW) {
      std::string k = col_text(q.s, 0), v = col_text(q.s, 1);
      long long n = 0;
      auto [p, e] = std::from_chars(v.data(), v.data() + v.size(), n);
      bool num = e == std::errc() && p == v.data() + v.size();
      if (k == "format") {
        has_format = true;
        version = num ? static_cast<int>(n) : -1;
        if (!num) return refuse("has a format version that is not a number (\"" + v + "\")");
      } else if (k == "boot" && num) {
        db->boot_ = static_cast<std::uint64_t>(n);
      } else if (k == "clock" && num) {
        db->saved_clock_ = n;
      }
    }
    if (!has_format) return refuse("has no format version");
    if (version != kFormatVersion) {
      return refuse("has format version " + std::to_string(version) + "; this rq-fake reads " +
                    "version " + std::to_string(kFormatVersion) + " only");
    }
  }
  db->boot_ += 1;
  std::string boot =
      "INSERT OR REPLACE INTO meta(key, value) VALUES('boot', '" + std::to_string(db->boot_) + "')";
  if (auto st = db->exec(boot.c_str()); !st) return st.error();

  db->st_ = std::make_unique<Statements>();
  Statements& s = *db->st_;
  struct {
    Stmt* stmt;
    const char* sql;
  } prepared[] = {
      {&s.begin, "BEGIN"},
      {&s.commit, "COMMIT"},
      {&s.rollback, "ROLLBACK"},
      {&s.put_storage,
       "INSERT OR REPLACE INTO storages(kind, id, name, user_id, username, access, created_at, "
       "modified_at, accessed_at, created_seq, counters, client) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
      {&s.drop_storage, "DELETE FROM storages WHERE kind = ?1 AND id = ?2"},
      {&s.drop_requests, "DELETE FROM requests WHERE queue_id = ?1"},
      {&s.drop_records, "DELETE FROM records WHERE store_id = ?1"},
      {&s.drop_items, "DELETE FROM items WHERE dataset_id = ?1"},
      {&s.put_request,
       "INSERT OR REPLACE INTO requests(queue_id, id, unique_key, url, method, retry_count, "
       "extra, handled_at, order_t, order_seq, forefront, lock_expires, lock_seq, lock_client, "
       "row) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"},
      {&s.drop_request, "DELETE FROM requests WHERE row = ?1"},
      {&s.put_record,
       "INSERT OR REPLACE INTO records(store_id, key, value, content_type) "
       "VALUES(?1, ?2, ?3, ?4)"},
      {&s.drop_record, "DELETE FROM records WHERE store_id = ?1 AND key = ?2"},
      {&s.put_item,
       "INSERT OR REPLACE INTO items(dataset_id, idx, json, clean) VALUES(?1, ?2, ?3, ?4)"},
      {&s.put_user, "INSERT OR REPLACE INTO users(id, username, created_at) VALUES(?1, ?2, ?3)"},
      {&s.put_meta, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)"},
  };
  for (auto& p : prepared) {
    if (sqlite3_prepare_v2(db->db_, p.sql, -1, &p.stmt->s, nullptr) != SQLITE_OK) {
      return refuse(std::string("does not have the tables of format ") +
                    std::to_string(kFormatVersion) + " (" + sqlite3_errmsg(db->db_) + ")");
    }
  }
  return db;
}

Database::~Database() {
  stop();
  st_.reset();
  if (db_) sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status Database::load(Loader& loader) {
  auto fail = [&](const std::string& what) {
    return failure(path_ + ": " + what + "; rq-fake will not start on it");
  };
  auto query = [&](const char* sql, auto&& on_row) -> Status {
    Stmt q;
    if (sqlite3_prepare_v2(db_, sql, -1, &q.s, nullptr) != SQLITE_OK) {
      return fail(std::string("cannot read (") + sqlite3_errmsg(db_) + ")");
    }
    int rc;
    while ((rc = sqlite3_step(q.s)) == SQLITE_ROW) {
      if (auto st = on_row(q.s); !st) return fail(st.error().message);
    }
    if (rc != SQLITE_DONE) return fail(std::string("cannot read (") + sqlite3_errmsg(db_) + ")");
    return Ok{};
  };
  auto st = query("SELECT id, username, created_at FROM users", [&](sqlite3_stmt* q) {
    User u;
    u.id = col_text(q, 0);
    u.username = col_text(q, 1);
    u.created_at = sqlite3_column_int64(q, 2);
    return loader.user(std::move(u));
  });
  if (!st) return st;
  st = query(
      "SELECT kind, id, name, user_id, username, access, created_at, modified_at, accessed_at, "
      "created_seq, counters, client FROM storages",
      [&](sqlite3_stmt* q) -> Status {
        StorageRow r;
        std::int64_t kind = sqlite3_column_int64(q, 0), access = sqlite3_column_int64(q, 5);
        if (kind < 0 || kind > 2)
          return failure("a storage of unknown kind " + std::to_string(kind));
        if (access < 0 || access > 3) return failure("a storage with an unknown access");
        r.kind = static_cast<Kind>(kind);
        r.meta.id = col_text(q, 1);
        r.meta.name = col_opt_text(q, 2);
        r.meta.user_id = col_text(q, 3);
        r.meta.username = col_text(q, 4);
        r.meta.general_access = static_cast<GeneralAccess>(access);
        r.meta.created_at = sqlite3_column_int64(q, 6);
        r.meta.modified_at = sqlite3_column_int64(q, 7);
        r.meta.accessed_at = sqlite3_column_int64(q, 8);
        r.meta.created_seq = sqlite3_column_int64(q, 9);
        auto c = parse_counters(col_text(q, 10));
        if (!c) return c.error();
        r.counters = std::move(*c);
        r.client = col_opt_text(q, 11);
        return loader.storage(std::move(r));
      });
  if (!st) return st;
  st = query(
      "SELECT queue_id, id, unique_key, url, method, retry_count, extra, handled_at, order_t, "
      "order_seq, forefront, lock_expires, lock_seq, lock_client, row FROM requests",
      [&](sqlite3_stmt* q) -> Status {
        RequestRow r;
        r.queue_id = col_text(q, 0);
        r.id = col_text(q, 1);
        r.unique_key = col_text(q, 2);
        r.url = col_opt_text(q, 3);
        std::int64_t method = sqlite3_column_int64(q, 4);
        if (method < 0 || method > 255) return failure("a request with an unknown method");
        r.method = static_cast<std::uint8_t>(method);
        r.retry_count = static_cast<std::int32_t>(sqlite3_column_int64(q, 5));
        r.extra = col_text(q, 6);
        r.handled_at = col_opt_int(q, 7);
        r.order_t = sqlite3_column_int64(q, 8);
        r.order_seq = sqlite3_column_int64(q, 9);
        r.forefront = sqlite3_column_int64(q, 10) != 0;
        r.lock_expires = col_opt_int(q, 11);
        r.lock_seq = sqlite3_column_int64(q, 12);
        r.lock_client = col_text(q, 13);
        r.row = sqlite3_column_int64(q, 14);
        return loader.request(std::move(r));
      });
  if (!st) return st;
  st = query("SELECT store_id, key, value, content_type FROM records ORDER BY store_id, key",
             [&](sqlite3_stmt* q) {
               RecordRow r;
               r.store_id = col_text(q, 0);
               r.key = col_text(q, 1);
               const void* b = sqlite3_column_blob(q, 2);
               int n = sqlite3_column_bytes(q, 2);
               if (b) r.value.assign(static_cast<const char*>(b), static_cast<std::size_t>(n));
               r.content_type = col_text(q, 3);
               return loader.record(std::move(r));
             });
  if (!st) return st;
  st = query("SELECT dataset_id, idx, json, clean FROM items ORDER BY dataset_id, idx",
             [&](sqlite3_stmt* q) {
               ItemRow r;
               r.dataset_id = col_text(q, 0);
               r.index = sqlite3_column_int64(q, 1);
               r.json = col_text(q, 2);
               r.clean = sqlite3_column_int64(q, 3) != 0;
               return loader.item(std::move(r));
             });
  if (!st) return st;
  if (auto d = loader.done(); !d) return fail(d.error().message);
  return Ok{};
}

void Database::start(std::function<void()> lazy_flush, std::function<TimeMs()> clock) {
  std::lock_guard lk(mu_);
  if (started_) return;
  lazy_flush_ = std::move(lazy_flush);
  clock_ = std::move(clock);
  started_ = true;
  writer_ = std::thread([this] { run(); });
}

void Database::append(std::vector<Change> changes) {
  if (changes.empty()) return;
  std::uint64_t t;
  {
    std::lock_guard lk(mu_);
    pending_.push_back(std::move(changes));
    t = ++appended_;
  }
  work_cv_.notify_one();
  current_ticket() = t;
}

Status Database::wait(std::uint64_t ticket) {
  if (ticket == 0) return Ok{};
  std::unique_lock lk(mu_);
  done_cv_.wait(lk, [&] { return durable_ >= ticket || failed_; });
  if (failed_) return failure("rq-fake could not write its data directory: " + *failed_);
  return Ok{};
}

Status Database::sync() {
  std::uint64_t t;
  {
    std::lock_guard lk(mu_);
    t = appended_;
  }
  return wait(t);
}

void Database::stop() {
  {
    std::lock_guard lk(mu_);
    if (!started_ || stopping_) return;
  }
  if (lazy_flush_) {
    std::lock_guard ll(lazy_mu_);
    lazy_flush_();
  }
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lk(mu_);
  started_ = stopping_ = false;  // start() may run it again
}

void Database::run() {
  using namespace std::chrono;
  auto last_lazy = steady_clock::now();
  std::vector<std::vector<Change>> batch;
  std::unique_lock lk(mu_);
  for (;;) {
    work_cv_.wait_for(lk, milliseconds(250), [&] { return stopping_ || !pending_.empty(); });
    if (!stopping_ && lazy_flush_ && steady_clock::now() - last_lazy >= seconds(1)) {
      lk.unlock();
      {
        std::lock_guard ll(lazy_mu_);
        lazy_flush_();
      }
      last_lazy = steady_clock::now();
      lk.lock();
    }
    if (pending_.empty()) {
      if (stopping_) break;
      continue;
    }
    batch.swap(pending_);
    std::uint64_t upto = appended_;
    bool failed = failed_.has_value();
    lk.unlock();
    Status st = failed ? Status(Ok{}) : write(batch);
    batch.clear();
    lk.lock();
    if (!st && !failed_) failed_ = st.error().message;
    durable_ = upto;
    done_cv_.notify_all();
  }
}

Status Database::write(std::vector<std::vector<Change>>& batch) {
  Statements& s = *st_;
  auto step = [&](Stmt& stmt) -> Status {
    int rc = sqlite3_step(stmt.s);
    sqlite3_reset(stmt.s);
    sqlite3_clear_bindings(stmt.s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return failure(sqlite3_errmsg(db_));
    return Ok{};
  };
  if (auto st = step(s.begin); !st) return st;
  Status result = Ok{};
  auto one = [&](Change& c) -> Status {
    if (auto* p = std::get_if<PutStorage>(&c)) {
      const StorageRow& r = p->row;
      const StorageMeta& m = r.meta;
      sqlite3_stmt* q = s.put_storage.s;
      sqlite3_bind_int(q, 1, static_cast<int>(r.kind));
      bind_text(q, 2, m.id);
      bind_opt(q, 3, m.name);
      bind_text(q, 4, m.user_id);
      bind_text(q, 5, m.username);
      sqlite3_bind_int(q, 6, static_cast<int>(m.general_access));
      sqlite3_bind_int64(q, 7, m.created_at);
      sqlite3_bind_int64(q, 8, m.modified_at);
      sqlite3_bind_int64(q, 9, m.accessed_at);
      sqlite3_bind_int64(q, 10, m.created_seq);
      std::string counters = counters_text(r.counters);
      bind_text(q, 11, counters);
      bind_opt(q, 12, r.client);
      return step(s.put_storage);
    }
    if (auto* p = std::get_if<DropStorage>(&c)) {
      sqlite3_bind_int(s.drop_storage.s, 1, static_cast<int>(p->kind));
      bind_text(s.drop_storage.s, 2, p->id);
      if (auto st = step(s.drop_storage); !st) return st;
      Stmt& contents = p->kind == Kind::kQueue           ? s.drop_requests
                       : p->kind == Kind::kKeyValueStore ? s.drop_records
                                                         : s.drop_items;
      bind_text(contents.s, 1, p->id);
      return step(contents);
    }
    if (auto* p = std::get_if<PutRequest>(&c)) {
      const RequestRow& r = p->row;
      sqlite3_stmt* q = s.put_request.s;
      bind_text(q, 1, r.queue_id);
      bind_text(q, 2, r.id);
      bind_text(q, 3, r.unique_key);
      bind_opt(q, 4, r.url);
      sqlite3_bind_int(q, 5, r.method);
      sqlite3_bind_int(q, 6, r.retry_count);
      bind_text(q, 7, r.extra);
      bind_opt(q, 8, r.handled_at);
      sqlite3_bind_int64(q, 9, r.order_t);
      sqlite3_bind_int64(q, 10, r.order_seq);
      sqlite3_bind_int(q, 11, r.forefront ? 1 : 0);
      bind_opt(q, 12, r.lock_expires);
      sqlite3_bind_int64(q, 13, r.lock_seq);
      bind_text(q, 14, r.lock_client);
      sqlite3_bind_int64(q, 15, r.row);
      return step(s.put_request);
    }
    if (auto* p = std::get_if<DropRequest>(&c)) {
      sqlite3_bind_int64(s.drop_request.s, 1, p->row);
      return step(s.drop_request);
    }
    if (auto* p = std::get_if<PutRecord>(&c)) {
      sqlite3_stmt* q = s.put_record.s;
      bind_text(q, 1, p->row.store_id);
      bind_text(q, 2, p->row.key);
      sqlite3_bind_blob(q, 3, p->row.value.data(), static_cast<int>(p->row.value.size()),
                        SQLITE_STATIC);
      bind_text(q, 4, p->row.content_type);
      return step(s.put_record);
    }
    if (auto* p = std::get_if<DropRecord>(&c)) {
      bind_text(s.drop_record.s, 1, p->store_id);
      bind_text(s.drop_record.s, 2, p->key);
      return step(s.drop_record);
    }
    if (auto* p = std::get_if<PutItem>(&c)) {
      sqlite3_stmt* q = s.put_item.s;
      bind_text(q, 1, p->row.dataset_id);
      sqlite3_bind_int64(q, 2, p->row.index);
      bind_text(q, 3, p->row.json);
      sqlite3_bind_int(q, 4, p->row.clean ? 1 : 0);
      return step(s.put_item);
    }
    if (auto* p = std::get_if<PutUser>(&c)) {
      sqlite3_stmt* q = s.put_user.s;
      bind_text(q, 1, p->user.id);
      bind_text(q, 2, p->user.username);
      sqlite3_bind_int64(q, 3, p->user.created_at);
      return step(s.put_user);
    }
    if (std::holds_alternative<DropAll>(c)) {
      return exec(
          "DELETE FROM users; DELETE FROM storages; DELETE FROM requests; DELETE FROM records; "
          "DELETE FROM items;");
    }
    return Ok{};
  };
  for (auto& changes : batch) {
    for (Change& c : changes) {
      if (auto st = one(c); !st) {
        result = st;
        break;
      }
    }
    if (!result) break;
  }
  if (result && clock_) {
    std::string key = "clock", value = std::to_string(clock_());
    bind_text(s.put_meta.s, 1, key);
    bind_text(s.put_meta.s, 2, value);
    result = step(s.put_meta);
  }
  if (!result) {
    step(s.rollback);
    return result;
  }
  return step(s.commit);
}

}  // namespace rqcheck::fake::persist
