#include "messages/announce.hpp"

#include "messages/actor_errors.hpp"
#include "messages/manager_contract.hpp"
#include "messages/router_contract.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace chat {

void announce_message_types(caf::actor_system_config& cfg) {
  cfg.add_error_category(chat_error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message&) {
                           return "chat: " + to_string(static_cast<chat_errc>(code));
                         });
  // What every actor may receive or answer.
  cfg.add_message_type<frame>("chat::frame");
  cfg.add_message_type<chat_message>("chat::chat_message");
  // connection_actor
  cfg.add_message_type<connection_actor>("chat::connection_actor");
  cfg.add_message_type<client_upgraded>("chat::client_upgraded");
  cfg.add_message_type<client_text>("chat::client_text");
  cfg.add_message_type<client_binary>("chat::client_binary");
  cfg.add_message_type<client_pong>("chat::client_pong");
  cfg.add_message_type<client_closed>("chat::client_closed");
  cfg.add_message_type<ping_client>("chat::ping_client");
  cfg.add_message_type<drop_client>("chat::drop_client");
  cfg.add_message_type<shutdown_client>("chat::shutdown_client");
  // room_actor
  cfg.add_message_type<room_actor>("chat::room_actor");
  cfg.add_message_type<join_room>("chat::join_room");
  cfg.add_message_type<joined>("chat::joined");
  cfg.add_message_type<leave_room>("chat::leave_room");
  cfg.add_message_type<publish>("chat::publish");
  cfg.add_message_type<rename_member>("chat::rename_member");
  cfg.add_message_type<list_members>("chat::list_members");
  cfg.add_message_type<read_history>("chat::read_history");
  // router_actor
  cfg.add_message_type<router_actor>("chat::router_actor");
  cfg.add_message_type<join_request>("chat::join_request");
  cfg.add_message_type<find_room>("chat::find_room");
  cfg.add_message_type<member_left>("chat::member_left");
  cfg.add_message_type<count_rooms>("chat::count_rooms");
  // manager_actor
  cfg.add_message_type<manager_actor>("chat::manager_actor");
  cfg.add_message_type<register_client>("chat::register_client");
  cfg.add_message_type<client_renamed>("chat::client_renamed");
  cfg.add_message_type<client_alive>("chat::client_alive");
  cfg.add_message_type<direct_message>("chat::direct_message");
  cfg.add_message_type<server_stats>("chat::server_stats");
  cfg.add_message_type<stats_reply>("chat::stats_reply");
  cfg.add_message_type<shutdown_server>("chat::shutdown_server");
  cfg.add_message_type<ping_tick>("chat::ping_tick");
  cfg.add_message_type<pong_deadline>("chat::pong_deadline");
}

} // namespace chat
