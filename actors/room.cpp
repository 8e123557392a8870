#include "actors/room.hpp"

#include "base/timestamp.hpp"
#include "messages/codec.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <unordered_map>

namespace chat {

namespace {

struct member {
  connection_actor conn;
  std::string user;
};

struct room_state {
  std::string name;
  context_ptr ctx;
  router_actor router;
  caf::group group;
  std::unordered_map<caf::actor_addr, member> members;
  std::unordered_map<std::string, std::size_t> connections_of; // user -> connections here
  std::uint64_t last_id = 0;
  std::deque<chat_message> history;
  chat_message pending; // the last message, when history-size is 0

  const limits& lim() const { return ctx->limits; }

  bool announces_presence() const { return members.size() <= lim().presence_max_members; }

  std::vector<std::string> users() const {
    auto cap = lim().presence_max_members;
    std::vector<std::string> xs;
    xs.reserve(std::min(connections_of.size(), cap));
    for (const auto& [user, n] : connections_of) {
      if (xs.size() == cap)
        break;
      xs.push_back(user);
    }
    std::sort(xs.begin(), xs.end());
    return xs;
  }
};

using room_pointer = room_actor::stateful_pointer<room_state>;

// One message to every member: the frame is built once and its buffer shared. Typed
// actors may not send() to a group, so the room enqueues into it with itself as sender.
void broadcast(room_pointer self, std::string text) {
  self->state.group.get()->enqueue(self->ctrl(), caf::make_message_id(),
                                   caf::make_message(frame{std::move(text)}),
                                   self->context());
}

// Counts one more connection of `user`; announces the user when it is the first.
void add_user(room_pointer self, const std::string& user) {
  auto& st = self->state;
  if (st.connections_of[user]++ == 0 && st.announces_presence())
    broadcast(self, encode_user_joined(st.name, user));
}

void remove_user(room_pointer self, const std::string& user) {
  auto& st = self->state;
  auto it = st.connections_of.find(user);
  if (it == st.connections_of.end())
    return;
  if (--it->second == 0) {
    st.connections_of.erase(it);
    if (st.announces_presence())
      broadcast(self, encode_user_left(st.name, user));
  }
}

// Numbers, stamps, broadcasts (serialized once for every member) and keeps a message.
const chat_message& publish_message(room_pointer self, publish& p) {
  auto& st = self->state;
  st.pending = chat_message{++st.last_id, st.name, std::move(p.text), std::move(p.user),
                            rfc3339_now()};
  broadcast(self, encode_new_message(st.pending));
  st.ctx->counters->observe_broadcast(now_ns() - p.received_ns);
  if (st.lim().history_size == 0)
    return st.pending;
  if (st.history.size() == st.lim().history_size)
    st.history.pop_front();
  st.history.push_back(std::move(st.pending));
  return st.history.back();
}

bool remove_member(room_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.members.find(who);
  if (it == st.members.end())
    return false;
  auto m = std::move(it->second);
  st.members.erase(it);
  // Unsubscribe first so the leaver does not hear its own user_left.
  st.group.get()->unsubscribe(caf::actor_cast<caf::actor_control_block*>(m.conn));
  self->demonitor(m.conn.address());
  remove_user(self, m.user);
  self->send(st.router, member_left{st.name});
  return true;
}

room_actor::behavior_type room(room_pointer self, std::string name, context_ptr ctx,
                               router_actor router, caf::group group) {
  auto& init = self->state;
  init.name = std::move(name);
  init.ctx = std::move(ctx);
  init.router = std::move(router);
  init.group = std::move(group);
  self->set_down_handler([self](caf::down_msg& dm) { remove_member(self, dm.source); });
  return {
      [self](publish& p) { return publish_message(self, p); },
      [self](join_room& j) {
        auto& st = self->state;
        auto addr = j.conn.address();
        if (st.members.count(addr) == 0) {
          // Announce before subscribing: the joiner learns the list from the reply.
          add_user(self, j.user);
          st.members.emplace(addr, member{j.conn, j.user});
          st.group.get()->subscribe(caf::actor_cast<caf::strong_actor_ptr>(j.conn));
          self->monitor(j.conn);
        }
        return joined{st.name, caf::actor_cast<room_actor>(self), st.users()};
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
        remove_user(self, old);
        add_user(self, r.user);
      },
      [self](list_members) { return self->state.users(); },
      [self](read_history& q) {
        const auto& h = self->state.history;
        auto end = h.end();
        if (q.before != 0)
          end = std::lower_bound(
              h.begin(), h.end(), q.before,
              [](const chat_message& m, std::uint64_t id) { return m.id < id; });
        auto n =
            std::min<std::size_t>(q.limit, static_cast<std::size_t>(end - h.begin()));
        return std::vector<chat_message>(end - static_cast<std::ptrdiff_t>(n), end);
      },
  };
}

} // namespace

room_actor spawn_room(caf::actor_system& sys, std::string name, context_ptr ctx,
                      router_actor router) {
  auto group = sys.groups().get_local("room:" + name);
  return sys.spawn(room, std::move(name), std::move(ctx), std::move(router),
                   std::move(group));
}

} // namespace chat
