#pragma once
// The pictures a composed camera reads (config::CompositeSource): one slot per input camera,
// holding that camera's H.264 feed while the composed camera's path holds a reader of it,
// or nullptr and why it is missing. The service fills the slots (CameraPath, on its strand);
// the media source watches them and (re)builds the input's branch on its GLib thread.
// Thread-safe.
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "camrelay/model/feeds.hpp"

namespace camrelay::model {

class InputFeeds {
 public:
  explicit InputFeeds(std::vector<std::string> camera_ids);

  std::size_t size() const { return ids_.size(); }
  const std::string& camera(std::size_t i) const { return ids_.at(i); }

  // A new feed for input `i` (nullptr: missing, `why` says why). The watcher is told.
  void set(std::size_t i, std::shared_ptr<H264Feed> feed, std::string why = {});
  std::shared_ptr<H264Feed> feed(std::size_t i) const;
  // Why input `i` has no feed ("" while it has one).
  std::string why_missing(std::size_t i) const;
  // `changed(i)` after every set(); called on the setter's thread: it must only post.
  // One watcher (the composed camera's source); set it again to replace it.
  void watch(std::function<void(std::size_t)> changed);

 private:
  struct Slot {
    std::shared_ptr<H264Feed> feed;
    std::string why = "not attached yet";
  };
  const std::vector<std::string> ids_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  std::function<void(std::size_t)> changed_;
};

}  // namespace camrelay::model
