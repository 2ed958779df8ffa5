#include "camrelay/camera/mqtt_client.hpp"

#include <mqtt/async_client.h>

#include <netdb.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "camrelay/camera/topics.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::camera {
namespace {
auto lg() {
  static auto l = log::get("mqtt");
  return l;
}

std::string server_uri(const std::string& url) {
  if (url.rfind("mqtt://", 0) == 0) return "tcp://" + url.substr(7);
  if (url.rfind("mqtts://", 0) == 0) return "ssl://" + url.substr(8);
  return url;
}

bool is_tls(const std::string& uri) { return uri.rfind("ssl://", 0) == 0 || uri.rfind("wss://", 0) == 0; }

// "MQTT error [-1]: TCP/TLS connect failure" -> "TCP/TLS connect failure (code -1)"
std::string describe(const mqtt::exception& e) {
  std::string msg = e.get_message();
  if (msg.empty()) msg = mqtt::exception::error_str(e.get_return_code());
  if (msg.empty()) msg = e.what();
  const int rc = e.get_return_code();
  // CONNACK return codes of MQTT 3.1.1 come back as positive codes.
  switch (rc) {
    case 1: msg = "broker refused the connection: unacceptable protocol version"; break;
    case 2: msg = "broker refused the connection: client id rejected"; break;
    case 3: msg = "broker refused the connection: server unavailable"; break;
    case 4: msg = "broker refused the connection: bad user name or password"; break;
    case 5: msg = "broker refused the connection: not authorized"; break;
    default: break;
  }
  return msg + " (code " + std::to_string(rc) + ")";
}
// "C0E6...:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate
// verify failed:../ssl/statem/statem_clnt.c:1889:\n" -> "certificate verify failed"
}  // namespace

MqttOptions MqttOptions::from_config(const config::Mqtt& m) {
  MqttOptions o;
  o.url = m.url;
  o.client_id = m.client_id;
  o.username = m.username;
  o.password = m.password;
  o.ca_file = m.ca_file;
  o.cert_file = m.cert_file;
  o.key_file = m.key_file;
  return o;
}

MqttClient::MqttClient(MqttOptions opts) : opts_(std::move(opts)), server_uri_(server_uri(opts_.url)) {
  // No persistence: camera control messages are only meaningful while connected.
  cli_ = std::make_unique<mqtt::async_client>(server_uri_, opts_.client_id);
  cli_->set_message_callback([this](mqtt::const_message_ptr m) {
    if (m) on_message(m->get_topic(), m->to_string());
  });
  cli_->set_connection_lost_handler([this](const std::string& cause) { on_lost(cause); });
}

MqttClient::~MqttClient() {
  stop();
}

void MqttClient::start() {
  std::lock_guard lk(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void MqttClient::stop(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    if (cli_->is_connected()) cli_->disconnect(static_cast<int>(timeout.count()))->wait_for(timeout);
  } catch (const mqtt::exception& e) {
    lg()->debug("disconnect: {}", describe(e));
  }
  {
    std::lock_guard dl(dispatch_mu_);
    std::lock_guard lk(mu_);
    subs_.clear();
    on_connected_.clear();
    on_disconnected_.clear();
  }
  connected_ = false;
  set_state("disconnected: stopped");
}

void MqttClient::set_state(std::string s) {
  std::lock_guard lk(mu_);
  state_ = std::move(s);
}

std::string MqttClient::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

void MqttClient::run() {
  int backoff = opts_.min_backoff_ms;
  bool logged_failure = false;
  std::unique_lock lk(mu_);
  while (!stopping_) {
    if (!connected_) {
      lk.unlock();
      std::string why;
      const bool ok = try_connect(why);
      lk.lock();
      if (stopping_) break;
      if (ok) {
        backoff = opts_.min_backoff_ms;
        logged_failure = false;
        continue;
      }
      state_ = "disconnected: " + why;
      // Log the first failure of a series at warn, the retries at debug.
      if (!logged_failure) {
        lg()->warn("cannot connect to {}: {}; retrying with backoff", opts_.url, why);
        logged_failure = true;
      } else {
        lg()->debug("cannot connect to {}: {}; next try in {} ms", opts_.url, why, backoff);
      }
      cv_.wait_for(lk, std::chrono::milliseconds(backoff), [this] { return stopping_; });
      backoff = std::min(backoff * 2, opts_.max_backoff_ms);
    } else {
      cv_.wait(lk, [this] { return stopping_ || lost_; });
      lost_ = false;
    }
  }
}

bool MqttClient::try_connect(std::string& why) {
  auto b = mqtt::connect_options_builder()
               .clean_session(true)
               .keep_alive_interval(std::chrono::seconds(opts_.keepalive_s))
               .connect_timeout(std::chrono::seconds(opts_.connect_timeout_s))
               .automatic_reconnect(false);
  if (!opts_.username.empty()) b.user_name(opts_.username);
  if (!opts_.password.empty()) b.password(opts_.password);
  if (is_tls(server_uri_)) {
    // No OpenSSL error handler (ssl_options::set_error_handler): Paho C++ 1.2 hands the C
    // library a context pointer to the connect_options passed by value to connect(), which
    // is gone when the handler runs (ASan: stack-use-after-scope in integration.bcgh_tls).
    // A TLS failure is described from the URL and the options instead (below).
    auto ssl = mqtt::ssl_options_builder();
    if (!opts_.ca_file.empty()) ssl.trust_store(opts_.ca_file);
    if (!opts_.cert_file.empty()) ssl.key_store(opts_.cert_file);
    if (!opts_.key_file.empty()) ssl.private_key(opts_.key_file);
    ssl.enable_server_cert_auth(true);
    ssl.verify(true);
    b.ssl(ssl.finalize());
  }
  if (opts_.will) {
    b.will(mqtt::message(opts_.will->topic, opts_.will->payload, opts_.will->qos, opts_.will->retained));
  }
  try {
    auto tok = cli_->connect(b.finalize());
    // Poll so that stop() is not held up by a slow connect.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts_.connect_timeout_s + 2);
    while (!tok->wait_for(std::chrono::milliseconds(200))) {
      {
        std::lock_guard lk(mu_);
        if (stopping_) {
          why = "stopped";
          return false;
        }
      }
      if (std::chrono::steady_clock::now() > deadline) {
        why = "connect timed out";
        return false;
      }
    }
  } catch (const mqtt::exception& e) {
    why = describe(e);
    if (is_tls(server_uri_) && e.get_return_code() == -1) {
      why = "TLS: the connection failed (" + why + "): is the broker up, is mqtt.ca_file its CA, is the URL's host in its certificate?";
    }
    return false;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
  std::vector<Sub> subs;
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lk(mu_);
    connected_ = true;
    lost_ = false;
    state_ = "connected";
    for (const auto& [id, s] : subs_) subs.push_back(s);
    for (const auto& [id, f] : on_connected_) hooks.push_back(f);
  }
  lg()->info("connected to {} as {}", opts_.url, opts_.client_id);
  for (const auto& s : subs) {
    try {
      cli_->subscribe(s.filter, s.qos)->wait_for(std::chrono::seconds(5));
    } catch (const mqtt::exception& e) {
      lg()->warn("subscribe {}: {}", s.filter, describe(e));
    }
  }
  for (auto& f : hooks) {
    try {
      f();
    } catch (const std::exception& e) {
      lg()->error("on_connected hook: {}", e.what());
    }
  }
  return true;
}

void MqttClient::on_lost(const std::string& cause) {
  std::vector<std::function<void(const std::string&)>> hooks;
  std::string reason = "connection lost" + (cause.empty() ? std::string() : ": " + cause);
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    connected_ = false;
    lost_ = true;
    state_ = "disconnected: " + reason;
    for (const auto& [id, f] : on_disconnected_) hooks.push_back(f);
  }
  cv_.notify_all();
  lg()->warn("{}: {}; reconnecting", opts_.url, reason);
  for (auto& f : hooks) f(reason);
}

