// Every limit the server enforces, in one place, each with the reason it exists (the way
// uWebSockets' WebSocketBehavior names each of its limits). Fields that are [chat] keys
// take their default from here: app/settings.hpp binds them to their keys, so the default
// below is the only one. The others are fixed by the protocol or by measurement.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace chat {

struct limits {
  using duration = std::chrono::nanoseconds; // caf::timespan's type: binds to CAF options

  // -- one client's frames --------------------------------------------------------
  // A frame bigger than this closes its client with 1009: bounds what one read may buffer.
  std::size_t max_frame_bytes = 4096;
  // The longest chat message, in characters: what a reader can be asked to display.
  std::size_t max_message_chars = 2000;
  // Frames per second per connection (token bucket refill): one client cannot flood a room.
  std::size_t rate_limit = 20;
  // Frames a connection may send at once (bucket size): typing bursts are not punished.
  std::size_t rate_burst = 40;
  // Protocol errors in a row before close 1008: a broken client stops costing us.
  std::size_t max_errors_in_row = 20;
  // The most messages one `history` request may ask for (PROTOCOL.md: limit 1..200).
  std::size_t max_history_query = 200;

  // -- one client's backlog and liveness ------------------------------------------
  // Bytes queued for one client before close 1013: a reader that stops cannot grow us.
  std::size_t max_outbound_bytes = 1 << 20;
  // Silence after which a client is pinged: finds dead peers behind NATs that drop
  // silently. Each ping costs the server two system calls and two wake-ups (16-30 us on
  // the bench VM), so 30 s, not the seed's 9 s: 19,000 idle clients then cost under
  // 2 % of a core, and the ping still comes well within the 60 s idle timeout of common
  // proxies (nginx's proxy_read_timeout, cloud load balancers). A dead peer is gone
  // within ping-interval + pong-timeout.
  duration ping_interval = std::chrono::seconds(30);
  // Silence after a ping before the socket is dropped; also bounds a close handshake.
  duration pong_timeout = std::chrono::seconds(10);
  // Liveness deadlines are rounded up to a multiple of this (at most ping-interval / 4):
  // the timers of thousands of idle clients then expire together, in one wake-up of the
  // io thread and one timer update, instead of one each. A ping may come this much late.
  duration liveness_slack = std::chrono::milliseconds(250);

  // -- the whole server ------------------------------------------------------------
  // Open WebSockets; more get HTTP 503: descriptors and memory are finite.
  std::size_t max_connections = 10000;
  // Rooms held; at the bound an empty one is released: each keeps its history in memory.
  std::size_t max_rooms = 10000;
  // An actor's wait for another's answer (a join, a history): past it the server is
  // overloaded and the client is closed with 1011 rather than left hanging.
  duration actor_reply_timeout = std::chrono::seconds(10);
  // An HTTP endpoint's wait for the actors; past it the answer is 503.
  duration api_reply_timeout = std::chrono::seconds(2);
  // SIGTERM to exit: the clients' close handshakes, then the actors.
  duration shutdown_grace = std::chrono::milliseconds(1500);
  // A node's wait for another node (a room's copy, a direct message, a sync): past it
  // that node is taken as gone for this request.
  duration cluster_reply_timeout = std::chrono::seconds(2);
  // A room's copy that could not reach its home looks for it again after this long.
  duration cluster_retry_delay = std::chrono::milliseconds(250);
  // Ids a room's home that died may have handed out unseen by any other node: the node
  // that takes over starts after them, so that no client ever sees an id twice.
  std::uint64_t takeover_id_gap = 1000;
  // Presence changes of a room go out as one presence_diff per interval: a storm of n
  // joins costs each member a frame per interval, not one per join (n^2 frames). Short
  // enough that a human sees a join as it happens.
  duration presence_interval = std::chrono::milliseconds(250);
  // Rooms bigger than this send no presence_diff and cap users lists: the bytes of
  // presence still grow with members x joins (a 10000-member list is ~100 KiB per join).
  std::size_t presence_max_members = 10000;
  // Messages each room keeps for `history`: memory is max-rooms x history-size x size.
  std::size_t history_size = 100;

