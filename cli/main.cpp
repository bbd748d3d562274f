// The agentmetrics program of the C library: the command (agmcli::main) with libcurl as its HTTP
// client when the build found libcurl (meson option cli_http), else with none.
#include "cli.hpp"
#ifdef AGM_CLI_CURL
#include "http_curl.hpp"
#endif

int main(int argc, char **argv) {
#ifdef AGM_CLI_CURL
  agmcli::CurlClient http;
  return agmcli::main(argc, argv, agmcli::CurlClient::send, &http);
#else
  return agmcli::main(argc, argv, nullptr, nullptr);
#endif
}
