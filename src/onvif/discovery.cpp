#include "camrelay/onvif/discovery.hpp"

#include <boost/asio/ip/multicast.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <map>
#include <mutex>
#include <sstream>

#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::onvif {
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

std::string uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw Error(Errc::internal, "no random bytes");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return fmt::format("urn:uuid:{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                     b[15]);
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

asio::ip::address_v4 v4(const std::string& ip, const char* what) {
  boost::system::error_code ec;
  auto a = asio::ip::make_address_v4(ip, ec);
  if (ec) throw Error(Errc::invalid_argument, fmt::format("{}: not an IPv4 address: {}", what, ip));
  return a;
}

}  // namespace

std::string probe_message(const std::string& message_id) {
  const std::string header =
      "<wsa:MessageID>" + escape(message_id) +
      "</wsa:MessageID><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>";
  return envelope("<d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe>", header);
}

std::vector<ProbeMatch> parse_probe_matches(const std::string& xml, const std::string& message_id) {
  Message m = parse_message(xml);
  if (m.operation.local_name() != "ProbeMatches") return {};
  if (!message_id.empty() && m.header && m.header.child("RelatesTo").text() != message_id) return {};
  std::vector<ProbeMatch> out;
  for (const Node& pm : m.operation.children("ProbeMatch")) {
    ProbeMatch p;
    p.endpoint = pm.path({"EndpointReference", "Address"}).text();
    p.xaddrs = words(pm.child("XAddrs").text());
    p.scopes = words(pm.child("Scopes").text());
    p.types = pm.child("Types").text();
    if (!p.xaddrs.empty()) out.push_back(std::move(p));
  }
  return out;
}

std::string probe_to_answer(const std::string& xml) {
  Message m = parse_message(xml);
  if (m.operation.local_name() != "Probe") return {};
  const std::string types = m.operation.child("Types").text();
  if (!types.empty()) {
    bool wanted = false;
    for (const auto& t : words(types)) {
      // A QName: the local part decides (prefixes are the sender's).
      auto local = t.substr(t.find(':') == std::string::npos ? 0 : t.find(':') + 1);
      if (local == "NetworkVideoTransmitter" || local == "Device") wanted = true;
    }
    if (!wanted) return {};
  }
  std::string id = m.header ? m.header.child("MessageID").text() : std::string();
  return id.empty() ? std::string("urn:uuid:00000000-0000-0000-0000-000000000000") : id;
}

std::vector<ProbeMatch> probe(const std::vector<std::string>& interfaces, int port, std::chrono::milliseconds wait) {
  asio::io_context io;
  const std::string id = uuid();
  const std::string msg = probe_message(id);
  const udp::endpoint group(asio::ip::make_address_v4(kDiscoveryGroup), static_cast<unsigned short>(port));
  // One socket per interface, each with its own receive buffer.
  struct Rx {
    explicit Rx(asio::io_context& io) : socket(io) {}
    udp::socket socket;
    std::array<char, 65536> buf{};
    udp::endpoint from;
  };
  std::vector<std::unique_ptr<Rx>> sockets;
  std::vector<std::string> outs = interfaces.empty() ? std::vector<std::string>{""} : interfaces;
  for (const auto& ifc : outs) {
    auto rx = std::make_unique<Rx>(io);
    auto& s = rx->socket;
    s.open(udp::v4());
    if (!ifc.empty()) {
      auto a = v4(ifc, "onvif.interfaces");
      s.set_option(asio::ip::multicast::outbound_interface(a));
      s.bind(udp::endpoint(a, 0));
    }
    s.set_option(asio::ip::multicast::hops(1));
    boost::system::error_code ec;
    s.send_to(asio::buffer(msg), group, 0, ec);
    if (ec) {
      log::get("onvif")->warn("WS-Discovery probe from {} not sent: {}", ifc.empty() ? "default" : ifc, ec.message());
      continue;
    }
    sockets.push_back(std::move(rx));
  }
  std::map<std::string, ProbeMatch> found;
  std::function<void(Rx&)> receive = [&](Rx& rx) {
    rx.socket.async_receive_from(asio::buffer(rx.buf), rx.from, [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      try {
        for (auto& m : parse_probe_matches(std::string(rx.buf.data(), n), id)) {
          std::string key = m.endpoint.empty() ? m.xaddrs.front() : m.endpoint;
          found.emplace(key, std::move(m));
        }
      } catch (const Error&) {
        // not SOAP: ignored
      }
      receive(rx);
    });
  };
  for (auto& rx : sockets) receive(*rx);
  io.run_for(wait);
  std::vector<ProbeMatch> out;
  for (auto& [k, m] : found) out.push_back(std::move(m));
  return out;
}

