// One benchmark run: connect the clients, move them into rooms, send paced messages, drain,
// hold, close, and fill in a Report. The phases run on the caller's thread, which only
// waits and watches; all network work runs on the io threads.
#pragma once

#include "options.hpp"
#include "report.hpp"

namespace bench {

// Runs the scenario that `o` describes and returns its figures (exit_code included).
Report run_load(const Options& o);

// Makes the run stop at the next check and report what it has (for SIGINT/SIGTERM).
void request_stop();

} // namespace bench
