#pragma once
// The lite receiver's jitter-buffer emulation for one RTP stream: which sequence numbers are
// missing, when to ask for them again (RTCP NACK), when to give up on them (declared lost:
// the viewer then sends a PLI), and whether a packet that arrives (original or RTX
// retransmission) reaches the decoder in time. Like a browser's receiver (Chrome's
// NackRequester): a NACK goes out at once for the numbers a gap reveals, again every
// `retry_ms` for those still missing, at most `max_nacks` times; a number still missing
// `deadline_ms` after its gap was seen is lost. Defaults: Chrome's — a NACK again every RTT,
// 100 ms as long as it has measured none (a receive-only peer measures none), at most 10 —
// and a 200 ms deadline (the latency of the webrtcbin receiver's jitter buffer, so that
// delivered_loss_pct means the same with both receivers), which leaves room for 2 NACKs.
// A packet reordered within the deadline is in time, NACKed or not. Times are milliseconds
// of any monotonic clock. Not thread-safe; no allocation per packet once the missing list
// has its capacity.
#include <cstdint>
#include <limits>
#include <vector>

namespace swarm {

struct NackPolicy {
  int64_t retry_ms = 100;
  int max_nacks = 10;
  int64_t deadline_ms = 200;
  int64_t keep_lost_ms = 1000;  // a lost number is remembered this long to count a late arrival
  int64_t max_missing = 500;    // numbers tracked per gap; older ones of a larger gap are lost at once
};

class NackTracker {
 public:
  explicit NackTracker(NackPolicy p = {});

  struct Arrival {
    bool first = false;    // the first copy of this number (counts as arrived)
    bool in_time = false;  // reaches the decoder (counts as delivered)
  };
  // An original packet.
  Arrival on_packet(uint16_t seq, int64_t now);
  // A retransmission (RTX) of `seq`.
  Arrival on_rtx(uint16_t seq, int64_t now);
  // The work due at `now`: appends the numbers to NACK now to `nacks` (increasing modulo
  // 2^16) and returns how many numbers were declared lost since the last call.
  uint64_t poll(int64_t now, std::vector<uint16_t>& nacks);
  // When poll() has work next; numeric_limits max when nothing is pending.
  int64_t next_due() const;

  struct Stats {
    uint64_t nacks_sent = 0;   // sequence numbers asked for, counted once per NACK
    uint64_t rtx_success = 0;  // retransmissions that repaired a missing number in time
    uint64_t lost = 0;         // numbers declared lost
    uint64_t late = 0;         // copies that arrived after their number was declared lost
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Missing {
    int64_t ext;        // extended sequence number
    int64_t seen;       // when its gap was seen
    int64_t next_nack;  // when to NACK it (next)
    int nacks;
    bool lost;
  };
  // A copy of an older number: repairs it if it is missing.
  Arrival repair(int64_t ext, bool rtx);

  NackPolicy p_;
  int64_t ext_max_ = -1;
  std::vector<Missing> missing_;  // increasing ext
  uint64_t pending_lost_ = 0;     // lost at once (a gap beyond max_missing), not yet reported
  Stats stats_;
};

}  // namespace swarm
