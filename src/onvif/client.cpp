#include "camrelay/onvif/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include "camrelay/onvif/wsse.hpp"
#include "camrelay/util/error.hpp"

namespace camrelay::onvif {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct HttpResult {
  int status = 0;
  std::string body;
};

asio::awaitable<void> exchange(const HttpUrl& u, std::string body, std::chrono::milliseconds timeout,
                               HttpResult* out) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  beast::tcp_stream stream(ex);
  auto rs = resolver.async_resolve(u.host, u.port, asio::use_awaitable);
  auto results = co_await std::move(rs);
  stream.expires_after(timeout);
  auto cn = stream.async_connect(results, asio::use_awaitable);
  co_await std::move(cn);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, u.target, 11};
  req.set(bhttp::field::host, u.port == "80" ? u.host : u.host + ":" + u.port);
  req.set(bhttp::field::content_type, "application/soap+xml; charset=utf-8");
  req.set(bhttp::field::user_agent, "camrelay-onvif");
  req.body() = std::move(body);
  req.prepare_payload();
  stream.expires_after(timeout);
  auto wr = bhttp::async_write(stream, req, asio::use_awaitable);
  co_await std::move(wr);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1024 * 1024);
  stream.expires_after(timeout);
  auto rd = bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
  co_await std::move(rd);
  out->status = static_cast<int>(parser.get().result_int());
  out->body = std::move(parser.get().body());
  beast::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

HttpResult post(const std::string& url, std::string body, std::chrono::milliseconds timeout) {
  const HttpUrl u = parse_http_url(url);
  asio::io_context io;
  HttpResult r;
  std::exception_ptr err;
  bool done = false;
  asio::co_spawn(io, exchange(u, std::move(body), timeout, &r), [&](std::exception_ptr e) {
    err = e;
    done = true;
  });
  io.run_for(timeout * 3);
  if (!done) throw Error(Errc::timeout, "onvif: " + url + " did not answer in time");
  if (err) {
    try {
      std::rethrow_exception(err);
    } catch (const boost::system::system_error& e) {
      if (e.code() == beast::error::timeout) throw Error(Errc::timeout, "onvif: " + url + " did not answer in time");
      throw Error(Errc::unavailable, "onvif: " + url + ": " + e.code().message());
    }
  }
  return r;
}

