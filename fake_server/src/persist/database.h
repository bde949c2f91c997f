// The fake's data directory (rq-fake --data-dir DIR): one SQLite database in WAL mode,
// DIR/rq-fake.db, guarded by DIR/rq-fake.lock (flock, so a second rq-fake on DIR is refused).
// The only file in the fake that speaks SQL. docs/persistence.md has the promises and the rules.
//
//   auto db = persist::Database::open({.dir = "data"});   // lock, open, version, integrity
//   if (!db) { /* db.error().message: clear, for exit 2 */ }
//   (*db)->load(loader);                                  // every row into the stores
//   (*db)->start(lazy_flush, save_clock);                  // the writer thread
//   store.set_change_log(db->get());                       // stores append(), calls wait()
//   (*db)->wait(persist::current_ticket());               // durable: the 2xx may go
//
// Group commit: append() queues change records (in order, under the storage's lock) and returns;
// one writer thread takes everything queued, writes it in one transaction and commits, then
// wakes the waiters whose tickets it covered. Since the queue is committed in order, a durable
// ticket means every change appended before it is durable too. synchronous=NORMAL survives a
// crash of the process (kill -9); SyncMode::kFull (synchronous=FULL) fsyncs every commit and so
// survives power loss too, at a cost per commit.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "changes.h"
#include "rqcheck/core/result.h"

struct sqlite3;

namespace rqcheck::fake::persist {

// The on-disk format this build reads and writes (meta table, key "format").
inline constexpr int kFormatVersion = 1;
inline constexpr const char* kDatabaseFile = "rq-fake.db";
inline constexpr const char* kLockFile = "rq-fake.lock";

enum class SyncMode { kNormal, kFull };

struct DatabaseOptions {
  std::string dir;
  SyncMode sync = SyncMode::kNormal;
  bool integrity_check = true;  // PRAGMA quick_check at open
};

class Database final : public ChangeLog {
 public:
  // Creates DIR when absent, takes its lock and opens (or creates) the database. An error names
  // the file and what is wrong with it: another rq-fake holds the lock, the file is not a
  // database or fails the integrity check, or its format version is not kFormatVersion.
  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Replays every row (before start()). An error of the loader or of a row stops it.
  Status load(Loader& loader);
  // How many times DIR has been opened, this time included (1 for a new DIR).
  std::uint64_t boot() const { return boot_; }
  // The virtual clock's time at the last commit, when one was saved.
  std::optional<TimeMs> saved_clock() const { return saved_clock_; }

  // Starts the writer. `lazy_flush` (may be empty) is called about once a second and at stop()
  // to hand over the read-side statistics the stores keep back; `clock` (may be empty) gives
  // the time saved with every commit (the virtual clock).
  void start(std::function<void()> lazy_flush, std::function<TimeMs()> clock);
  void append(std::vector<Change> changes) override;
  // Blocks until `ticket` is committed (0: returns at once). An error when a commit failed:
  // then nothing after it is durable and the call must not be acknowledged.
  Status wait(std::uint64_t ticket);
  // Blocks until everything appended so far is committed.
  Status sync();
  // Hands over what the stores keep back, commits everything appended and joins the writer
  // (start() may start it again).
  void stop();

  const std::string& path() const { return path_; }

 private:
  Database() = default;
  Status exec(const char* sql);
  Status write(std::vector<std::vector<Change>>& batch);
  void run();

  std::string dir_, path_;
  int lock_fd_ = -1;
  sqlite3* db_ = nullptr;
  std::uint64_t boot_ = 0;
  std::optional<TimeMs> saved_clock_;
  struct Statements;
  std::unique_ptr<Statements> st_;

  std::function<void()> lazy_flush_;
  std::function<TimeMs()> clock_;
  std::mutex mu_;  // guards everything below
  std::condition_variable work_cv_, done_cv_;
  std::vector<std::vector<Change>> pending_;
  std::uint64_t appended_ = 0, durable_ = 0;
  std::optional<std::string> failed_;
  bool stopping_ = false, started_ = false;
  std::thread writer_;
  std::mutex lazy_mu_;  // one lazy flush at a time (the writer's tick and stop())
};

}  // namespace rqcheck::fake::persist
