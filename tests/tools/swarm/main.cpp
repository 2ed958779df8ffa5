// camrelay-swarm: N receive-only WebRTC viewers of one stream in one process, for the
// benchmarks (tests/bench/swarm.mjs) and a smoke test (tests/integration/swarm.netns.test.mjs).
//
//   camrelay-swarm --whep URL [--token T] | --janus URL --mountpoint ID
//                  [--n 1] [--join-interval-ms 100] [--settle-s 2] [--duration-s 10]
//                  [--connect-timeout-s 20] [--workers 8] [--local-ip 127.0.0.1]
//                  [--receiver lite|webrtcbin] [--io-threads CORES] [--pipeline shared|per-viewer]
//
// Viewers join --join-interval-ms apart (signaling on a pool of --workers threads, each
// request synchronous); once every viewer is connected with a first RTP packet (or failed, or
// --connect-timeout-s after the last join), --settle-s, then a window of --duration-s over
// which each viewer's packets, frames (marker bit) and losses (extended sequence numbers)
// and the swarm's own CPU (utime+stime from /proc/self/stat) are diffed. Then every viewer
// says goodbye (WHEP DELETE, Janus destroy). Output: one JSON object on stdout (see
// docs/performance.md, "Viewer swarm"); progress and errors on stderr. Exit 0 when every
// viewer connected and received RTP, 1 otherwise (the first error is printed), 2 on bad usage.
// --receiver (receiver.hpp): lite (default: libnice + OpenSSL DTLS + libsrtp2, no GStreamer,
// on --io-threads GMainContext threads, default one per core, 1..8) or webrtcbin (GStreamer).
// --pipeline (webrtcbin only): one GStreamer pipeline for all viewers (shared, default:
// measured ~10-20 % less CPU than per-viewer, same threads) or one pipeline each (per-viewer).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "receiver.hpp"
#include "signaling.hpp"

using json = nlohmann::json;
using namespace swarm;

namespace {

std::atomic<bool> g_stop{false};

struct Options {
  SignalingOptions sig;
  int n = 1;
  int join_interval_ms = 100;
  double settle_s = 2;
  double duration_s = 10;
  double connect_timeout_s = 20;
  int workers = 8;
  ReceiverOptions receiver{"lite", "127.0.0.1", true,
                           std::clamp(int(std::thread::hardware_concurrency()), 1, 8)};
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "camrelay-swarm: " << why << "\n"
            << "usage: camrelay-swarm --whep URL [--token T] | --janus URL --mountpoint ID\n"
               "         [--n 1] [--join-interval-ms 100] [--settle-s 2] [--duration-s 10]\n"
               "         [--connect-timeout-s 20] [--workers 8] [--local-ip 127.0.0.1]\n"
               "         [--receiver lite|webrtcbin] [--io-threads CORES] [--pipeline shared|per-viewer]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    auto num = [&](double lo) {
      std::string s = next();
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (s.empty() || *end || v < lo) usage(a + ": bad value '" + s + "'");
      return v;
    };
    if (a == "--whep") o.sig.whep_url = next();
    else if (a == "--token") o.sig.token = next();
    else if (a == "--janus") o.sig.janus_url = next();
    else if (a == "--mountpoint") o.sig.mountpoint = static_cast<long long>(num(0));
    else if (a == "--n") o.n = static_cast<int>(num(1));
    else if (a == "--join-interval-ms") o.join_interval_ms = static_cast<int>(num(0));
    else if (a == "--settle-s") o.settle_s = num(0);
    else if (a == "--duration-s") o.duration_s = num(0.1);
    else if (a == "--connect-timeout-s") o.connect_timeout_s = num(1);
    else if (a == "--workers") o.workers = static_cast<int>(num(1));
    else if (a == "--local-ip") o.receiver.local_ip = next();
    else if (a == "--io-threads") o.receiver.io_threads = std::min(8, static_cast<int>(num(1)));
    else if (a == "--receiver") {
      o.receiver.kind = next();
      if (o.receiver.kind != "lite" && o.receiver.kind != "webrtcbin") usage("--receiver: lite or webrtcbin");
    } else if (a == "--pipeline") {
      std::string p = next();
      if (p != "shared" && p != "per-viewer") usage("--pipeline: shared or per-viewer");
      o.receiver.shared_pipeline = p == "shared";
    } else if (a == "--help" || a == "-h") usage("help");
    else usage("unknown argument " + a);
  }
  if (o.sig.whep_url.empty() == o.sig.janus_url.empty()) usage("give exactly one of --whep and --janus");
  if (!o.sig.janus_url.empty() && o.sig.mountpoint <= 0) usage("--janus needs --mountpoint");
  return o;
}

