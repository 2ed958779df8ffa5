#pragma once
// The swarm's receivers (--receiver): what makes the viewers of one kind and what they share.
// lite (the default): LiteViewers on a pool of --io-threads GMainContext threads.
// webrtcbin: WebrtcbinViewers in one GStreamer pipeline for all (--pipeline shared) or one
// each (per-viewer), with a GLib main loop thread for the pipelines' bus watches.
// Destroying the receiver (after every viewer stopped) stops what it started.
#include <memory>
#include <string>

#include "viewer.hpp"

namespace swarm {

struct ReceiverOptions {
  std::string kind = "lite";  // lite | webrtcbin
  std::string local_ip = "127.0.0.1";
  bool shared_pipeline = true;  // webrtcbin
  int io_threads = 2;           // lite
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  // Pays the one-time costs (plugins, DTLS certificate) with a throwaway viewer before the
  // clock starts. Throws.
  virtual void warm_up() = 0;
  // A new viewer (worker threads). Throws.
  virtual std::shared_ptr<Viewer> make(int id) = 0;
};

// Throws std::runtime_error when the receiver cannot run here (e.g. a GStreamer element is
// missing).
std::unique_ptr<Receiver> make_receiver(const ReceiverOptions& o);

}  // namespace swarm
