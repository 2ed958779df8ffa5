// A send thread for some of a stream's WebRTC viewers (see send_lane.hpp).
#include "send_lane.hpp"

#include <pthread.h>

#include "rtp_sender.hpp"

namespace camrelay::media {

SendLane::SendLane(const std::string& name) {
  thread_ = std::thread([this, name] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    run();
  });
}

SendLane::~SendLane() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void SendLane::post(GstBuffer* packet, std::shared_ptr<const SenderList> to) {
  {
    std::lock_guard lk(mu_);
    if (queue_.size() >= kMaxQueued) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(Item{gst::BufferPtr::ref(packet), std::move(to)});
  }
  cv_.notify_one();
}

void SendLane::run() {
  std::deque<Item> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, all sent
      batch.swap(queue_);
    }
    for (auto& item : batch) {
      GstMapInfo m;
      if (!gst_buffer_map(item.packet.get(), &m, GST_MAP_READ)) continue;
      for (const auto& s : *item.to) s->send(item.packet.get(), m.data, m.size);
      gst_buffer_unmap(item.packet.get(), &m);
      sent_.fetch_add(item.to->size(), std::memory_order_relaxed);
    }
    batch.clear();  // the packets and senders go here, on this thread
  }
}

}  // namespace camrelay::media
