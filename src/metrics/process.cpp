// The process's own figures for GET /metrics, read from /proc/self (Linux).
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "camrelay/metrics/metrics.hpp"

namespace camrelay::metrics {
namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces): index 0 is
// field 3 ("state") of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  std::vector<std::string> out;
  if (close == std::string::npos) return out;
  std::istringstream rest(line.substr(close + 1));
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

// Boot time (unix s), the reference of a process's start time in /proc/self/stat.
double boot_time_s() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double field(const std::vector<std::string>& f, std::size_t proc5_number) {
  const std::size_t i = proc5_number - 3;
  return i < f.size() ? std::stod(f[i]) : 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> process_families() {
  std::vector<prometheus::MetricFamily> out;
  const auto f = stat_fields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (f.size() >= 22 && ticks > 0) {
    auto cpu = counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds");
    add(cpu, {}, (field(f, 14) + field(f, 15)) / ticks);
    auto rss = gauge("process_resident_memory_bytes", "Resident memory size in bytes");
    add(rss, {}, field(f, 24) * page);
    auto vsz = gauge("process_virtual_memory_bytes", "Virtual memory size in bytes");
    add(vsz, {}, field(f, 23));
    auto threads = gauge("process_threads", "Number of OS threads in the process");
    add(threads, {}, field(f, 20));
    auto start = gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds");
    add(start, {}, boot_time_s() + field(f, 22) / ticks);
    for (auto* fam : {&cpu, &rss, &vsz, &threads, &start}) out.push_back(std::move(*fam));
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++fds;
  }
  auto open = gauge("process_open_fds", "Number of open file descriptors");
  add(open, {}, fds);
  out.push_back(std::move(open));
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    auto max = gauge("process_max_fds", "Maximum number of open file descriptors");
    add(max, {}, lim.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(lim.rlim_cur));
    out.push_back(std::move(max));
  }
  return out;
}

}  // namespace camrelay::metrics
