#pragma once
// The lite receiver's I/O threads (--io-threads): each runs its own GMainContext in a
// GMainLoop; viewer i lives on thread i % size(), where its ICE agent, DTLS, SRTP, RTCP and
// timers run. run_on() runs a function on a context's thread and waits for it.
#include <glib.h>

#include <functional>
#include <thread>
#include <vector>

namespace swarm {

class IoThreads {
 public:
  explicit IoThreads(int n);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  int size() const { return int(loops_.size()); }
  // The context of the thread that viewer `i` runs on.
  GMainContext* context(int i) const;

 private:
  std::vector<GMainLoop*> loops_;
  std::vector<std::thread> threads_;
};

// Runs `fn` on the thread that runs `ctx` (at once when called there) and waits until it
// returned; rethrows what it threw. Not from one I/O thread for another's context while
// that one may do the same (they would wait for each other).
void run_on(GMainContext* ctx, const std::function<void()>& fn);

}  // namespace swarm
