#include "actors/history.hpp"

#include "base/log.hpp"
#include "messages/actor_errors.hpp"
#include "store/history_db.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <set>

namespace chat {

namespace {

// The actor's own timers, on top of what others may send it.
struct flush_batch {};
struct trim_tick {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flush_batch&) {
  return f(caf::meta::type_name("flush_batch"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trim_tick&) {
  return f(caf::meta::type_name("trim_tick"));
}

using history_impl =
    history_actor::extend<caf::reacts_to<flush_batch>, caf::reacts_to<trim_tick>>;

struct unstored {
  chat_message message;
  caf::typed_response_promise<std::uint64_t> ack; // invalid when nobody waits
};

struct history_state {
  std::unique_ptr<history_db> db;
  limits lim;
  std::shared_ptr<metrics> counters;
  std::deque<unstored> batch; // received, not yet committed
  bool flush_queued = false;  // a flush_batch is in the mailbox or on a timer
  bool failing = false;       // the last commit failed; retried on a timer
  std::chrono::steady_clock::time_point last_error_log{};
  std::size_t errors_since_log = 0;
  std::set<std::string> touched; // rooms written since the last trim
  static inline const char* name = "history";
};

using history_pointer = history_impl::stateful_pointer<history_state>;

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void log_failure(history_pointer self, const std::string& what) {
  auto& st = self->state;
  ++st.errors_since_log;
  auto now = std::chrono::steady_clock::now();
  if (now - st.last_error_log < st.lim.history_error_log_interval)
    return;
  log_error("history-db \"" + st.db->path() + "\": " + what + " (" +
            std::to_string(st.errors_since_log) + " failures; " +
            std::to_string(st.batch.size()) + " messages wait, unacked)");
  st.last_error_log = now;
  st.errors_since_log = 0;
}

// Commits everything received so far in one transaction, then acks it. On failure the
// batch stays (nothing is acked) and is tried again after history-retry-delay.
void flush(history_pointer self) {
  auto& st = self->state;
  if (st.batch.empty()) {
    st.flush_queued = false;
    return;
  }
  std::vector<chat_message> rows;
  rows.reserve(st.batch.size());
  for (const auto& u : st.batch)
    rows.push_back(u.message);
  if (!st.db->append(rows, wall_ns())) {
    st.counters->history_write_errors.fetch_add(1, std::memory_order_relaxed);
    if (!st.failing)
      st.last_error_log = {}; // the first failure of a run is always logged
    st.failing = true;
    log_failure(self, "cannot write: " + st.db->last_error());
    st.flush_queued = true;
    self->delayed_send(self, st.lim.history_retry_delay, flush_batch{});
    return;
  }
  if (st.failing)
    log_info("history-db \"" + st.db->path() + "\": writing again");
  st.failing = false;
  st.flush_queued = false;
  st.counters->history_stored.fetch_add(rows.size(), std::memory_order_relaxed);
  st.counters->history_unstored.fetch_sub(static_cast<std::int64_t>(rows.size()),
                                          std::memory_order_relaxed);
  for (auto& u : st.batch) {
    st.touched.insert(u.message.room);
    if (u.ack.pending())
      u.ack.deliver(u.message.id);
  }
  st.batch.clear();
}

// Reads see every message received before them (a room's store_message and its later
// read_messages arrive in order): what waits is committed first.
void flush_before_read(history_pointer self) {
  if (!self->state.failing)
    flush(self);
}

void trim(history_pointer self) {
  auto& st = self->state;
  if (st.lim.history_max_age > limits::duration::zero()) {
    auto cutoff = wall_ns() - st.lim.history_max_age.count();
    st.db->drop_older_than(cutoff, st.lim.history_trim_batch);
  }
  if (st.lim.history_max_per_room > 0) {
    auto rooms = std::move(st.touched);
    st.touched.clear();
    std::size_t budget = st.lim.history_trim_batch;
    for (const auto& room : rooms) {
      if (budget == 0) { // the rest next time
        st.touched.insert(room);
        continue;
      }
      auto n = st.db->drop_beyond(room, st.lim.history_max_per_room, budget);
      budget -= std::min(budget, n);
      if (n > 0)
        st.touched.insert(room); // it may still hold too many
    }
  }
}

history_impl::behavior_type history(history_pointer self, std::unique_ptr<history_db> db,
                                    limits lim, std::shared_ptr<metrics> counters) {
  auto& init = self->state;
  init.db = std::move(db);
  init.lim = lim;
  init.counters = std::move(counters);
  // What waits is written before the actor goes (SIGTERM: nothing acked is lost anyway,
  // but a clean stop should leave nothing unstored).
  self->set_exit_handler([self](caf::exit_msg& em) {
    flush(self);
    self->quit(em.reason);
  });
  if (lim.history_max_age > limits::duration::zero() || lim.history_max_per_room > 0) {
    for (auto& room : init.db->rooms())
      init.touched.insert(std::move(room));
    self->send(self, trim_tick{});
  }
  return {
      [self](store_message& m) -> caf::result<std::uint64_t> {
        auto& st = self->state;
        auto rp = self->make_response_promise<std::uint64_t>();
        if (st.batch.size() >= st.lim.max_unstored) {
          // The store has been failing for long: the oldest is given up, never acked.
          auto& oldest = st.batch.front();
          if (oldest.ack.pending())
            oldest.ack.deliver(make_error(chat_errc::store_failed));
          st.batch.pop_front();
          st.counters->history_unstored.fetch_sub(1, std::memory_order_relaxed);
          st.counters->history_dropped.fetch_add(1, std::memory_order_relaxed);
        }
        st.batch.push_back({std::move(m.message), rp});
        st.counters->history_unstored.fetch_add(1, std::memory_order_relaxed);
        if (!st.flush_queued) {
          // Behind whatever is in the mailbox already: those messages join this batch.
          st.flush_queued = true;
          self->send(self, flush_batch{});
        }
        return rp;
      },
      [self](load_room& q) {
        flush_before_read(self);
        auto& store = *self->state.db;
        auto page = store.read(q.room, 0, 0, q.recent);
        return loaded_room{store.last_used(q.room), std::move(page.messages),
                           page.skipped == 0};
      },
      [self](reserve_ids& r) -> caf::result<std::uint64_t> {
        if (self->state.db->reserve(r.room, r.upto))
          return r.upto;
        self->state.counters->history_write_errors.fetch_add(1,
                                                             std::memory_order_relaxed);
        log_failure(self, "cannot reserve ids: " + self->state.db->last_error());
        return make_error(chat_errc::store_failed);
      },
      [self](read_messages& q) {
        flush_before_read(self);
        auto page = self->state.db->read(q.room, q.after, q.before, q.limit);
        return history_page{std::move(page.messages), page.skipped};
      },
      [self](flush_batch) { flush(self); },
      [self](trim_tick) {
        trim(self);
        self->delayed_send(self, self->state.lim.history_trim_interval, trim_tick{});
      },
  };
}

} // namespace

history_actor spawn_history(caf::actor_system& sys, std::unique_ptr<history_db> db,
                            limits lim, std::shared_ptr<metrics> counters) {
  return caf::actor_cast<history_actor>(sys.spawn<caf::detached>(
      history, std::move(db), std::move(lim), std::move(counters)));
}

} // namespace chat
