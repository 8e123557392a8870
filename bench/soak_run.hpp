// The soak: one chatd for --duration seconds (default 600) under a steady mix of churn,
// with exact delivery accounting where the protocol promises delivery, and the server's
// memory and CPU sampled over time (docs/reliability.md, "Soak").
//
// A mode of chat-loadgen rather than a program of its own: it needs the same WebSocket
// client, wire format, probe and /proc readings, and the same flags for the server. It is
// a class of its own beside LoadRun because its clients come and go (a slot gets a new
// connection after the old one closed), where LoadRun's are connected once, in phases.
//
// Four roles, each a set of slots (client indexes), all on one io thread:
//   stable      readers in rooms s<k> of --room-size that never leave and always read.
//               Members take turns sending, paced; every message must reach every member
//               once, in order per sender (per-sender bitsets, as fanout/rooms do).
//   slow        members of the busy rooms (the first --busy-rooms stable rooms, more and
//               bigger messages) that stop reading for a while, then read again. The
//               server may close them with 1013 (or drop them for an unanswered ping):
//               counted, not an error; they reconnect. One that the server did not close
//               must have received everything sent after its room_changed.
//   room churn  change_room among the rooms c<k> every few seconds, a message after half
//               of the changes; every change_room must get its room_changed.
//   conn churn  the remaining slots: connect at --connect-rate, say something, leave after
//               a while (close 1000, or the socket cut). One in 50 sends invalid frames
//               until the server closes it with 1008 (on purpose: that is the policy path).
// Every client checks that no frame names a room it is not in (by its last welcome or
// room_changed).
#pragma once

#include "options.hpp"
#include "soak_report.hpp"

namespace bench {

SoakReport run_soak(const Options& o);

// Makes the soak stop at its next check and report what it has (SIGINT/SIGTERM).
void request_soak_stop();

} // namespace bench