struct Responder::Impl : std::enable_shared_from_this<Responder::Impl> {
  Impl(asio::io_context& io, Options o) : socket(asio::make_strand(io)), opts(std::move(o)) {}
  udp::socket socket;
  Options opts;
  std::array<char, 65536> buf{};
  udp::endpoint from;
  std::mutex mu;
  bool stopped = false;

  void receive() {
    auto self = shared_from_this();
    socket.async_receive_from(asio::buffer(buf), from, [self](const boost::system::error_code& ec, std::size_t n) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) self->handle(std::string(self->buf.data(), n), self->from);
      std::lock_guard lk(self->mu);
      if (!self->stopped) self->receive();
    });
  }

  // The local address this host uses to reach `to` (the route decides, as for the reply).
  static std::string local_address_for(const udp::endpoint& to) {
    asio::io_context io;
    udp::socket s(io);
    boost::system::error_code ec;
    s.open(udp::v4(), ec);
    if (!ec) s.connect(to, ec);
    if (ec) return {};
    auto local = s.local_endpoint(ec);
    return ec ? std::string() : local.address().to_string();
  }

  void handle(const std::string& xml, const udp::endpoint& sender) {
    std::string relates;
    try {
      relates = probe_to_answer(xml);
    } catch (const Error&) {
      return;  // not SOAP
    }
    if (relates.empty()) return;
    const std::string local = local_address_for(sender);
    if (local.empty()) return;
    if (!opts.interfaces.empty()) {
      bool ours = false;
      for (const auto& i : opts.interfaces) ours = ours || i == local;
      if (!ours) return;  // reached through an interface we were not asked to serve
    }
    const std::string reply = probe_matches(opts.identity, relates, opts.xaddr(local), uuid(), opts.scopes);
    boost::system::error_code ec;
    socket.send_to(asio::buffer(reply), sender, 0, ec);
    if (ec) log::get("onvif")->warn("WS-Discovery answer to {} not sent: {}", sender.address().to_string(), ec.message());
  }
};

Responder::Responder(asio::io_context& io, Options o) : impl_(std::make_shared<Impl>(io, std::move(o))) {}

Responder::~Responder() { stop(); }

void Responder::start() {
  auto& s = impl_->socket;
  boost::system::error_code ec;
  s.open(udp::v4(), ec);
  if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.bind(udp::endpoint(asio::ip::address_v4::any(), static_cast<unsigned short>(impl_->opts.port)), ec);
  if (ec) {
    throw Error(Errc::unavailable, fmt::format("onvif: WS-Discovery cannot listen on UDP {}: {}", impl_->opts.port,
                                               ec.message()));
  }
  const auto group = asio::ip::make_address_v4(kDiscoveryGroup);
  if (impl_->opts.interfaces.empty()) {
    s.set_option(asio::ip::multicast::join_group(group), ec);
    if (ec) throw Error(Errc::unavailable, "onvif: cannot join the WS-Discovery group: " + ec.message());
  } else {
    for (const auto& i : impl_->opts.interfaces) {
      s.set_option(asio::ip::multicast::join_group(group, v4(i, "onvif.interfaces")), ec);
      if (ec) throw Error(Errc::unavailable, "onvif: cannot join the WS-Discovery group on " + i + ": " + ec.message());
    }
  }
  impl_->receive();
  log::get("onvif")->info("WS-Discovery: answering probes on UDP {}", impl_->opts.port);
}

void Responder::stop() {
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  // The socket's own strand closes it: the receive handler runs there too.
  asio::post(impl_->socket.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->socket.close(ec);
  });
}

}  // namespace camrelay::onvif
