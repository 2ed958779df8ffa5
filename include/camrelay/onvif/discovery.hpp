#pragma once
// WS-Discovery (UDP 3702, multicast 239.255.255.250) for ONVIF, both ways: camrelay's
// device answers Probes (Responder), and camrelay finds devices on the LAN (probe()).
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "camrelay/onvif/device.hpp"

namespace camrelay::onvif {

inline constexpr const char* kDiscoveryGroup = "239.255.255.250";

// The Probe a client multicasts (Types dn:NetworkVideoTransmitter).
std::string probe_message(const std::string& message_id);

struct ProbeMatch {
  std::string endpoint;               // urn:uuid:…
  std::vector<std::string> xaddrs;    // device service URLs
  std::vector<std::string> scopes;
  std::string types;
};
// ProbeMatches in `xml` answering `message_id` ("" = any). Throws Error(invalid_argument).
std::vector<ProbeMatch> parse_probe_matches(const std::string& xml, const std::string& message_id);

// A Probe's MessageID when `xml` is a Probe this device should answer (Types absent, or
// naming NetworkVideoTransmitter or Device); "" otherwise.
std::string probe_to_answer(const std::string& xml);

// Blocking: multicasts a Probe from each interface address (none = the default route) and
// collects the matches that arrive within `wait`, one per endpoint.
std::vector<ProbeMatch> probe(const std::vector<std::string>& interfaces, int port, std::chrono::milliseconds wait);

class Responder {
 public:
  struct Options {
    std::vector<std::string> interfaces;  // IPv4 addresses whose networks are answered; none = all
    int port = 3702;
    DeviceIdentity identity;
    std::string scopes;
    // The device service URL to announce, given the local address that reaches the prober.
    std::function<std::string(const std::string& local_ip)> xaddr;
  };
  Responder(boost::asio::io_context& io, Options o);
  ~Responder();
  void start();  // throws Error(unavailable) when the port cannot be bound
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace camrelay::onvif
