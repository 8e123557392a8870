#include "actors/room.hpp"

#include "actors/placement.hpp"
#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "messages/actor_errors.hpp"
#include "messages/codec.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

namespace chat {

namespace {

// The group every room listens on for the cluster actor's view of live nodes.
constexpr const char* view_group_name = "chat:cluster-view";

struct member {
  connection_actor conn;
  std::string user;
  feed_ptr feed; // where its frames go (messages/feed.hpp)
  // A replica feeds a member only once the home has answered for it, so that the
  // member hears nothing from before its join (its own join included).
  bool fed = false;
  caf::typed_response_promise<joined> pending;
  std::uint64_t attempt = 0; // which of the home's answers completes the join
  catch_up missed;           // what the joiner asked to get of what it missed
};

enum class role { home, replica };

struct room_state {
  std::string name;
  context_ptr ctx;
  router_actor router;

  // This node's members: connections, and how many each user has here.
  std::unordered_map<caf::actor_addr, member> members;
  std::unordered_map<std::string, std::size_t> local_users;

  // The live nodes as this copy sees them; on a single node, itself alone.
  std::vector<std::string> view;
  std::uint64_t view_version = 0;
  std::string home;
  role mode = role::home;

  // Sequence and history: the home numbers messages; a replica remembers the last id
  // it saw, for when it becomes home. Every copy keeps the newest messages it saw
  // (history-size) and, with a store, stores them on its node.
  std::uint64_t last_id = 0;
  std::deque<chat_message> history;
  chat_message pending; // the last message, when history-size is 0
  // With a store: `history` holds every stored message of the room (it was loaded
  // whole and nothing was evicted since), and the ids the store has reserved for this
  // room (the home numbers up to it; it asks for the next block at half of this one).
  bool history_complete = false;
  std::uint64_t reserved = 0;
  bool reserving = false;

  // Home only: presence across nodes (a user counts once per node where it is
  // present; ordered, so lists need no sort) and the replicas that get this room's
  // frames.
  std::map<std::string, std::size_t> user_total;
  std::map<std::string, std::set<std::string>> remote_users;
  struct replica {
    room_actor copy;
    peer_traffic* traffic; // this node's counters for that peer
  };
  std::map<std::string, replica> replicas;
  bool issued_last_id = false; // this copy numbered the message with last_id itself

  // Home only: the users whose presence changed since the last presence_diff, and
  // whether a flush_presence is on its way (one per presence-interval at most).
  std::set<std::string> presence_touched;
  bool presence_due = false;

  // Replica only: the home's copy, whether it knows this copy's members, and the users
  // this copy's members were told of (from joins and presence frames): a replica that
  // becomes home announces only what changed since.
  room_actor home_room;
  bool subscribed = false;
  std::uint64_t next_attempt = 0;
  std::set<std::string> told_users;

  const limits& lim() const { return ctx->limits; }
  const history_actor& store() const { return ctx->history; }
  const std::string& self_node() const { return ctx->node_name; }
  bool is_home() const { return mode == role::home; }

  std::size_t member_count() const {
    auto n = members.size();
    for (const auto& [node, users] : remote_users)
      n += users.size();
    return n;
  }

  bool announces_presence() const { return member_count() <= lim().presence_max_members; }

  // The users of the room, sorted, at most presence-max-members (home only).
  std::vector<std::string> users() const {
    auto cap = lim().presence_max_members;
    std::vector<std::string> xs;
    xs.reserve(std::min(user_total.size(), cap));
    for (const auto& [user, n] : user_total) {
      if (xs.size() == cap)
        break;
      xs.push_back(user);
    }
    return xs;
  }