double number(const std::string& s) {
  try {
    return std::stod(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string speed_or_position(double pan, double tilt, double zoom) {
  return fmt::format("<tt:PanTilt x=\"{}\" y=\"{}\"/><tt:Zoom x=\"{}\"/>", pan, tilt, zoom);
}

}  // namespace

HttpUrl parse_http_url(const std::string& url) {
  if (!url.starts_with("http://")) {
    throw Error(Errc::invalid_argument, "must start with http:// (got \"" + url + "\")");
  }
  HttpUrl u;
  std::string rest = url.substr(7);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    throw Error(Errc::invalid_argument, "must not carry credentials (use username and password)");
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw Error(Errc::invalid_argument, "has a bad IPv6 host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') u.port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw Error(Errc::invalid_argument, "has no host");
  if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos || u.port.size() > 5 ||
      std::stoi(u.port) < 1 || std::stoi(u.port) > 65535) {
    throw Error(Errc::invalid_argument, "has a bad port");
  }
  return u;
}

std::string with_credentials(const std::string& rtsp_uri, const std::string& user, const std::string& password) {
  auto scheme = rtsp_uri.find("://");
  if (user.empty() || scheme == std::string::npos) return rtsp_uri;
  auto authority_end = rtsp_uri.find('/', scheme + 3);
  std::string authority = rtsp_uri.substr(scheme + 3, authority_end == std::string::npos ? std::string::npos
                                                                                          : authority_end - scheme - 3);
  if (authority.find('@') != std::string::npos) return rtsp_uri;
  std::string creds = percent_encode(user);
  if (!password.empty()) creds += ":" + percent_encode(password);
  return rtsp_uri.substr(0, scheme + 3) + creds + "@" + rtsp_uri.substr(scheme + 3);
}

Client::Client(ClientOptions o) : o_(std::move(o)) { parse_http_url(o_.url); }

Message Client::call(const std::string& url, const std::string& body) {
  const std::string header =
      o_.username.empty() ? std::string() : security_header(o_.username, o_.password, unix_now() + clock_offset_s_);
  HttpResult r = post(url, envelope(body, header), o_.timeout);
  Message m = [&] {
    try {
      return parse_message(r.body);
    } catch (const Error&) {
      if (r.status == 401) throw Error(Errc::unauthenticated, "onvif: " + url + ": HTTP 401 (wrong username or password)");
      throw Error(Errc::unavailable, fmt::format("onvif: {} answered HTTP {} without a SOAP envelope", url, r.status));
    }
  }();
  const std::string f = fault_text(m);
  if (!f.empty()) {
    if (r.status == 401 || f.find("NotAuthorized") != std::string::npos) {
      throw Error(Errc::unauthenticated, "onvif: " + url + ": " + f);
    }
    throw Error(Errc::invalid_argument, "onvif: " + url + ": " + f);
  }
  if (r.status != 200) throw Error(Errc::unavailable, fmt::format("onvif: {} answered HTTP {}", url, r.status));
  return m;
}

void Client::discover_services() {
  if (services_known_) return;
  // The device's clock first (unauthenticated): digests are checked against its time.
  try {
    const std::string user = std::exchange(o_.username, std::string());
    Message t;
    try {
      t = call(o_.url, "<tds:GetSystemDateAndTime/>");
    } catch (...) {
      o_.username = user;
      throw;
    }
    o_.username = user;
    Node utc = t.operation.find("UTCDateTime");
    if (utc) {
      std::tm tm{};
      tm.tm_year = static_cast<int>(number(utc.path({"Date", "Year"}).text())) - 1900;
      tm.tm_mon = static_cast<int>(number(utc.path({"Date", "Month"}).text())) - 1;
      tm.tm_mday = static_cast<int>(number(utc.path({"Date", "Day"}).text()));
      tm.tm_hour = static_cast<int>(number(utc.path({"Time", "Hour"}).text()));
      tm.tm_min = static_cast<int>(number(utc.path({"Time", "Minute"}).text()));
      tm.tm_sec = static_cast<int>(number(utc.path({"Time", "Second"}).text()));
      if (tm.tm_year > 70) clock_offset_s_ = static_cast<std::int64_t>(timegm(&tm)) - unix_now();
    }
  } catch (const Error& e) {
    if (e.code() == Errc::unavailable || e.code() == Errc::timeout) throw;
    // A device that wants credentials even for its clock: our clock it is.
  }
  Message caps = call(o_.url, "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>");
  media_url_ = caps.operation.path({"Capabilities", "Media", "XAddr"}).text();
  ptz_url_ = caps.operation.path({"Capabilities", "PTZ", "XAddr"}).text();
  if (media_url_.empty()) throw Error(Errc::invalid_argument, "onvif: " + o_.url + " offers no Media service");
  services_known_ = true;
}

DeviceIdentity Client::device_information() {
  discover_services();
  Message m = call(o_.url, "<tds:GetDeviceInformation/>");
  DeviceIdentity id;
  id.manufacturer = m.operation.child("Manufacturer").text();
  id.model = m.operation.child("Model").text();
  id.firmware = m.operation.child("FirmwareVersion").text();
  id.serial = m.operation.child("SerialNumber").text();
  id.hardware_id = m.operation.child("HardwareId").text();
  return id;
}

std::vector<ProfileSummary> Client::profiles() {
  discover_services();
  Message m = call(media_url_, "<trt:GetProfiles/>");
  std::vector<ProfileSummary> out;
  for (const Node& p : m.operation.children("Profiles")) {
    ProfileSummary s;
    s.token = p.attr("token");
    s.name = p.child("Name").text();
    Node enc = p.child("VideoEncoderConfiguration");
    s.encoding = enc.child("Encoding").text();
    s.width = static_cast<int>(number(enc.path({"Resolution", "Width"}).text()));
    s.height = static_cast<int>(number(enc.path({"Resolution", "Height"}).text()));
    s.ptz = static_cast<bool>(p.child("PTZConfiguration"));
    if (!s.token.empty()) out.push_back(std::move(s));
  }
  return out;
}

std::string Client::stream_uri(const std::string& profile_token) {
  discover_services();
  Message m = call(media_url_,
                   "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>"
                   "RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>" +
                       escape(profile_token) + "</trt:ProfileToken></trt:GetStreamUri>");
  std::string uri = m.operation.path({"MediaUri", "Uri"}).text();
  if (!uri.starts_with("rtsp://") && !uri.starts_with("rtsps://")) {
    throw Error(Errc::invalid_argument, "onvif: GetStreamUri gave no rtsp:// URI (got \"" + uri + "\")");
  }
  return uri;
}

std::string Client::snapshot_uri(const std::string& profile_token) {
  discover_services();
  Message m = call(media_url_, "<trt:GetSnapshotUri><trt:ProfileToken>" + escape(profile_token) +
                                   "</trt:ProfileToken></trt:GetSnapshotUri>");
  return m.operation.path({"MediaUri", "Uri"}).text();
}

bool Client::has_ptz() {
  discover_services();
  return !ptz_url_.empty();
}

void Client::continuous_move(const std::string& profile_token, double pan, double tilt, double zoom,
                             std::optional<double> timeout_s) {
  if (!has_ptz()) throw Error(Errc::not_found, "the camera offers no PTZ service");
  std::string body = "<tptz:ContinuousMove><tptz:ProfileToken>" + escape(profile_token) +
                     "</tptz:ProfileToken><tptz:Velocity>" + speed_or_position(pan, tilt, zoom) + "</tptz:Velocity>";
  if (timeout_s) body += fmt::format("<tptz:Timeout>PT{:.3f}S</tptz:Timeout>", *timeout_s);
  call(ptz_url_, body + "</tptz:ContinuousMove>");
}

void Client::stop(const std::string& profile_token) {
  if (!has_ptz()) throw Error(Errc::not_found, "the camera offers no PTZ service");
  call(ptz_url_, "<tptz:Stop><tptz:ProfileToken>" + escape(profile_token) +
                     "</tptz:ProfileToken><tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom></tptz:Stop>");
}

std::vector<Preset> Client::presets(const std::string& profile_token) {
  if (!has_ptz()) throw Error(Errc::not_found, "the camera offers no PTZ service");
  Message m = call(ptz_url_, "<tptz:GetPresets><tptz:ProfileToken>" + escape(profile_token) +
                                 "</tptz:ProfileToken></tptz:GetPresets>");
  std::vector<Preset> out;
  for (const Node& p : m.operation.children("Preset")) out.push_back({p.attr("token"), p.child("Name").text()});
  return out;
}

void Client::goto_preset(const std::string& profile_token, const std::string& preset_token) {
  if (!has_ptz()) throw Error(Errc::not_found, "the camera offers no PTZ service");
  call(ptz_url_, "<tptz:GotoPreset><tptz:ProfileToken>" + escape(profile_token) +
                     "</tptz:ProfileToken><tptz:PresetToken>" + escape(preset_token) +
                     "</tptz:PresetToken></tptz:GotoPreset>");
}

}  // namespace camrelay::onvif
