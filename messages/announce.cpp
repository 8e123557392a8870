#include "messages/announce.hpp"

#include "messages/actor_errors.hpp"
#include "messages/amqp_contract.hpp"
#include "messages/cluster_contract.hpp"

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
  cfg.add_message_type<client_closed>("chat::client_closed");
  cfg.add_message_type<shutdown_client>("chat::shutdown_client");
  cfg.add_message_type<token_expiry>("chat::token_expiry");
  // room_actor
  cfg.add_message_type<room_actor>("chat::room_actor");
  cfg.add_message_type<join_room>("chat::join_room");
  cfg.add_message_type<joined>("chat::joined");
  cfg.add_message_type<leave_room>("chat::leave_room");
  cfg.add_message_type<publish>("chat::publish");
  cfg.add_message_type<rename_member>("chat::rename_member");
  cfg.add_message_type<list_members>("chat::list_members");
  cfg.add_message_type<read_history>("chat::read_history");
  cfg.add_message_type<user_count>("chat::user_count");
  cfg.add_message_type<subscribe_replica>("chat::subscribe_replica");
  cfg.add_message_type<unsubscribe_replica>("chat::unsubscribe_replica");
  cfg.add_message_type<presence_change>("chat::presence_change");
  cfg.add_message_type<replicated_frame>("chat::replicated_frame");
  cfg.add_message_type<sync_room>("chat::sync_room");
  cfg.add_message_type<room_snapshot>("chat::room_snapshot");
  cfg.add_message_type<cluster_view>("chat::cluster_view");
  cfg.add_message_type<follow_home>("chat::follow_home");
  cfg.add_message_type<flush_presence>("chat::flush_presence");
  cfg.add_message_type<catch_up>("chat::catch_up");
  // router_actor
  cfg.add_message_type<router_actor>("chat::router_actor");
  cfg.add_message_type<join_request>("chat::join_request");
  cfg.add_message_type<find_room>("chat::find_room");
  cfg.add_message_type<members_changed>("chat::members_changed");
  cfg.add_message_type<count_rooms>("chat::count_rooms");
  // manager_actor
  cfg.add_message_type<manager_actor>("chat::manager_actor");
  cfg.add_message_type<register_client>("chat::register_client");
  cfg.add_message_type<client_renamed>("chat::client_renamed");
  cfg.add_message_type<direct_message>("chat::direct_message");
  cfg.add_message_type<direct_frame>("chat::direct_frame");
  cfg.add_message_type<server_stats>("chat::server_stats");
  cfg.add_message_type<stats_reply>("chat::stats_reply");
  cfg.add_message_type<shutdown_server>("chat::shutdown_server");
  // cluster_actor
  cfg.add_message_type<cluster_actor>("chat::cluster_actor");
  cfg.add_message_type<node_hello>("chat::node_hello");
  cfg.add_message_type<node_welcome>("chat::node_welcome");
  cfg.add_message_type<peer_gossip>("chat::peer_gossip");
  cfg.add_message_type<node_leaving>("chat::node_leaving");
  cfg.add_message_type<open_room>("chat::open_room");
  cfg.add_message_type<sync_request>("chat::sync_request");
  cfg.add_message_type<remote_direct>("chat::remote_direct");
  cfg.add_message_type<get_view>("chat::get_view");
  cfg.add_message_type<room_at>("chat::room_at");
  cfg.add_message_type<sync_all>("chat::sync_all");
  cfg.add_message_type<deliver_direct>("chat::deliver_direct");
  cfg.add_message_type<cluster_status>("chat::cluster_status");
  cfg.add_message_type<peer_info>("chat::peer_info");
  cfg.add_message_type<leave_cluster>("chat::leave_cluster");
  cfg.add_message_type<connect_peer>("chat::connect_peer");
  cfg.add_message_type<gossip_tick>("chat::gossip_tick");
  cfg.add_message_type<cluster_wiring>("chat::cluster_wiring");
  // amqp_actor: local only (each node has its own bridge), announced like the rest
  cfg.add_message_type<amqp_actor>("chat::amqp_actor");
  cfg.add_message_type<amqp_publish>("chat::amqp_publish");
  cfg.add_message_type<amqp_wiring>("chat::amqp_wiring");
}

} // namespace chat