  // -- durable history (actors/history, store/) ---------------------------------------
  // Messages a joiner gets in a `history` event right after room_changed: context.
  std::size_t join_history = 20;
  // The most missed messages a resuming client (`since`) gets; more: history_truncated.
  std::size_t resume_max = 1000;
  // Stored messages older than this are removed (0: kept forever): the file's bound.
  duration history_max_age = duration::zero();
  // Stored messages kept per room, the newest (0: no bound).
  std::size_t history_max_per_room = 0;
  // Ids a room reserves on disk at a time: a crash skips at most this many ids.
  std::uint64_t id_block = 1000;
  // Messages waiting for the store while it cannot write (disk full) before the oldest
  // is given up (and never acked): a store that stays broken cannot grow us.
  std::size_t max_unstored = 100000;
  // A failed write is tried again after this long; failures are logged at most once
  // per history_error_log_interval.
  duration history_retry_delay = std::chrono::seconds(1);
  duration history_error_log_interval = std::chrono::seconds(10);
  // Retention runs this often and removes at most history_trim_batch rows per pass of
  // one rule, so that it never holds the writer for long.
  duration history_trim_interval = std::chrono::seconds(1);
  std::size_t history_trim_batch = 1000;

  // -- the AMQP bridge (actors/amqp_bridge, bridge/) ----------------------------------
  // The bridge's thread waits this long on the broker per turn, then reads its mailbox:
  // the most a room's message waits before it is published while the broker is quiet.
  duration amqp_poll_timeout = std::chrono::milliseconds(10);
  // Frames read from the broker per turn before the mailbox gets its turn again.
  std::size_t amqp_poll_batch = 64;
  // Reconnecting: the first try after amqp_backoff_min, doubling up to amqp_backoff_max:
  // a broker that restarts is back in use within seconds, one that stays down costs one
  // connection attempt per amqp_backoff_max.
  duration amqp_backoff_min = std::chrono::milliseconds(250);
  duration amqp_backoff_max = std::chrono::seconds(10);
  // Connect, login and each declaration give up after this: a broker that does not
  // answer cannot hold the bridge's thread (and its mailbox) for long.
  duration amqp_timeout = std::chrono::seconds(2);
  // AMQP heartbeat (seconds): a broker gone without closing the socket is noticed
  // within about twice this.
  std::uint16_t amqp_heartbeat_s = 10;
  // Posts from the inbound queue delivered and not yet acked (basic.qos prefetch): how
  // many wait for their rooms at once.
  std::uint16_t amqp_prefetch = 64;
  // Published messages waiting for the broker's confirm; beyond it new messages are
  // dropped (and counted): a broker that stops confirming cannot grow us.
  std::size_t amqp_max_unconfirmed = 10000;

  // -- HTTP and the handshake (net/) -------------------------------------------------
  // A request head larger than this gets 431: headers are held in memory while parsed.
  std::size_t http_header_bytes = 8 * 1024;
  // A request body larger than this gets 413: the REST API's bodies are small JSON.
  std::size_t http_body_bytes = 64 * 1024;
  // Each HTTP request must arrive whole, and a WebSocket handshake complete, within this
  // time: an unfinished request or a slowloris client holds a socket no longer.
  duration handshake_timeout = std::chrono::seconds(5);
  // After accept() fails for want of descriptors (or memory), wait this long before the
  // next try instead of spinning on a listen queue that cannot be served.
  duration accept_backoff = std::chrono::milliseconds(100);
  // Such failures are logged at most once per this interval, with their count.
  duration accept_error_log_interval = std::chrono::seconds(5);
  // A refused upgrade's answer gets this long to leave before the socket is cut.
  duration reject_linger = std::chrono::seconds(5);
  // Bytes read from a WebSocket at a time: an idle client then holds a small buffer;
  // a message is assembled over several reads (a whole-message read reserves 1.5 KiB).
  std::size_t read_chunk_bytes = 128;
  // Write buffers a client keeps once all is sent (two: one filling, one in flight):
  // room for a few chat frames without an allocation each; larger ones, grown by a
  // burst, are released, so an idle client holds at most twice this.
  std::size_t write_buffer_keep_bytes = 512;
  // A frame payload at least this large is sent from the buffer its recipients share
  // instead of being copied into each one's write buffer: a room's presence_diff in a
  // connect storm goes to thousands; smaller frames are cheaper to copy than to track.
  std::size_t write_share_bytes = 1024;
};

} // namespace chat
