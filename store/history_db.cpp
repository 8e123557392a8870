#include "store/history_db.hpp"

#include <algorithm>
#include <cstdint>
#include <sqlite3.h>

namespace chat {

namespace {

// A prepared statement, reset after each use.
class statement {
public:
  statement() = default;
  statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
        SQLITE_OK)
      s_ = nullptr;
  }
  ~statement() { sqlite3_finalize(s_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept : s_(other.s_) { other.s_ = nullptr; }
  statement& operator=(statement&& other) noexcept {
    std::swap(s_, other.s_);
    return *this;
  }

  explicit operator bool() const { return s_ != nullptr; }
  sqlite3_stmt* get() { return s_; }

  statement& bind(int i, const std::string& x) {
    sqlite3_bind_text(s_, i, x.data(), static_cast<int>(x.size()), SQLITE_TRANSIENT);
    return *this;
  }
  statement& bind(int i, std::int64_t x) {
    sqlite3_bind_int64(s_, i, x);
    return *this;
  }
  statement& bind(int i, std::uint64_t x) {
    return bind(i, static_cast<std::int64_t>(x));
  }

  int step() { return sqlite3_step(s_); }
  // Runs a statement that returns no rows; true on success.
  bool run() {
    auto rc = step();
    sqlite3_reset(s_);
    return rc == SQLITE_DONE;
  }
  std::int64_t int_at(int col) { return sqlite3_column_int64(s_, col); }
  std::string text_at(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string{};
  }
  void reset() { sqlite3_reset(s_); }

private:
  sqlite3_stmt* s_ = nullptr;
};

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS messages(
  room TEXT NOT NULL, id INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
  sent TEXT NOT NULL, stored_ns INTEGER NOT NULL, PRIMARY KEY(room, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_by_age ON messages(stored_ns);
CREATE TABLE IF NOT EXISTS sequences(
  room TEXT PRIMARY KEY, reserved INTEGER NOT NULL) WITHOUT ROWID;
)";

} // namespace

struct history_db::statements {
  statement begin, commit, rollback, insert, last_id, reserved, reserve, count_range,
      read_range, drop_old, count_room, drop_room, rooms;
};

history_db::history_db(const std::string& path, sync_mode sync) : path_(path) {
  // close_v2: a statement still open (the check's) is finalized later, then the file.
  auto fail = [this](const std::string& why) {
    error_ = "history-db \"" + path_ + "\": " + why;
    st_.reset();
    sqlite3_close_v2(db_);
    db_ = nullptr;
  };
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    fail(db_ ? sqlite3_errmsg(db_) : "cannot open");
    return;
  }
  // SQLite opens a file it may not write read-only, without a word: refuse it here
  // rather than fail every write later.
  if (sqlite3_db_readonly(db_, "main") == 1) {
    fail("cannot be written (read-only file or folder)");
    return;
  }
  // A busy file (another process writing) waits a little rather than failing at once.
  sqlite3_busy_timeout(db_, 2000);
  // WAL: readers never block the writer, and with synchronous=NORMAL a commit is an
  // append to the WAL (fsynced at checkpoints only): an acked message survives a crash
  // of chatd. FULL also fsyncs every commit (docs/history.md measures the cost).
  // quick_check reads every page: a file that is not SQLite or is corrupt stops here.
  if (!exec("PRAGMA journal_mode=WAL") ||
      !exec(sync == sync_mode::full ? "PRAGMA synchronous=FULL"
                                    : "PRAGMA synchronous=NORMAL")) {
    fail(sqlite_error());
    return;
  }
  {
    statement check{db_, "PRAGMA quick_check"};
    if (!check) {
      fail(sqlite_error());
      return;
    }
    auto rc = check.step();
    auto verdict = rc == SQLITE_ROW ? check.text_at(0) : sqlite_error();
    if (verdict != "ok") {
      fail("corrupt database: " + verdict);
      return;
    }
  }
  if (!exec(schema)) {
    fail(sqlite_error());
    return;
  }
  st_ = std::make_unique<statements>();
  auto& s = *st_;
  s.begin = statement{db_, "BEGIN IMMEDIATE"};
  s.commit = statement{db_, "COMMIT"};
  s.rollback = statement{db_, "ROLLBACK"};
  s.insert = statement{db_, "INSERT OR IGNORE INTO messages VALUES(?1,?2,?3,?4,?5,?6)"};
  s.last_id = statement{db_, "SELECT MAX(id) FROM messages WHERE room=?1"};
  s.reserved = statement{db_, "SELECT reserved FROM sequences WHERE room=?1"};
  s.reserve = statement{
      db_, "INSERT INTO sequences VALUES(?1,?2) ON CONFLICT(room) DO UPDATE SET "
           "reserved=MAX(reserved, excluded.reserved)"};
  s.count_range =
      statement{db_, "SELECT COUNT(*) FROM messages WHERE room=?1 AND id>?2 AND id<?3"};
  s.read_range = statement{db_, "SELECT id, sender, text, sent FROM messages WHERE "
                                "room=?1 AND id>?2 AND id<?3 ORDER BY id DESC LIMIT ?4"};
  s.drop_old = statement{
      db_, "DELETE FROM messages WHERE (room, id) IN (SELECT room, id FROM messages "
           "WHERE stored_ns<?1 ORDER BY stored_ns LIMIT ?2)"};
  s.count_room = statement{db_, "SELECT COUNT(*) FROM messages WHERE room=?1"};
  s.drop_room = statement{db_, "DELETE FROM messages WHERE room=?1 AND id IN (SELECT id "
                               "FROM messages WHERE room=?1 ORDER BY id LIMIT ?2)"};
  s.rooms = statement{db_, "SELECT DISTINCT room FROM messages"};
  for (auto* x : {&s.begin, &s.commit, &s.rollback, &s.insert, &s.last_id, &s.reserved,
                  &s.reserve, &s.count_range, &s.read_range, &s.drop_old, &s.count_room,
                  &s.drop_room, &s.rooms})
    if (!*x) {
      fail(sqlite_error());
      return;
    }
}

history_db::~history_db() {
  st_.reset(); // statements before the connection
  sqlite3_close_v2(db_);
}

bool history_db::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

std::string history_db::sqlite_error() const {
  return db_ ? sqlite3_errmsg(db_) : "not open";
}

bool history_db::append(const std::vector<chat_message>& batch, std::int64_t stored_ns) {
  auto& s = *st_;
  if (!s.begin.run()) {
    last_error_ = sqlite_error();
    return false;
  }
  for (const auto& m : batch) {
    if (!s.insert.bind(1, m.room)
             .bind(2, m.id)
             .bind(3, m.from)
             .bind(4, m.message)
             .bind(5, m.sent)
             .bind(6, stored_ns)
             .run()) {
      last_error_ = sqlite_error();
      s.rollback.run();
      return false;
    }
  }
  if (!s.commit.run()) {
    last_error_ = sqlite_error();
    s.rollback.run();
    return false;
  }
  return true;
}

std::uint64_t history_db::last_used(const std::string& room) {
  auto& s = *st_;
  std::uint64_t result = 0;
  for (auto* q : {&s.last_id, &s.reserved}) {
    q->bind(1, room);
    if (q->step() == SQLITE_ROW)
      result = std::max(result, static_cast<std::uint64_t>(q->int_at(0)));
    q->reset();
  }
  return result;
}

bool history_db::reserve(const std::string& room, std::uint64_t upto) {
  if (st_->reserve.bind(1, room).bind(2, upto).run())
    return true;
  last_error_ = sqlite_error();
  return false;
}

message_page history_db::read(const std::string& room, std::uint64_t after,
                              std::uint64_t before, std::size_t limit) {
  auto& s = *st_;
  auto upper = before == 0 ? std::uint64_t{INT64_MAX} : before;
  message_page page;
  s.read_range.bind(1, room).bind(2, after).bind(3, upper).bind(
      4, static_cast<std::int64_t>(limit));
  while (s.read_range.step() == SQLITE_ROW)
    page.messages.push_back(chat_message{
        static_cast<std::uint64_t>(s.read_range.int_at(0)), room, s.read_range.text_at(2),
        s.read_range.text_at(1), s.read_range.text_at(3)});
  s.read_range.reset();
  std::reverse(page.messages.begin(), page.messages.end());
  if (page.messages.size() == limit) {
    s.count_range.bind(1, room).bind(2, after).bind(3, upper);
    if (s.count_range.step() == SQLITE_ROW)
      page.skipped = static_cast<std::uint64_t>(s.count_range.int_at(0)) - limit;
    s.count_range.reset();
  }
  return page;
}

std::size_t history_db::drop_older_than(std::int64_t cutoff_ns, std::size_t batch) {
  if (!st_->drop_old.bind(1, cutoff_ns).bind(2, static_cast<std::int64_t>(batch)).run())
    return 0;
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::size_t history_db::drop_beyond(const std::string& room, std::size_t keep,
                                    std::size_t batch) {
  auto& s = *st_;
  std::size_t n = 0;
  s.count_room.bind(1, room);
  if (s.count_room.step() == SQLITE_ROW)
    n = static_cast<std::size_t>(s.count_room.int_at(0));
  s.count_room.reset();
  if (n <= keep)
    return 0;
  auto excess = std::min(n - keep, batch);
  if (!s.drop_room.bind(1, room).bind(2, static_cast<std::int64_t>(excess)).run())
    return 0;
  return static_cast<std::size_t>(sqlite3_changes(db_));
}

std::vector<std::string> history_db::rooms() {
  std::vector<std::string> xs;
  while (st_->rooms.step() == SQLITE_ROW)
    xs.push_back(st_->rooms.text_at(0));
  st_->rooms.reset();
  return xs;
}

} // namespace chat