void MqttClient::on_message(const std::string& topic, const std::string& payload) {
  std::lock_guard dl(dispatch_mu_);
  std::vector<Handler> hs;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    for (const auto& [id, s] : subs_) {
      if (topic_matches(s.filter, topic)) hs.push_back(s.handler);
    }
  }
  for (auto& h : hs) {
    try {
      h(topic, payload);
    } catch (const std::exception& e) {
      lg()->error("handler for {}: {}", topic, e.what());
    }
  }
}

bool MqttClient::publish(const std::string& topic, const std::string& payload, int qos, bool retained) {
  if (!connected_) {
    lg()->warn("not published to {}: broker not connected ({})", topic, state());
    return false;
  }
  try {
    cli_->publish(mqtt::make_message(topic, payload, qos, retained));
    return true;
  } catch (const mqtt::exception& e) {
    lg()->warn("publish to {} failed: {}", topic, describe(e));
    return false;
  }
}

std::uint64_t MqttClient::subscribe(const std::string& filter, int qos, Handler h) {
  std::uint64_t id;
  bool now;
  {
    std::lock_guard lk(mu_);
    id = next_id_++;
    subs_[id] = Sub{filter, qos, std::move(h)};
    now = connected_;
  }
  if (now) {
    try {
      cli_->subscribe(filter, qos);
    } catch (const mqtt::exception& e) {
      lg()->warn("subscribe {}: {}", filter, describe(e));
    }
  }
  return id;
}

void MqttClient::unsubscribe(std::uint64_t id) {
  std::string filter;
  bool still_used = false;
  {
    std::lock_guard lk(mu_);
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    filter = it->second.filter;
    subs_.erase(it);
    for (const auto& [i, s] : subs_) still_used = still_used || s.filter == filter;
  }
  if (!still_used && connected_) {
    try {
      cli_->unsubscribe(filter);
    } catch (const mqtt::exception& e) {
      lg()->debug("unsubscribe {}: {}", filter, describe(e));
    }
  }
}

std::uint64_t MqttClient::on_connected(std::function<void()> fn) {
  std::lock_guard lk(mu_);
  const auto id = next_id_++;
  on_connected_[id] = std::move(fn);
  return id;
}

std::uint64_t MqttClient::on_disconnected(std::function<void(const std::string&)> fn) {
  std::lock_guard lk(mu_);
  const auto id = next_id_++;
  on_disconnected_[id] = std::move(fn);
  return id;
}

std::string url_host(const std::string& url) {
  auto p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  if (auto at = rest.find('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    auto end = rest.find(']');
    return end == std::string::npos ? "" : rest.substr(1, end - 1);
  }
  auto end = rest.find_first_of(":/");
  return rest.substr(0, end);
}

std::string local_address_toward(const std::string& host) {
  if (host.empty()) return "127.0.0.1";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), "9", &hints, &res) != 0 || !res) return "127.0.0.1";
  std::string out = "127.0.0.1";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, SOCK_DGRAM, 0);
    if (fd < 0) continue;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    char buf[INET6_ADDRSTRLEN] = {0};
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      const void* a = ss.ss_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&ss)->sin_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr);
      if (inet_ntop(ss.ss_family, a, buf, sizeof(buf))) {
        out = buf;
        ::close(fd);
        break;
      }
    }
    ::close(fd);
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace camrelay::camera