// A fixed pool of worker threads for the blocking signaling calls.
class Pool {
 public:
  explicit Pool(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Pool() {
    {
      std::lock_guard lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard lk(mu_);
      jobs_.push_back(std::move(f));
      ++pending_;
    }
    cv_.notify_one();
  }
  void wait_idle() {
    std::unique_lock lk(mu_);
    idle_.wait(lk, [this] { return pending_ == 0; });
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return quit_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        f = std::move(jobs_.front());
        jobs_.erase(jobs_.begin());
      }
      f();
      std::lock_guard lk(mu_);
      if (--pending_ == 0) idle_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_, idle_;
  std::vector<std::function<void()>> jobs_;
  int pending_ = 0;
  bool quit_ = false;
  std::vector<std::thread> threads_;
};

// One viewer slot: its viewer, its signaling, its timing and error.
struct Entry {
  std::shared_ptr<Viewer> viewer;
  std::unique_ptr<Signaling> sig;
  Clock::time_point t0;
  bool joined = false;
  std::string error;
};

struct ProcStat {
  double cpu_s = 0;
  long rss_kb = 0;
  long threads = 0;
};

ProcStat self_stat() {
  ProcStat p;
  std::ifstream f("/proc/self/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::istringstream rest(s.substr(s.rfind(')') + 2));
  std::vector<std::string> fields((std::istream_iterator<std::string>(rest)), std::istream_iterator<std::string>());
  const double tck = double(sysconf(_SC_CLK_TCK));
  if (fields.size() > 13) p.cpu_s = (std::stod(fields[14 - 3]) + std::stod(fields[15 - 3])) / tck;
  std::ifstream st("/proc/self/status");
  for (std::string line; std::getline(st, line);) {
    if (line.rfind("VmRSS:", 0) == 0) p.rss_kb = std::stol(line.substr(6));
    if (line.rfind("Threads:", 0) == 0) p.threads = std::stol(line.substr(8));
  }
  return p;
}

// Sleeps until `t` unless asked to stop (SIGINT/SIGTERM).
void sleep_until(Clock::time_point t) {
  while (!g_stop && Clock::now() < t) std::this_thread::sleep_for(std::min<Clock::duration>(t - Clock::now(), std::chrono::milliseconds(100)));
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

json stats(std::vector<double> xs) {
  if (xs.empty()) return {{"n", 0}, {"min", nullptr}, {"median", nullptr}, {"p95", nullptr}, {"max", nullptr}};
  std::sort(xs.begin(), xs.end());
  size_t m = xs.size() / 2;
  double median = xs.size() % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
  size_t r95 = std::min(xs.size() - 1, size_t(std::max(1.0, std::ceil(0.95 * double(xs.size())))) - 1);
  return {{"n", xs.size()}, {"min", xs.front()}, {"median", median}, {"p95", xs[r95]}, {"max", xs.back()}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::unique_ptr<Receiver> receiver;
  try {
    receiver = make_receiver(o.receiver);
  } catch (const std::exception& ex) {
    std::cerr << "camrelay-swarm: " << ex.what() << "\n";
    return 2;
  }
  // Every viewer holds a few sockets and pipes (ICE, wakeup fds): lift the soft limit.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  std::signal(SIGINT, [](int) { g_stop = true; });
  std::signal(SIGTERM, [](int) { g_stop = true; });

  // Warm-up: plugins, DTLS certificate (hundreds of ms with webrtcbin, holding back the
  // viewers that join meanwhile); pay it before the clock starts.
  try {
    receiver->warm_up();
  } catch (const std::exception& ex) {
    std::cerr << "camrelay-swarm: warm-up: " << ex.what() << "\n";
    return 1;
  }

  std::vector<Entry> entries(size_t(o.n));
  std::mutex mu;  // Entry::joined/error/sig between the workers and this thread

  auto t_start = Clock::now();
  {
    Pool pool(o.workers);
    for (int i = 0; i < o.n && !g_stop; ++i) {
      auto t0 = t_start + std::chrono::milliseconds(int64_t(i) * o.join_interval_ms);
      sleep_until(t0);
      pool.post([&, i, t0] {
        Entry& e = entries[size_t(i)];
        try {
          std::unique_ptr<Signaling> sig = make_signaling(o.sig);
          std::shared_ptr<Viewer> v = receiver->make(i);
          {
            std::lock_guard lk(mu);
            e.t0 = t0;
            e.viewer = v;
          }
          sig->join(*v);
          std::lock_guard lk(mu);
          e.sig = std::move(sig);
          e.joined = true;
        } catch (const std::exception& ex) {
          std::lock_guard lk(mu);
          e.t0 = t0;
          e.error = ex.what();
          std::cerr << "camrelay-swarm: viewer " << i << ": " << ex.what() << "\n";
        }
      });
    }
    pool.wait_idle();
    auto t_joined = Clock::now();
    std::cerr << "camrelay-swarm: " << o.n << " joins done in " << ms_between(t_start, t_joined) << " ms\n";

    // Wait until every joined viewer is connected with RTP, or failed, or the timeout.
    auto connect_deadline = t_joined + std::chrono::milliseconds(int64_t(o.connect_timeout_s * 1000));
    auto all_ready = [&] {
      std::lock_guard lk(mu);
      return std::all_of(entries.begin(), entries.end(), [](const Entry& e) {
        if (!e.joined) return true;
        Counters c = e.viewer->counters();
        return c.failed || (c.connected && c.first_packet);
      });
    };
    while (!g_stop && Clock::now() < connect_deadline && !all_ready()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bool any_joined = std::any_of(entries.begin(), entries.end(), [](const Entry& e) { return e.joined; });

    // Janus drops a session after 60 s without a request: a keepalive every 25 s.
    std::atomic<bool> ka_stop{false};
    std::thread keepalive([&] {
      auto next = Clock::now() + std::chrono::seconds(25);
      while (!ka_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        if (Clock::now() < next) continue;
        next += std::chrono::seconds(25);
        for (auto& e : entries) {
          if (!e.joined) continue;
          try {
            e.sig->keepalive();
          } catch (const std::exception& ex) {
            std::cerr << "camrelay-swarm: viewer " << e.viewer->id() << " keepalive: " << ex.what() << "\n";
          }
        }
      }
    });

    // The measured window.
    std::vector<Counters> a(entries.size()), b(entries.size());
    ProcStat pa, pb;
    Clock::time_point ta = Clock::now(), tb = ta;
    if (any_joined) {
      sleep_until(Clock::now() + std::chrono::milliseconds(int64_t(o.settle_s * 1000)));
      pa = self_stat();
      ta = Clock::now();
      std::cerr << "camrelay-swarm: window starts (" << o.duration_s << " s)" << std::endl;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].joined) a[i] = entries[i].viewer->counters();
      }
      sleep_until(ta + std::chrono::milliseconds(int64_t(o.duration_s * 1000)));
      tb = Clock::now();
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].joined) b[i] = entries[i].viewer->counters();
      }
      pb = self_stat();
    }
    const double window_s = std::chrono::duration<double>(tb - ta).count();

