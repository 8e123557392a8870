#include "actors/room.hpp"

#include "messages/atoms.hpp"
#include "messages/codec.hpp"
#include "messages/frame.hpp"
#include "messages/timestamp.hpp"

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <unordered_map>

namespace chat {

namespace {

struct member {
  caf::actor conn;
  std::string user;
};

struct room_state {
  std::string name;
  chat_limits limits;
  caf::actor router;
  caf::group group;
  std::unordered_map<caf::actor_addr, member> members;
  std::unordered_map<std::string, std::size_t> connections_of; // user -> connections here
  std::uint64_t last_id = 0;
  std::deque<chat_message> history;
  chat_message pending; // the last message, when history-size is 0

  bool announces_presence() const {
    return members.size() <= limits.presence_max_members;
  }

  std::vector<std::string> users() const {
    std::vector<std::string> xs;
    xs.reserve(std::min(connections_of.size(), limits.presence_max_members));
    for (const auto& [user, n] : connections_of) {
      if (xs.size() == limits.presence_max_members)
        break;
      xs.push_back(user);
    }
    std::sort(xs.begin(), xs.end());
    return xs;
  }
};

using room_actor = caf::stateful_actor<room_state>;

void broadcast(room_actor* self, std::string text) {
  self->send(self->state.group, deliver_atom::value, make_frame(std::move(text)));
}

// Counts one more connection of `user`; announces the user when it is the first.
void add_user(room_actor* self, const std::string& user) {
  auto& st = self->state;
  if (st.connections_of[user]++ == 0 && st.announces_presence())
    broadcast(self, encode_user_joined(st.name, user));
}

void remove_user(room_actor* self, const std::string& user) {
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
const chat_message& publish(room_actor* self, const std::string& user, std::string text,
                            std::int64_t received_ns) {
  auto& st = self->state;
  st.pending = chat_message{++st.last_id, st.name, std::move(text), user, rfc3339_now()};
  broadcast(self, encode_new_message(st.pending));
  st.limits.counters->observe_broadcast(now_ns() - received_ns);
  if (st.limits.history_size == 0)
    return st.pending;
  if (st.history.size() == st.limits.history_size)
    st.history.pop_front();
  st.history.push_back(std::move(st.pending));
  return st.history.back();
}

bool remove_member(room_actor* self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.members.find(who);
  if (it == st.members.end())
    return false;
  auto m = std::move(it->second);
  st.members.erase(it);
  // Unsubscribe first so the leaver does not hear its own user_left.
  st.group.get()->unsubscribe(caf::actor_cast<caf::actor_control_block*>(m.conn));
  self->demonitor(m.conn);
  remove_user(self, m.user);
  self->send(st.router, leave_atom::value, st.name);
  return true;
}

} // namespace

caf::actor spawn_room(caf::actor_system& sys, std::string name, const chat_limits& limits,
                      caf::actor router) {
  auto group = sys.groups().get_local("room:" + name);
  return sys.spawn([name, limits, router, group](room_actor* self) -> caf::behavior {
    auto& init = self->state;
    init.name = name;
    init.limits = limits;
    init.router = router;
    init.group = group;
    self->set_down_handler([self](caf::down_msg& dm) { remove_member(self, dm.source); });
    return {
        [self](join_atom, const caf::actor& conn, const std::string& user) {
          auto& st = self->state;
          auto addr = conn.address();
          if (st.members.count(addr) == 0) {
            // Announce before subscribing: the joiner learns the list from the reply.
            add_user(self, user);
            st.members.emplace(addr, member{conn, user});
            st.group.get()->subscribe(caf::actor_cast<caf::strong_actor_ptr>(conn));
            self->monitor(conn);
          }
          return caf::make_message(std::string{}, caf::actor{self}, st.users());
        },
        [self](leave_atom, const caf::actor& conn) {
          return remove_member(self, conn.address());
        },
        [self](publish_atom, const std::string&, const std::string& user,
               std::string& text, const std::string& ref, const caf::actor& sender,
               std::int64_t received_ns) {
          const auto& m = publish(self, user, std::move(text), received_ns);
          if (!ref.empty())
            self->send(sender, deliver_atom::value,
                       make_frame(encode_ack(ref, m.id, self->state.name)));
        },
        // From the HTTP API: answers with the new_message payload.
        [self](publish_atom, const std::string&, const std::string& user,
               std::string& text, std::int64_t received_ns) {
          return encode_message_payload(
              publish(self, user, std::move(text), received_ns));
        },
        [self](rename_atom, const std::string&, const caf::actor& conn,
               const std::string& user) {
          auto& st = self->state;
          auto it = st.members.find(conn.address());
          if (it == st.members.end() || it->second.user == user)
            return;
          // Leave under the old name, then join under the new one, as the protocol says.
          auto old = std::move(it->second.user);
          it->second.user = user;
          remove_user(self, old);
          add_user(self, user);
        },
        [self](users_atom, const std::string&) { return self->state.users(); },
        [self](history_atom, const std::string&, std::uint64_t before,
               std::size_t limit) {
          auto& st = self->state;
          auto end = st.history.end();
          if (before != 0)
            end = std::lower_bound(
                st.history.begin(), st.history.end(), before,
                [](const chat_message& m, std::uint64_t id) { return m.id < id; });
          auto n = std::min<std::size_t>(
              limit, static_cast<std::size_t>(end - st.history.begin()));
          std::vector<chat_message> xs(end - static_cast<std::ptrdiff_t>(n), end);
          return make_frame(encode_history(st.name, xs));
        },
    };
  });
}

} // namespace chat
