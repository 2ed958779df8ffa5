#pragma once
// A thread of its own that hands a stream's packets to some of its viewers' RtpSenders, so
// that a stream with many viewers is sent by several threads (cores) instead of only the
// payloader's (rtp_fanout.cpp). Packets are taken in order; each goes to the senders named
// with it, in order. A lane never holds the fanout, only packets and senders.
#include <gst/gst.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "camrelay/gst/ptr.hpp"

namespace camrelay::media {

class RtpSender;
using SenderList = std::vector<std::shared_ptr<RtpSender>>;

class SendLane {
 public:
  // `name`: the thread's (at most 15 characters are kept).
  explicit SendLane(const std::string& name);
  // Stops the thread after the packets already queued; joins it. Never on the lane itself.
  ~SendLane();
  SendLane(const SendLane&) = delete;
  SendLane& operator=(const SendLane&) = delete;

  // Queues `packet` for `to`. Any thread. A lane more than kMaxQueued packets behind drops
  // the packet (counted) rather than delay its viewers further.
  void post(GstBuffer* packet, std::shared_ptr<const SenderList> to);

  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  static constexpr std::size_t kMaxQueued = 1024;

 private:
  struct Item {
    gst::BufferPtr packet;
    std::shared_ptr<const SenderList> to;
  };
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::atomic<std::uint64_t> sent_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace camrelay::media
