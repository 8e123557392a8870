#include "actors/router.hpp"

#include "actors/room.hpp"
#include "messages/atoms.hpp"
#include "messages/codec.hpp"
#include "messages/frame.hpp"
#include "messages/names.hpp"

#include <caf/all.hpp>
#include <unordered_map>

namespace chat {

namespace {

struct room_entry {
  caf::actor actor;
  std::size_t members =
      0; // counted here: joins pass through the router, leaves are reported
};

struct router_state {
  chat_limits limits;
  caf::actor manager;
  std::unordered_map<std::string, room_entry> rooms;
  static inline const char* name = "router";
};

using router_actor = caf::stateful_actor<router_state>;

caf::message join_refused(std::string why) {
  return caf::make_message(std::move(why), caf::actor{}, std::vector<std::string>{});
}

// Finds or creates the room. At max-rooms an empty room is released to make space;
// its history goes with it (CAF keeps the local group itself, see docs/configuration.md).
room_entry* open_room(router_actor* self, const std::string& name) {
  auto& st = self->state;
  if (auto it = st.rooms.find(name); it != st.rooms.end())
    return &it->second;
  // The first room is never refused nor released: a new connection must have a place.
  if (st.rooms.size() >= st.limits.max_rooms && name != first_room) {
    auto empty = std::find_if(st.rooms.begin(), st.rooms.end(), [](const auto& kv) {
      return kv.second.members == 0 && kv.first != first_room;
    });
    if (empty == st.rooms.end())
      return nullptr;
    self->send_exit(empty->second.actor, caf::exit_reason::user_shutdown);
    st.rooms.erase(empty);
  }
  auto room = spawn_room(self->system(), name, st.limits, caf::actor{self});
  auto* entry = &st.rooms.emplace(name, room_entry{room, 0}).first->second;
  st.limits.counters->rooms.store(static_cast<std::int64_t>(st.rooms.size()));
  return entry;
}

std::string too_many_rooms(router_actor* self) {
  return "too many rooms: the server holds at most " +
         std::to_string(self->state.limits.max_rooms) + " rooms and none is empty";
}

caf::actor find_room(router_actor* self, const std::string& name) {
  auto it = self->state.rooms.find(name);
  return it == self->state.rooms.end() ? caf::actor{} : it->second.actor;
}

} // namespace

caf::actor spawn_router(caf::actor_system& sys, const chat_limits& limits,
                        caf::actor manager) {
  return sys.spawn([limits, manager](router_actor* self) -> caf::behavior {
    self->state.limits = limits;
    self->state.manager = manager;
    self->set_exit_handler([self](caf::exit_msg& msg) {
      for (auto& [name, entry] : self->state.rooms)
        self->send_exit(entry.actor, msg.reason);
      self->quit(msg.reason);
    });
    return {
        [self](join_atom, const std::string& room, const std::string& user,
               const caf::actor& conn, const std::string& old_room) {
          auto rp = self->make_response_promise();
          auto* target = open_room(self, room);
          if (target == nullptr) {
            rp.deliver(join_refused(too_many_rooms(self)));
            return rp;
          }
          auto target_actor = target->actor;
          auto old = old_room == room ? caf::actor{} : find_room(self, old_room);
          if (old_room != room)
            ++target->members;
          if (!old) {
            rp.delegate(target_actor, join_atom::value, conn, user);
            return rp;
          }
          // Leave first and join after: no frame of the old room follows room_changed.
          self->request(old, caf::infinite, leave_atom::value, conn)
              .then([=](bool) mutable {
                rp.delegate(target_actor, join_atom::value, conn, user);
              });
          return rp;
        },
        [self](leave_atom, const std::string& room) {
          if (auto it = self->state.rooms.find(room); it != self->state.rooms.end())
            if (it->second.members > 0)
              --it->second.members;
        },
        [self](publish_atom a, const std::string& room, std::string& user,
               std::string& text, std::string& ref, caf::actor& sender,
               std::int64_t received_ns) {
          if (auto dest = find_room(self, room))
            self->delegate(dest, a, room, std::move(user), std::move(text),
                           std::move(ref), std::move(sender), received_ns);
        },
        // From the HTTP API: creates the room when needed, like a change_room would.
        [self](publish_atom a, const std::string& room, std::string& user,
               std::string& text, std::int64_t received_ns) {
          auto rp = self->make_response_promise();
          auto* entry = open_room(self, room);
          if (entry == nullptr) {
            rp.deliver(too_many_rooms(self), std::string{});
            return rp;
          }
          self->request(entry->actor, caf::infinite, a, room, std::move(user),
                        std::move(text), received_ns)
              .then([rp](std::string& payload) mutable {
                rp.deliver(std::string{}, std::move(payload));
              });
          return rp;
        },
        [self](rename_atom a, const std::string& room, caf::actor& conn,
               std::string& user) {
          if (auto dest = find_room(self, room))
            self->delegate(dest, a, room, std::move(conn), std::move(user));
        },
        [self](users_atom a, const std::string& room) {
          auto rp = self->make_response_promise();
          if (auto dest = find_room(self, room))
            rp.delegate(dest, a, room);
          else
            rp.deliver(std::vector<std::string>{});
          return rp;
        },
        [self](history_atom a, const std::string& room, std::uint64_t before,
               std::size_t limit) {
          auto rp = self->make_response_promise();
          if (auto dest = find_room(self, room))
            rp.delegate(dest, a, room, before, limit);
          else
            rp.deliver(make_frame(encode_history(room, {})));
          return rp;
        },
        [self](direct_atom a, std::string& from, std::string& to, std::string& message,
               std::string& ref, caf::actor& sender) {
          self->delegate(self->state.manager, a, std::move(from), std::move(to),
                         std::move(message), std::move(ref), std::move(sender));
        },
        [self](count_atom) { return self->state.rooms.size(); },
    };
  });
}

} // namespace chat
