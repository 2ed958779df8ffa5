#include "memory.hpp"

#include <malloc.h>

#include <chrono>

#include "camrelay/util/log.hpp"

namespace camrelay::app {

void limit_malloc_arenas() {
#ifdef M_ARENA_MAX
  mallopt(M_ARENA_MAX, 4);
#endif
}

MallocTrimmer::MallocTrimmer(boost::asio::io_context& io) : timer_(io) {}

void MallocTrimmer::start() { arm(); }

void MallocTrimmer::stop() {
  stopped_ = true;
  timer_.cancel();
}

void MallocTrimmer::arm() {
  timer_.expires_after(std::chrono::seconds(60));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    malloc_trim(0);
    arm();
  });
}

}  // namespace camrelay::app
