#include "actors/router.hpp"

#include "actors/room.hpp"
#include "messages/actor_errors.hpp"
#include "messages/names.hpp"

#include <caf/all.hpp>
#include <unordered_map>

namespace chat {

namespace {

struct room_entry {
  room_actor actor;
  // Joins routed here minus leaves the room reported, plus the room's replicas on other
  // nodes. Counted here, not asked of the room, because a join on its way to a room
  // must keep that room from being released.
  std::size_t members = 0;
};

struct router_state {
  context_ptr ctx;
  std::unordered_map<std::string, room_entry> rooms;
  static inline const char* name = "router";
};

using router_pointer = router_actor::stateful_pointer<router_state>;

// Finds or creates the room. At max-rooms an empty room is released to make space;
// its history goes with it.
room_entry* open_room(router_pointer self, const std::string& name) {
  auto& st = self->state;
  if (auto it = st.rooms.find(name); it != st.rooms.end())
    return &it->second;
  // The first room is never refused nor released: a new connection must have a place.
  if (st.rooms.size() >= st.ctx->limits.max_rooms && name != first_room) {
    auto empty = std::find_if(st.rooms.begin(), st.rooms.end(), [](const auto& kv) {
      return kv.second.members == 0 && kv.first != first_room;
    });
    if (empty == st.rooms.end())
      return nullptr;
    self->send_exit(empty->second.actor, caf::exit_reason::user_shutdown);
    st.rooms.erase(empty);
  }
  auto room =
      spawn_room(self->system(), name, st.ctx, caf::actor_cast<router_actor>(self));
  auto* entry = &st.rooms.emplace(name, room_entry{room, 0}).first->second;
  st.ctx->counters->rooms.store(static_cast<std::int64_t>(st.rooms.size()));
  return entry;
}

router_actor::behavior_type router(router_pointer self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [name, entry] : self->state.rooms)
      self->send_exit(entry.actor, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [self](join_request& r) -> caf::result<joined> {
        auto* target = open_room(self, r.room);
        if (target == nullptr)
          return make_error(chat_errc::too_many_rooms);
        auto to = target->actor;
        join_room join{r.conn, std::move(r.user), r.missed, std::move(r.feed)};
        if (r.from == to) // already there: the room answers with its users
          return self->delegate(to, std::move(join));
        ++target->members;
        if (!r.from)
          return self->delegate(to, std::move(join));
        // Leave first and join after: no frame of the old room follows room_changed.
        auto rp = self->make_response_promise<joined>();
        auto then_join = [rp, to, join = std::move(join)]() mutable {
          rp.delegate(to, std::move(join));
        };
        self->request(r.from, caf::infinite, leave_room{r.conn})
            .then([then_join](bool) mutable { then_join(); },
                  [then_join](caf::error&) mutable { then_join(); }); // it is gone: left
        return rp;
      },
      [self](find_room& f) -> caf::result<room_actor> {
        auto& rooms = self->state.rooms;
        if (auto it = rooms.find(f.room); it != rooms.end())
          return it->second.actor;
        if (!f.create)
          return make_error(chat_errc::no_such_room);
        if (auto* entry = open_room(self, f.room))
          return entry->actor;
        return make_error(chat_errc::too_many_rooms);
      },
      [self](members_changed& m) {
        auto it = self->state.rooms.find(m.room);
        if (it == self->state.rooms.end())
          return;
        auto& n = it->second.members;
        n = m.delta < 0 && n < static_cast<std::size_t>(-m.delta) ? 0 : n + m.delta;
      },
      [self](count_rooms) { return self->state.rooms.size(); },
  };
}

} // namespace

router_actor spawn_router(caf::actor_system& sys, context_ptr ctx) {
  return sys.spawn(router, std::move(ctx));
}

} // namespace chat
