#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// MQTT client for camera control (Eclipse Paho C++, async): tcp:// or ssl:// (CA, client
// certificate/key), username/password, a last will, reconnection with backoff (also
// when the very first connect fails), subscriptions restored after each reconnect.
//
// Threads: a private connection thread runs connect/subscribe; message handlers and
// connection callbacks run on Paho's or that thread and must only post to their owner.
// publish() never blocks and fails (returns false) while disconnected.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "camrelay/config/config.hpp"

namespace mqtt {
class async_client;
}

namespace camrelay::camera {

struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = false;
};

struct MqttOptions {
  std::string url;  // tcp://, ssl://, mqtt:// (= tcp), mqtts:// (= ssl), ws://, wss://
  std::string client_id;
  std::string username;
  std::string password;
  std::string ca_file;    // PEM trust store for ssl:// (empty = system CAs)
  std::string cert_file;  // client certificate (PEM), optional
  std::string key_file;   // client private key (PEM), optional
  int keepalive_s = 20;
  int connect_timeout_s = 5;
  std::optional<MqttMessage> will;
  int min_backoff_ms = 500;
  int max_backoff_ms = 5000;

  static MqttOptions from_config(const config::Mqtt& m);
};

class MqttClient {
 public:
  using Handler = std::function<void(const std::string& topic, const std::string& payload)>;

  explicit MqttClient(MqttOptions opts);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Starts the connection thread (connects, then keeps reconnecting).
  void start();
  // Disconnects cleanly (waits up to `timeout`) and joins the thread. Idempotent.
  // Handlers are not called any more once this returns.
  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  // Queues a message; false (reason logged) when disconnected or refused.
  bool publish(const std::string& topic, const std::string& payload, int qos = 1, bool retained = false);

  // A subscription that survives reconnects. The handler runs on a Paho thread.
  std::uint64_t subscribe(const std::string& filter, int qos, Handler h);
  void unsubscribe(std::uint64_t id);

  // Called after every successful (re)connect, once subscriptions are restored.
  std::uint64_t on_connected(std::function<void()> fn);
  // Called when an established connection is lost (argument: the reason).
  std::uint64_t on_disconnected(std::function<void(const std::string&)> fn);

  bool connected() const { return connected_.load(); }
  // "connected" | "disconnected: <reason>" ("disconnected: connecting" before the first try ends)
  std::string state() const;
  const std::string& url() const { return opts_.url; }

 private:
  struct Sub {
    std::string filter;
    int qos = 1;
    Handler handler;
  };
  void run();
  bool try_connect(std::string& why);
  void on_message(const std::string& topic, const std::string& payload);
  void on_lost(const std::string& cause);
  void set_state(std::string s);

  MqttOptions opts_;
  std::string server_uri_;
  std::unique_ptr<mqtt::async_client> cli_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool lost_ = false;
  std::atomic<bool> connected_{false};
  std::string state_ = "disconnected: connecting";
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Sub> subs_;
  std::map<std::uint64_t, std::function<void()>> on_connected_;
  std::map<std::uint64_t, std::function<void(const std::string&)>> on_disconnected_;
  std::mutex dispatch_mu_;  // held while handlers run, so stop() waits for them
};

// Host part of a broker URL ("tcp://broker:1883" -> "broker"), "" if none.
std::string url_host(const std::string& url);

// The local address this host uses to reach `host` (a connected UDP socket; no packet is
// sent), e.g. to announce in an SDP offer. Falls back to "127.0.0.1".
std::string local_address_toward(const std::string& host);

}  // namespace camrelay::camera
