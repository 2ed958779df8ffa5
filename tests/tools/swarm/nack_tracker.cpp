// Missing packets, NACK timing and loss deadlines of the lite receiver (nack_tracker.hpp).
#include "nack_tracker.hpp"

#include <algorithm>

#include "viewer.hpp"

namespace swarm {

NackTracker::NackTracker(NackPolicy p) : p_(p) { missing_.reserve(size_t(p_.max_missing) * 2); }

NackTracker::Arrival NackTracker::on_packet(uint16_t seq, int64_t now) {
  if (ext_max_ < 0) {
    ext_max_ = seq;
    return {true, true};
  }
  const int64_t ext = extend_seq(ext_max_, seq);
  if (ext <= ext_max_) return repair(ext, false);
  int64_t first = ext_max_ + 1;
  if (ext - first > p_.max_missing) {
    const int64_t dropped = ext - p_.max_missing - first;
    pending_lost_ += uint64_t(dropped);
    stats_.lost += uint64_t(dropped);
    first += dropped;
  }
  for (int64_t e = first; e < ext; ++e) missing_.push_back({e, now, now, 0, false});
  ext_max_ = ext;
  return {true, true};
}

NackTracker::Arrival NackTracker::on_rtx(uint16_t seq, int64_t now) {
  if (ext_max_ < 0) return {};
  const int64_t ext = extend_seq(ext_max_, seq);
  if (ext > ext_max_) return on_packet(seq, now);  // a retransmission ahead of every original: new
  return repair(ext, true);
}

NackTracker::Arrival NackTracker::repair(int64_t ext, bool rtx) {
  auto it = std::lower_bound(missing_.begin(), missing_.end(), ext, [](const Missing& m, int64_t e) { return m.ext < e; });
  if (it == missing_.end() || it->ext != ext) return {};  // a duplicate, or older than we remember
  const bool lost = it->lost;
  missing_.erase(it);
  if (lost) {
    ++stats_.late;
    return {true, false};
  }
  if (rtx) ++stats_.rtx_success;
  return {true, true};
}

uint64_t NackTracker::poll(int64_t now, std::vector<uint16_t>& nacks) {
  uint64_t newly_lost = pending_lost_;
  pending_lost_ = 0;
  for (Missing& m : missing_) {
    if (m.lost) continue;
    if (now >= m.seen + p_.deadline_ms) {
      m.lost = true;
      ++stats_.lost;
      ++newly_lost;
    } else if (m.nacks < p_.max_nacks && now >= m.next_nack) {
      nacks.push_back(uint16_t(m.ext));
      ++m.nacks;
      ++stats_.nacks_sent;
      m.next_nack = now + p_.retry_ms;
    }
  }
  std::erase_if(missing_, [&](const Missing& m) { return m.lost && now >= m.seen + p_.deadline_ms + p_.keep_lost_ms; });
  return newly_lost;
}

int64_t NackTracker::next_due() const {
  if (pending_lost_) return std::numeric_limits<int64_t>::min();
  int64_t t = std::numeric_limits<int64_t>::max();
  for (const Missing& m : missing_) {
    if (m.lost) continue;
    t = std::min(t, m.seen + p_.deadline_ms);
    if (m.nacks < p_.max_nacks) t = std::min(t, m.next_nack);
  }
  return t;
}

}  // namespace swarm
