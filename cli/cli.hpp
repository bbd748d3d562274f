// The agentmetrics command as a library. The program the C library installs (main.cpp), the
// Python extension (`python -m agentmetrics`) and the Node addon (`npx agentmetrics`) each run
// this one entry point with their own copy of the core and their own HTTP client.
#pragma once
#include <agentmetrics/metrics_c.h>

namespace agmcli {

// Runs the command line `argv` (argv[0] is the program's name) and returns its exit code, as
// the agentmetrics program's main() does: the core's ABI is checked, SIGPIPE is ignored (a
// closed reader is a write error), every failure is printed to stderr and becomes an exit code.
// All output goes straight to file descriptors 1 and 2 (no stdio or iostream buffers, which
// belong to the host).
// `send` performs the HTTP requests of `export --endpoint` (agm_otlp_options.send) on the
// calling thread; NULL: there is no HTTP client, and a push fails saying so. Never throws.
int main(int argc, char **argv, agm_http_send_fn send, void *send_user) noexcept;

}  // namespace agmcli
