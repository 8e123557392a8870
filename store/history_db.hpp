// The room history on disk: one SQLite file (WAL; synchronous NORMAL or FULL), opened and
// used by one thread at a time (the history actor's). No CAF, no network: rows in, rows
// out.
//
// Tables: messages(room, id, sender, text, sent, stored_ns), the rooms' messages, and
// sequences(room, reserved), the highest id each room may have handed out: a room
// reserves ids in blocks before it uses them, so that after a crash it continues after
// every id it may have broadcast, stored or not.
#pragma once

#include "messages/chat_message.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;

namespace chat {

// The newest `limit` messages of a range, oldest first, and how many older ones of the
// same range were left out.
struct message_page {
  std::vector<chat_message> messages;
  std::uint64_t skipped = 0;
};

class history_db {
public:
  // How a commit reaches the disk. normal: a commit is in the WAL file when it returns
  // (it survives a crash of the process, not of the machine); full: the WAL is also
  // fsynced (it survives a power cut), at the cost of one fsync per commit.
  enum class sync_mode { normal, full };

  // Opens (creating when missing) the database at `path` and checks it; on failure
  // `error` says why, naming the file, and the object is unusable.
  explicit history_db(const std::string& path, sync_mode sync = sync_mode::normal);
  ~history_db();
  history_db(const history_db&) = delete;
  history_db& operator=(const history_db&) = delete;

  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

  // One transaction for the whole batch; a message already stored (same room and id)
  // is kept as it is. False (and last_error()) when it failed: nothing was written.
  bool append(const std::vector<chat_message>& batch, std::int64_t stored_ns);

  // The highest id `room` may have used: its highest stored id or reserved block.
  std::uint64_t last_used(const std::string& room);
  // Records that `room` may use ids up to `upto` (never lowers it).
  bool reserve(const std::string& room, std::uint64_t upto);

  // Messages of `room` with after < id < before (before 0: no bound), the newest
  // `limit` of them.
  message_page read(const std::string& room, std::uint64_t after, std::uint64_t before,
                    std::size_t limit);

  // Retention, a bounded batch at a time: removes at most `batch` messages stored before
  // `cutoff_ns`, and at most `batch` of `room`'s oldest beyond `keep`. Returns how many.
  std::size_t drop_older_than(std::int64_t cutoff_ns, std::size_t batch);
  std::size_t drop_beyond(const std::string& room, std::size_t keep, std::size_t batch);
  std::vector<std::string> rooms();

  const std::string& last_error() const { return last_error_; }

private:
  bool exec(const char* sql);
  std::string sqlite_error() const;

  std::string path_;
  std::string error_;
  std::string last_error_;
  sqlite3* db_ = nullptr;
  struct statements;
  std::unique_ptr<statements> st_;
};

} // namespace chat
