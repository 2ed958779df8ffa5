#pragma once
// Free UDP ports for tests that run cameras on loopback (several test processes run at once).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace camrelay::testing {

// Two free UDP port pairs (p, p+1) and (p+2, p+3) on loopback, found by binding them.
inline int free_port_quad() {
  for (int p = 40000 + (getpid() % 4000) * 4; p < 60000; p += 4) {
    std::vector<int> fds;
    bool ok = true;
    for (int i = 0; i < 4 && ok; ++i) {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(p + i));
      a.sin_addr.s_addr = htonl(INADDR_ANY);
      ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      if (fd >= 0) fds.push_back(fd);
    }
    for (int fd : fds) close(fd);
    if (ok) return p;
  }
  return 0;
}

}  // namespace camrelay::testing
