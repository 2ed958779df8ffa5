#pragma once
// glibc malloc settings for a long-running daemon with many short-lived threads.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace camrelay::app {

// Before any thread starts: at most 4 malloc arenas instead of 8 per core. GStreamer's
// streaming threads (several per viewer) each attach to an arena; freed memory stays in
// the arena it came from, so RSS followed the number of arenas ever touched.
void limit_malloc_arenas();

// Every 60 s, malloc_trim(0): gives the free pages inside the arenas back to the kernel.
// Measured in the soak (docs/reliability.md): the heap in use stays flat while viewers
// come and go, but without this RSS kept the freed memory.
class MallocTrimmer {
 public:
  explicit MallocTrimmer(boost::asio::io_context& io);
  void start();
  void stop();

 private:
  void arm();
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace camrelay::app