  std::vector<user_count> local_user_counts() const {
    std::vector<user_count> xs;
    xs.reserve(local_users.size());
    for (const auto& [user, n] : local_users)
      xs.push_back({user, static_cast<std::uint32_t>(n)});
    return xs;
  }
};

using room_pointer = room_actor::stateful_pointer<room_state>;

room_actor handle(room_pointer self) {
  return caf::actor_cast<room_actor>(self);
}

// -- broadcasting -----------------------------------------------------------------------

// One frame to this copy's members, straight into each one's feed: no message to the
// member's connection actor, which a frame would only pass through.
void tell_members(room_pointer self, const frame& f) {
  auto& st = self->state;
  std::uint64_t n = 0;
  for (auto& [addr, m] : st.members)
    if (m.fed && m.feed) {
      m.feed->push(f);
      ++n;
    }
  st.ctx->counters->deliveries.fetch_add(n, std::memory_order_relaxed);
}

// One frame to every member: built once, its buffer shared by this node's members, and
// sent once to each replica (one frame per node crosses the network).
// A new message goes to replicas as itself (`message`): they encode and store it.
void broadcast(room_pointer self, frame f, std::uint64_t id,
               const chat_message* message = nullptr,
               const std::vector<std::string>& joins = {},
               const std::vector<std::string>& leaves = {}) {
  auto& st = self->state;
  for (const auto& [node, r] : st.replicas) {
    r.traffic->sent(f.size());
    if (message)
      self->send(r.copy, replicated_frame{frame{}, *message, id, {}, {}});
    else
      self->send(r.copy, replicated_frame{f, {}, id, joins, leaves});
  }
  tell_members(self, f);
}

// -- presence (home) --------------------------------------------------------------------

// `user` came or went: the next presence_diff names it. Joins and leaves within one
// interval coalesce: one frame per member per interval however many users moved.
void touch(room_pointer self, const std::string& user) {
  auto& st = self->state;
  if (!st.announces_presence())
    return;
  st.presence_touched.insert(user);
  if (!st.presence_due) {
    st.presence_due = true;
    if (st.lim().presence_interval.count() == 0) // after what is already queued
      self->send(self, flush_presence{});
    else
      self->delayed_send(self, st.lim().presence_interval, flush_presence{});
  }
}

// One presence_diff for what changed since the last: a touched user present now joined,
// one absent now left. A member that joined meanwhile may read itself or users its
// room_changed listed already among the joins: set operations make that harmless, and
// its list ends where everyone else's does.
void flush_presence_diff(room_pointer self) {
  auto& st = self->state;
  st.presence_due = false;
  std::vector<std::string> joins, leaves;
  for (auto& u : st.presence_touched)
    (st.user_total.count(u) > 0 ? joins : leaves).push_back(u);
  st.presence_touched.clear();
  if (joins.empty() && leaves.empty())
    return;
  broadcast(self, frame{encode_presence_diff(st.name, joins, leaves)}, 0, nullptr, joins,
            leaves);
}

// A user appeared (+1) or went (-1) on one node; announced on the first and the last.
void present(room_pointer self, const std::string& user, int delta) {
  auto& st = self->state;
  if (delta > 0) {
    if (st.user_total[user]++ == 0)
      touch(self, user);
    return;
  }
  auto it = st.user_total.find(user);
  if (it == st.user_total.end())
    return;
  if (--it->second == 0) {
    st.user_total.erase(it);
    touch(self, user);
  }
}

// Replaces what the home knows of `node`'s users: the difference goes into presence.
void set_remote_users(room_pointer self, const std::string& node,
                      const std::vector<user_count>& users) {
  auto& st = self->state;
  std::set<std::string> now;
  for (const auto& u : users)
    if (u.connections > 0)
      now.insert(u.user);
  auto& before = st.remote_users[node];
  for (const auto& u : before)
    if (now.count(u) == 0)
      present(self, u, -1);
  auto old = std::move(before);
  st.remote_users[node] = now;
  for (const auto& u : now)
    if (old.count(u) == 0)
      present(self, u, +1);
  if (st.remote_users[node].empty())
    st.remote_users.erase(node);
}

void add_replica(room_pointer self, const std::string& node, room_actor copy) {
  auto& st = self->state;
  auto& traffic = st.ctx->counters->peer(node);
  if (st.replicas.insert_or_assign(node, room_state::replica{std::move(copy), &traffic})
          .second)
    self->send(st.router, members_changed{st.name, +1}); // keeps the home from release
}

void drop_node(room_pointer self, const std::string& node) {
  auto& st = self->state;
  set_remote_users(self, node, {});
  if (st.replicas.erase(node) > 0)
    self->send(st.router, members_changed{st.name, -1});
}

// -- recent history (every copy) ---------------------------------------------------------

// How many messages the copy keeps in memory: history-size, or fewer when the store
// keeps fewer per room.
std::size_t ring_capacity(const room_state& st) {
  auto n = st.lim().history_size;
  if (st.lim().history_max_per_room > 0)
    n = std::min(n, st.lim().history_max_per_room);
  return n;
}

// Keeps the newest message in memory (and returns it).
const chat_message& keep(room_pointer self, chat_message m) {
  auto& st = self->state;
  if (ring_capacity(st) == 0) {
    st.history_complete = false;
    st.pending = std::move(m);
    return st.pending;
  }
  if (st.history.size() >= ring_capacity(st)) {
    st.history.pop_front();
    st.history_complete = false;
  }
  st.history.push_back(std::move(m));
  return st.history.back();
}

// Forgets what history-max-age removes from the store too.
void expire(room_pointer self) {
  auto& st = self->state;
  if (st.lim().history_max_age <= limits::duration::zero() || st.history.empty())
    return;
  auto cutoff = rfc3339(std::chrono::system_clock::now() -
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            st.lim().history_max_age));
  while (!st.history.empty() && st.history.front().sent < cutoff) // RFC 3339 UTC sorts
    st.history.pop_front();
}

// The messages a joiner missed, from memory: the newest join-history ones, or those
// after `since` (the newest resume-max of them, with how many older ones are left out).
// Without a store memory is all there is: messages it dropped count as left out.
std::pair<std::vector<chat_message>, std::uint64_t> missed_in_memory(room_pointer self,
                                                                     const catch_up& c) {
  auto& st = self->state;
  const auto& h = st.history;
  if (!c.resume) {
    auto n = std::min(st.lim().join_history, h.size());
    return {{h.end() - static_cast<std::ptrdiff_t>(n), h.end()}, 0};
  }
  auto from =
      std::upper_bound(h.begin(), h.end(), c.since,
                       [](std::uint64_t id, const chat_message& m) { return id < m.id; });
  std::uint64_t skipped = 0;
  if (!st.store() && !st.history_complete) {
    auto first = from == h.end() ? st.last_id + 1 : from->id;
    if (first > c.since + 1)
      skipped = first - c.since - 1; // at most this many: ids may have gaps
  }
  auto n = static_cast<std::size_t>(h.end() - from);
  if (n > st.lim().resume_max) {
    skipped += n - st.lim().resume_max;
    from = h.end() - static_cast<std::ptrdiff_t>(st.lim().resume_max);
  }
  return {{from, h.end()}, skipped};
}

// Memory holds every message after `after` that the store holds.
bool memory_covers(const room_state& st, std::uint64_t after) {
  return !st.store() || st.history_complete ||
         (!st.history.empty() && st.history.front().id <= after + 1);
}

// Hands `done` what a joiner missed: from memory when it holds it, else from the store.
// The store's answer is awaited (nothing is numbered meanwhile), so that what it
// returns and the live messages after it neither overlap nor leave a gap.
template <class Done> void with_missed(room_pointer self, const catch_up& c, Done done) {
  auto& st = self->state;
  expire(self);
  if (!c.resume || memory_covers(st, c.since)) {
    auto [xs, skipped] = missed_in_memory(self, c);
    done(std::move(xs), skipped);
    return;
  }
  self->request(st.store(), st.lim().actor_reply_timeout,
                read_messages{st.name, c.since, 0, st.lim().resume_max})
      .await(
          [done](history_page& page) mutable {
            done(std::move(page.messages), page.skipped);
          },
          [self, c, done](caf::error& err) mutable {
            log_warning("room " + self->state.name +
                        ": cannot read the history: " + self->system().render(err));
            auto [xs, skipped] = missed_in_memory(self, c);
            done(std::move(xs), skipped);
          });
}

// -- this node's members ----------------------------------------------------------------

// A replica's message to its home, counted as traffic to that peer.
template <class Message>
void tell_home(room_pointer self, Message msg, std::size_t bytes) {
  auto& st = self->state;
  st.ctx->counters->peer(st.home).sent(bytes);
  self->send(st.home_room, std::move(msg));
}

// One more connection of `user` here; the first makes the user present on this node.
void add_local_user(room_pointer self, const std::string& user) {
  auto& st = self->state;
  if (st.local_users[user]++ > 0)
    return;
  if (st.is_home())
    present(self, user, +1);
  else if (st.subscribed)
    tell_home(self, presence_change{st.self_node(), user, +1}, user.size());
}

void remove_local_user(room_pointer self, const std::string& user) {
  auto& st = self->state;
  auto it = st.local_users.find(user);
  if (it == st.local_users.end() || --it->second > 0)
    return;
  st.local_users.erase(it);
  if (st.is_home())
    present(self, user, -1);
  else if (st.subscribed)
    tell_home(self, presence_change{st.self_node(), user, -1}, user.size());
}

// A replica that (re)subscribes gets the room's users from the home: its members learn
// what changed since they were last told (a node that joined the cluster brings its
// users; the users of a home that went are gone). A capped list tells nothing sure.
void reconcile(room_pointer self, const std::vector<std::string>& users) {
  auto& st = self->state;
  if (users.size() >= st.lim().presence_max_members)
    return;
  std::set<std::string> now(users.begin(), users.end());
  std::vector<std::string> joins, leaves;
  for (auto it = st.told_users.begin(); it != st.told_users.end();) {
    if (now.count(*it) == 0) {
      leaves.push_back(*it);
      it = st.told_users.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& u : now)
    if (st.told_users.insert(u).second)
      joins.push_back(u);
  if (!joins.empty() || !leaves.empty())
    tell_members(self, frame{encode_presence_diff(st.name, joins, leaves)});
}

// A replica that could not reach its home asks again after a short while, as long as it
// has members (and the view has not moved it meanwhile).
void retry_follow(room_pointer self) {
  if (!self->state.is_home() && !self->state.members.empty())
    self->delayed_send(self, self->state.lim().cluster_retry_delay, follow_home{});
}

// A replica with members tells the home about them (and from then on, each change).
void subscribe(room_pointer self) {
  auto& st = self->state;
  if (st.is_home() || st.subscribed || st.members.empty() || !st.home_room)
    return;
  st.subscribed = true;
  self->request(st.home_room, st.lim().actor_reply_timeout,
                subscribe_replica{st.self_node(), handle(self), st.local_user_counts(),
                                  st.last_id})
      .then([self](const std::vector<std::string>& users) { reconcile(self, users); },
            [self](caf::error& err) {
              // The home is not (yet) where this copy thought: look for it again soon.
              // A home that went is replaced by the next view instead.
              log_debug("room " + self->state.name +
                        ": subscribe failed: " + self->system().render(err));
              self->state.subscribed = false;
              retry_follow(self);
            });
}

void complete_join(room_pointer self, const caf::actor_addr& addr, std::uint64_t attempt,
                   joined answer) {
  auto& st = self->state;
  auto it = st.members.find(addr);
  if (it == st.members.end() || it->second.fed || it->second.attempt != attempt)
    return;
  auto& m = it->second;
  m.fed = true;
  if (!st.is_home())
    st.told_users.insert(answer.users.begin(), answer.users.end());
  answer.name = st.name;
  answer.room = handle(self);
  m.pending.deliver(std::move(answer));
}

// A copy that becomes home answers the joins it was waiting for itself.
void finish_pending_joins(room_pointer self) {
  auto& st = self->state;
  for (auto& [addr, m] : st.members)
    if (!m.fed) {
      auto [xs, skipped] = missed_in_memory(self, m.missed);
      complete_join(self, addr, m.attempt,
                    joined{st.name,
                           {},
                           m.missed.users ? st.users() : std::vector<std::string>{},
                           std::move(xs),
                           skipped,
                           m.missed.resume});
    }
}

// Asks the home for the room's users on behalf of a member still joining. The answer
// comes on the same link as the home's frames; the presence_diff that names the joiner
// may follow it (set operations make that harmless).
void ask_home_for(room_pointer self, const caf::actor_addr& addr) {
  auto& st = self->state;
  auto& m = st.members.at(addr);
  m.attempt = ++st.next_attempt;
  self->request(st.home_room, st.lim().actor_reply_timeout, m.missed)
      .then(
          [self, addr, attempt = m.attempt](joined& answer) {
            complete_join(self, addr, attempt, std::move(answer));
          },
          [self](caf::error&) {
            // The home went meanwhile: the next view names a new one, which is asked.
            log_debug("room " + self->state.name + ": the home did not answer a join");
          });
}

bool remove_member(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.members.find(who);
  if (it == st.members.end())
    return false;
  auto m = std::move(it->second);
  st.members.erase(it); // first, so that the leaver does not hear of its own leaving
  self->demonitor(m.conn.address());
  remove_local_user(self, m.user);
  if (!st.is_home() && st.members.empty() && st.subscribed) {
    tell_home(self, unsubscribe_replica{st.self_node()}, 0);
    st.subscribed = false;
  }
  self->send(st.router, members_changed{st.name, -1});
  return true;
}

// -- the sequence (home) ------------------------------------------------------------------

// Numbers, stamps, broadcasts (serialized once for every member) and keeps a message.
const chat_message& sequence(room_pointer self, publish& p) {
  auto& st = self->state;
  // Nobody reads a message from a name the room has not been told of yet (a joiner
  // that speaks at once, a rename with its message): its presence goes first.
  if (st.presence_touched.count(p.user) > 0)
    flush_presence_diff(self);
  st.issued_last_id = true;
  chat_message m{++st.last_id, st.name, std::move(p.text), std::move(p.user),
                 rfc3339_now()};
  frame text{encode_new_message(m)};
  // Counted before the frame leaves: a client that read it and asks /metrics sees it.
  if (p.via.empty()) // another node's clock says nothing about this one's
    st.ctx->counters->observe_broadcast(now_ns() - p.received_ns);
  broadcast(self, std::move(text), st.last_id, &m);
  if (st.ctx->amqp) // the home alone sequences: once per cluster
    self->send(st.ctx->amqp, amqp_publish{"room." + st.name, encode_message_payload(m)});
  return keep(self, std::move(m));
}

// With a store, the next block of ids is reserved at half of this one, so that the
// numbering rarely waits for the disk.
void reserve_ahead(room_pointer self) {
  auto& st = self->state;
  if (!st.store() || st.reserving || st.last_id + st.lim().id_block / 2 < st.reserved)
    return;
  st.reserving = true;
  self->request(st.store(), st.lim().actor_reply_timeout,
                reserve_ids{st.name, st.reserved + st.lim().id_block})
      .then(
          [self](std::uint64_t upto) {
            self->state.reserved = std::max(self->state.reserved, upto);
            self->state.reserving = false;
          },
          [self](caf::error&) { self->state.reserving = false; }); // next message asks
}

// With a store: sequences a message whose id is reserved, then stores it; the sender's
// ack (`rp`, when it waits for one) follows the commit.
void publish_reserved(room_pointer self, publish& p,
                      caf::typed_response_promise<chat_message> rp) {
  auto& st = self->state;
  reserve_ahead(self);
  const auto& m = sequence(self, p);
  if (!rp.pending()) {
    caf::anon_send(st.store(), store_message{m});
    return;
  }
  self->request(st.store(), caf::infinite, store_message{m})
      .then([rp, m](std::uint64_t) mutable { rp.deliver(m); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

// The home's publish. Ids are used only once the store has recorded them as reserved
// (so that after a crash the room continues after every id it may have broadcast): the
// first message after a start, or one that outran the reservation, waits for it.
caf::result<chat_message> publish_at_home(room_pointer self, publish& p) {
  auto& st = self->state;
  bool ack = self->current_message_id().is_request();
  if (!st.store()) {
    const auto& m = sequence(self, p);
    if (!ack)
      return chat_message{};
    return m;
  }
  // Only a request is answered (a plain send has nobody to answer).
  auto rp = ack ? self->make_response_promise<chat_message>()
                : caf::typed_response_promise<chat_message>{};
  if (st.last_id < st.reserved) {
    publish_reserved(self, p, rp);
    return rp;
  }
  auto upto = st.last_id + st.lim().id_block;
  self->request(st.store(), st.lim().actor_reply_timeout, reserve_ids{st.name, upto})
      .await(
          [self, p, rp](std::uint64_t reserved) mutable {
            self->state.reserved = std::max(self->state.reserved, reserved);
            publish_reserved(self, p, rp);
          },
          [self, p, rp, upto](caf::error& err) mutable {
            // Chat goes on while the disk cannot take the reservation (docs/history.md:
            // a crash in that state may reuse ids of this block).
            log_warning("room " + self->state.name +
                        ": ids not reserved: " + self->system().render(err));
            self->state.reserved = std::max(self->state.reserved, upto);
            publish_reserved(self, p, rp);
          });
  return rp;
}

// -- changes of home --------------------------------------------------------------------

// Adds the messages another copy kept and this one lacks (by id), oldest first, within
// history-size.
void merge_history(room_pointer self, const std::vector<chat_message>& xs) {
  auto& h = self->state.history;
  for (const auto& m : xs) {
    auto at = std::lower_bound(
        h.begin(), h.end(), m.id,
        [](const chat_message& x, std::uint64_t id) { return x.id < id; });
    if (at == h.end() || at->id != m.id) {
      h.insert(at, m);
      if (self->state.store()) // this node keeps what the other copies saw
        caf::anon_send(self->state.store(), store_message{m});
    }
  }
  while (h.size() > ring_capacity(self->state))
    h.pop_front();
}

// What every other node's copy knows, merged in before this copy sequences anything:
// the highest id any copy saw, and who is present where. Nothing else is handled
// meanwhile (the request is awaited), so no message is numbered twice.
//   became_home: this copy was a replica; its members were told of users by the old
//   home, so it announces only the difference. Otherwise (it stays home and nodes
//   joined, or it is new) every user the other copies bring is new to its members.
void sync(room_pointer self, bool became_home) {
  const auto& state = self->state;
  self->request(state.ctx->cluster, state.lim().cluster_reply_timeout * 2,
                sync_all{state.name})
      .await(
          [self, became_home](std::vector<room_snapshot>& copies) {
            auto& st = self->state;
            // The highest id, and whether a copy that numbered messages itself holds it:
            // if so, the ids up to it are all known. If only a replica saw it, the home
            // that issued it is gone and may have issued more that nobody saw.
            auto highest = st.last_id;
            bool issuer_answered = st.issued_last_id;
            for (const auto& c : copies)
              if (c.open && c.last_id > highest) {
                highest = c.last_id;
                issuer_answered = c.was_home;
              } else if (c.open && c.last_id == highest && c.was_home) {
                issuer_answered = true;
              }
            for (auto& c : copies) {
              if (!c.open)
                continue;
              merge_history(self, c.history);
              if (c.users.empty() || !c.copy)
                continue;
              add_replica(self, c.node, std::move(c.copy));
              if (!became_home) {
                set_remote_users(self, c.node, c.users);
                continue;
              }
              auto& users = st.remote_users[c.node];
              for (const auto& u : c.users)
                if (u.connections > 0 && users.insert(u.user).second)
                  ++st.user_total[u.user];
            }
            if (became_home) {
              // Tell the members what changed since the old home's last word: the users
              // of a node that died are gone.
              auto told = std::move(st.told_users);
              for (const auto& u : told)
                if (st.user_total.count(u) == 0)
                  touch(self, u);
              for (const auto& [u, n] : st.user_total)
                if (told.count(u) == 0)
                  touch(self, u);
              finish_pending_joins(self);
            }
            if (highest > st.last_id)
              st.issued_last_id = false;
            st.last_id = highest;
            if (highest > 0 && !issuer_answered) {
              st.last_id += st.lim().takeover_id_gap;
              log_info("room " + st.name + ": took over from a home that went; ids " +
                       "continue after " + std::to_string(st.last_id));
            }
          },
          [self](caf::error& err) {
            log_warning("room " + self->state.name +
                        ": no answer from the cluster: " + self->system().render(err));
          });
}

// Finds the home's copy (awaited: the messages that arrive meanwhile wait), then tells
// it this copy's members and asks again for the members whose join is unanswered.
void follow(room_pointer self, const std::string& node) {
  const auto& state = self->state;
  // Another node's answer: bounded by the cluster's timeout, not the actors' (this copy
  // handles nothing else meanwhile, and the node may have just stopped answering).
  self->request(state.ctx->cluster, state.lim().cluster_reply_timeout,
                room_at{node, state.name})
      .await(
          [self](room_actor& home) {
            auto& st = self->state;
            st.home_room = std::move(home);
            subscribe(self);
            for (auto& [addr, m] : st.members)
              if (!m.fed)
                ask_home_for(self, addr);
          },
          [self, node](caf::error& err) {
            log_warning("room " + self->state.name + ": cannot reach its home " + node +
                        ": " + self->system().render(err));
            retry_follow(self);
          });
}

void apply_view(room_pointer self, std::vector<std::string> nodes) {
  auto& st = self->state;
  auto old_view = std::move(st.view);
  auto old_home = st.home;
  st.view = std::move(nodes);
  st.home = home_of(st.name, st.view);
  auto in = [](const std::vector<std::string>& xs, const std::string& x) {
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  bool added = std::any_of(st.view.begin(), st.view.end(),
                           [&](const std::string& n) { return !in(old_view, n); });
  const auto& me = st.self_node();
  if (old_home == me && st.home == me) {
    for (const auto& n : old_view)
      if (!in(st.view, n))
        drop_node(self, n);
    if (added) // a node that ran alone may have numbered this room's messages too
      sync(self, false);
    return;
  }
  if (st.home == me) {
    log_debug("room " + st.name + ": home moves here from " + old_home);
    st.mode = role::home;
    st.home_room = room_actor{};
    st.subscribed = false;
    st.user_total.clear();
    for (const auto& [user, n] : st.local_users)
      st.user_total[user] = 1;
    sync(self, true);
    return;
  }
  if (!st.is_home() && old_home == st.home && st.home_room)
    return;           // still the same home's replica: nothing moved for this room
  if (st.is_home()) { // demoted: the new home learns this copy's state by its sync
    log_debug("room " + st.name + ": home moves from here to " + st.home);
    flush_presence_diff(self); // what its members were told is then all there is
    for (auto& [user, n] : st.user_total)
      st.told_users.insert(user);
    for (std::size_t i = 0; i < st.replicas.size(); ++i)
      self->send(st.router, members_changed{st.name, -1});
    st.replicas.clear();
    st.remote_users.clear();
    st.user_total.clear();
  }
  st.mode = role::replica;
  st.subscribed = false;
  follow(self, st.home);
}

// -- the behaviour ----------------------------------------------------------------------

room_actor::behavior_type room(room_pointer self, std::string name, context_ptr ctx,
                               router_actor router) {
  auto& init = self->state;
  init.name = std::move(name);
  init.ctx = std::move(ctx);
  init.router = std::move(router);
  init.view = {init.ctx->node_name};
  init.home = init.ctx->node_name;
  init.history_complete = true; // nothing was evicted yet
  self->set_down_handler([self](caf::down_msg& dm) { remove_member(self, dm.source); });
  auto ask_view = [self] {
    self->request(self->state.ctx->cluster, self->state.lim().actor_reply_timeout,
                  get_view{})
        .await([self](cluster_view& v) {
          if (v.version > self->state.view_version) {
            self->state.view_version = v.version;
            apply_view(self, std::move(v.nodes));
          }
        });
  };
  if (init.ctx->cluster) {
    // Listen for changes first, then ask for the view: the newer one wins.
    auto views = self->system().groups().get_local(view_group_name);
    views.get()->subscribe(caf::actor_cast<caf::strong_actor_ptr>(self));
    self->attach_functor([views, me = self->address()] {
      views.get()->unsubscribe(caf::actor_cast<caf::actor_control_block*>(me));
    });
  }
  if (init.store()) {
    // What this node stored of the room comes first: the sequence continues after
    // every id it stored or reserved, and joiners get its newest messages.
    self->request(init.store(), init.lim().actor_reply_timeout,
                  load_room{init.name, ring_capacity(init)})
        .await(
            [self, ask_view](loaded_room& r) {
              auto& st = self->state;
              st.last_id = std::max(st.last_id, r.last_used);
              st.reserved = st.last_id; // a reservation is for this run only
              st.history.assign(r.recent.begin(), r.recent.end());
              st.history_complete = r.complete;
              if (st.ctx->cluster)
                ask_view();
            },
            [self, ask_view](caf::error& err) {
              log_error("room " + self->state.name +
                        ": cannot load its history: " + self->system().render(err));
              if (self->state.ctx->cluster)
                ask_view();
            });
  } else if (init.ctx->cluster) {
    ask_view();
  }
  return {
      [self](publish& p) -> caf::result<chat_message> {
        auto& st = self->state;
        if (st.is_home()) {
          if (!p.via.empty())
            st.ctx->counters->peer(p.via).received(p.text.size());
          return publish_at_home(self, p);
        }
        // A replica forwards to the home and answers once the home did: the answer then
        // follows the message's own frame, which comes back on the same link.
        st.ctx->counters->peer(st.home).sent(p.text.size());
        p.via = st.self_node();
        if (!self->current_message_id().is_request()) {
          caf::anon_send(st.home_room, std::move(p));
          return chat_message{};
        }
        auto rp = self->make_response_promise<chat_message>();
        self->request(st.home_room, st.lim().actor_reply_timeout, std::move(p))
            .then([rp](chat_message& m) mutable { rp.deliver(std::move(m)); },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [self](join_room& j) -> caf::result<joined> {
        auto& st = self->state;
        auto addr = j.conn.address();
        if (st.members.count(addr) > 0) { // a change_room to the room it is in
          if (st.is_home())
            return joined{st.name, handle(self), st.users(), {}, 0, false};
          return joined{
              st.name, handle(self), {st.told_users.begin(), st.told_users.end()}, {},
              0,       false};
        }
        if (st.is_home()) {
          auto rp = self->make_response_promise<joined>();
          with_missed(
              self, j.missed,
              [self, rp, j](std::vector<chat_message> xs, std::uint64_t skipped) mutable {
                auto& s = self->state;
                // Announce before it is fed: the joiner learns the list from the
                // reply.
                add_local_user(self, j.user);
                s.members.emplace(
                    j.conn.address(),
                    member{j.conn, j.user, j.feed.to, true, {}, 0, j.missed});
                self->monitor(j.conn);
                rp.deliver(joined{s.name, handle(self),
                                  j.missed.users ? s.users() : std::vector<std::string>{},
                                  std::move(xs), skipped, j.missed.resume});
              });
          return rp;
        }
        auto rp = self->make_response_promise<joined>();
        st.members.emplace(addr,
                           member{j.conn, j.user, j.feed.to, false, rp, 0, j.missed});
        self->monitor(j.conn);
        if (st.subscribed)
          add_local_user(self, j.user);
        else {
          ++st.local_users[j.user];
          subscribe(self); // its users include this one
        }
        if (st.home_room)
          ask_home_for(self, addr);
        return rp;
      },
      [self](leave_room& l) { return remove_member(self, l.conn.address()); },
      [self](rename_member& r) {
        auto& st = self->state;
        auto it = st.members.find(r.conn.address());
        if (it == st.members.end() || it->second.user == r.user)
          return;
        // Leave under the old name, then join under the new one, as the protocol says.
        auto old = std::move(it->second.user);
        it->second.user = r.user;
        remove_local_user(self, old);
        add_local_user(self, r.user);
      },
      [self](list_members& q) -> caf::result<std::vector<std::string>> {
        if (self->state.is_home())
          return self->state.users();
        if (!self->state.home_room) // the home is being found again
          return make_error(chat_errc::no_such_node);
        return self->delegate(self->state.home_room, q);
      },
      [self](read_history& q) -> caf::result<std::vector<chat_message>> {
        auto& st = self->state;
        if (!st.is_home()) {
          if (!st.home_room) // the home is being found again
            return make_error(chat_errc::no_such_node);
          return self->delegate(st.home_room, q);
        }
        expire(self);
        const auto& h = st.history;
        auto end = h.end();
        if (q.before != 0)
          end = std::lower_bound(
              h.begin(), h.end(), q.before,
              [](const chat_message& m, std::uint64_t id) { return m.id < id; });
        auto held = static_cast<std::size_t>(end - h.begin());
        if (held >= q.limit || memory_covers(st, 0)) {
          auto n = std::min(q.limit, held);
          return std::vector<chat_message>(end - static_cast<std::ptrdiff_t>(n), end);
        }
        // Older than memory holds: the store has it.
        auto rp = self->make_response_promise<std::vector<chat_message>>();
        self->request(st.store(), st.lim().actor_reply_timeout,
                      read_messages{st.name, 0, q.before, q.limit})
            .then(
                [rp](history_page& page) mutable {
                  rp.deliver(std::move(page.messages));
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      // -- between the copies of this room on different nodes --
      [self](subscribe_replica& s) -> caf::result<std::vector<std::string>> {
        auto& st = self->state;
        if (!st.is_home()) { // the sender's view is behind: the home is elsewhere
          if (!st.home_room)
            return make_error(chat_errc::no_such_node);
          return self->delegate(st.home_room, std::move(s));
        }
        if (s.last_id > st.last_id) {
          st.last_id = s.last_id;
          st.issued_last_id = false;
        }
        add_replica(self, s.node, std::move(s.replica));
        set_remote_users(self, s.node, s.users);
        return st.users();
      },
      [self](unsubscribe_replica& u) {
        auto& st = self->state;
        if (!st.is_home()) {
          self->send(st.home_room, std::move(u));
          return;
        }
        drop_node(self, u.node);
      },
      [self](presence_change& p) {
        auto& st = self->state;
        if (!st.is_home()) {
          self->send(st.home_room, std::move(p));
          return;
        }
        st.ctx->counters->peer(p.node).received(p.user.size());
        auto& users = st.remote_users[p.node];
        if (p.delta > 0 ? users.insert(p.user).second : users.erase(p.user) > 0)
          present(self, p.user, p.delta > 0 ? +1 : -1);
        if (users.empty())
          st.remote_users.erase(p.node);
      },
      [self](replicated_frame& f) {
        auto& st = self->state;
        st.ctx->counters->peer(st.home).received(f.text.size());
        if (f.id > st.last_id) {
          st.last_id = f.id;
          st.issued_last_id = false;
        }
        if (f.message.id != 0) { // a new message: this copy encodes, keeps and stores it
          frame text{encode_new_message(f.message)};
          if (st.store())
            caf::anon_send(st.store(), store_message{f.message});
          keep(self, std::move(f.message));
          tell_members(self, text);
          return;
        }
        // A presence_diff: this copy remembers what its members were told (for when it
        // resubscribes or becomes home) and passes it on; set operations make a repeat
        // harmless.
        for (auto& u : f.joins)
          st.told_users.insert(std::move(u));
        for (const auto& u : f.leaves)
          st.told_users.erase(u);
        tell_members(self, f.text);
      },
      [self](flush_presence) {
        if (self->state.is_home())
          flush_presence_diff(self);
        else
          self->state.presence_due = false;
      },
      [self](sync_room&) {
        auto& st = self->state;
        // Every copy's recent messages: the new home keeps (and stores) what it lacks.
        return room_snapshot{st.self_node(),
                             true,
                             st.issued_last_id,
                             st.last_id,
                             st.local_user_counts(),
                             handle(self),
                             {st.history.begin(), st.history.end()}};
      },
      [self](catch_up& c) -> caf::result<joined> {
        auto& st = self->state;
        if (!st.is_home()) { // the sender's view is behind: the home is elsewhere
          if (!st.home_room)
            return make_error(chat_errc::no_such_node);
          return self->delegate(st.home_room, c);
        }
        auto rp = self->make_response_promise<joined>();
        with_missed(
            self, c,
            [self, rp, c](std::vector<chat_message> xs, std::uint64_t skipped) mutable {
              auto& s = self->state;
              rp.deliver(joined{s.name, handle(self),
                                c.users ? s.users() : std::vector<std::string>{},
                                std::move(xs), skipped, c.resume});
            });
        return rp;
      },
      [self](follow_home) {
        auto& st = self->state;
        if (!st.is_home() && !st.subscribed)
          follow(self, st.home);
      },
      [self](cluster_view& v) {
        if (v.version <= self->state.view_version)
          return;
        self->state.view_version = v.version;
        apply_view(self, std::move(v.nodes));
      },
  };
}

} // namespace

room_actor spawn_room(caf::actor_system& sys, std::string name, context_ptr ctx,
                      router_actor router) {
  return sys.spawn(room, std::move(name), std::move(ctx), std::move(router));
}

} // namespace chat
