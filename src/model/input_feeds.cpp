#include "camrelay/model/input_feeds.hpp"

namespace camrelay::model {

InputFeeds::InputFeeds(std::vector<std::string> camera_ids) : ids_(std::move(camera_ids)), slots_(ids_.size()) {}

void InputFeeds::set(std::size_t i, std::shared_ptr<H264Feed> feed, std::string why) {
  std::function<void(std::size_t)> changed;
  {
    std::lock_guard lk(mu_);
    Slot& s = slots_.at(i);
    s.why = feed ? std::string() : (why.empty() ? std::string("missing") : std::move(why));
    s.feed = std::move(feed);
    changed = changed_;
  }
  if (changed) changed(i);
}

std::shared_ptr<H264Feed> InputFeeds::feed(std::size_t i) const {
  std::lock_guard lk(mu_);
  return slots_.at(i).feed;
}

std::string InputFeeds::why_missing(std::size_t i) const {
  std::lock_guard lk(mu_);
  return slots_.at(i).why;
}

void InputFeeds::watch(std::function<void(std::size_t)> changed) {
  std::lock_guard lk(mu_);
  changed_ = std::move(changed);
}

}  // namespace camrelay::model