    // Results.
    json viewers = json::array();
    std::vector<double> fps_all, loss_all, dloss_all, conn_ms, first_ms;
    int connected = 0;
    std::string first_error;
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      json v = {{"id", i}};
      if (!e.error.empty()) {
        v["error"] = e.error;
        if (first_error.empty()) first_error = e.error;
      }
      if (e.viewer) {
        const Counters& cb = b[i];
        const Counters& ca = a[i];
        Counters now = e.viewer->counters();
        v["state"] = e.viewer->connection_state();
        v["connected_ms"] = now.connected ? json(ms_between(e.t0, *now.connected)) : json(nullptr);
        v["sdp_ready_ms"] = now.local_sdp_ready.time_since_epoch().count() ? json(ms_between(e.t0, now.local_sdp_ready)) : json(nullptr);
        v["first_packet_ms"] = now.first_packet ? json(ms_between(e.t0, *now.first_packet)) : json(nullptr);
        if (now.connected) conn_ms.push_back(ms_between(e.t0, *now.connected));
        if (now.first_packet) first_ms.push_back(ms_between(e.t0, *now.first_packet));
        if (e.joined && window_s > 0) {
          // Over the window: arrivals give loss and fps (as a browser's inbound-rtp counts
          // them); the jitter buffer's output gives what arrived in time.
          const SeqCount& aa = ca.arrived;
          const SeqCount& ba = cb.arrived;
          const int64_t packets = int64_t(ba.packets - aa.packets);
          const int64_t expected = aa.ext_max < 0 ? ba.expected() : ba.ext_max - aa.ext_max;
          const int64_t lost = std::max<int64_t>(0, expected - packets);
          const double fps = double(ba.frames - aa.frames) / window_s;
          const double loss = expected > 0 ? 100.0 * double(lost) / double(expected) : 100.0;
          const SeqCount& ad = ca.delivered;
          const SeqCount& bd = cb.delivered;
          const int64_t d_packets = int64_t(bd.packets - ad.packets);
          const int64_t d_expected = ad.ext_max < 0 ? bd.expected() : bd.ext_max - ad.ext_max;
          v["fps"] = fps;
          v["loss_pct"] = loss;
          v["packets"] = packets;
          v["lost"] = lost;
          v["gaps"] = ba.gaps - aa.gaps;
          v["delivered_fps"] = double(bd.frames - ad.frames) / window_s;
          v["delivered_loss_pct"] =
              d_expected > 0 ? 100.0 * double(std::max<int64_t>(0, d_expected - d_packets)) / double(d_expected) : 100.0;
          v["plis_sent"] = cb.plis_sent;
          Viewer::JitterStats js = e.viewer->jitter_stats();
          v["nacks_sent"] = js.nacks_sent;
          v["rtx_in_time"] = js.rtx_success;
          v["jitterbuffer_lost"] = js.lost;
          v["jitterbuffer_late"] = js.late;
          v["packets_total"] = ba.packets;
          if (now.connected && now.first_packet && packets > 0) {
            ++connected;
            fps_all.push_back(fps);
            loss_all.push_back(loss);
            dloss_all.push_back(v["delivered_loss_pct"].get<double>());
          } else if (first_error.empty()) {
            first_error = "viewer " + std::to_string(i) + ": no RTP (connection " + e.viewer->connection_state() + ")";
          }
        }
      }
      viewers.push_back(std::move(v));
    }
    const double cpu_pct = window_s > 0 ? 100.0 * (pb.cpu_s - pa.cpu_s) / window_s : 0;
    json out = {
        {"server", o.sig.whep_url.empty() ? "janus" : "whep"},
        {"n", o.n},
        {"receiver", o.receiver.kind},
        {"pipeline", o.receiver.kind != "webrtcbin" ? json(nullptr) : json(o.receiver.shared_pipeline ? "shared" : "per-viewer")},
        {"join_interval_ms", o.join_interval_ms},
        {"joins_ms", ms_between(t_start, t_joined)},
        {"window_s", window_s},
        {"summary",
         {{"connected", connected},
          {"fps", stats(fps_all)},
          {"loss_pct", stats(loss_all)},
          {"delivered_loss_pct", stats(dloss_all)},
          {"connected_ms", stats(conn_ms)},
          {"first_packet_ms", stats(first_ms)},
          {"errors", std::count_if(entries.begin(), entries.end(), [](const Entry& e) { return !e.error.empty(); })},
          {"first_error", first_error.empty() ? json(nullptr) : json(first_error)}}},
        {"swarm",
         {{"cpu_pct", cpu_pct},
          {"cpu_pct_per_viewer", connected ? cpu_pct / connected : 0.0},
          {"rss_kb", pb.rss_kb},
          {"threads", pb.threads}}},
        {"viewers", viewers},
    };

    // Goodbye: WHEP DELETE / Janus destroy, on the pool.
    ka_stop = true;
    keepalive.join();
    for (auto& e : entries) {
      if (!e.joined) continue;
      pool.post([&e] {
        try {
          e.sig->leave();
        } catch (const std::exception& ex) {
          std::cerr << "camrelay-swarm: viewer " << e.viewer->id() << " leave: " << ex.what() << "\n";
        }
      });
    }
    pool.wait_idle();
    std::cout << out.dump() << std::endl;
    for (auto& e : entries) {
      if (e.viewer) e.viewer->stop();
    }
    receiver.reset();
    if (connected < o.n) {
      std::cerr << "camrelay-swarm: " << (o.n - connected) << " of " << o.n
                << " viewers did not connect or received no RTP; first error: " << first_error << "\n";
      return 1;
    }
  }
  return 0;
}
