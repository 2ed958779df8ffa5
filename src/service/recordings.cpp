// Recordings daemon-wide: the disk, the table, retention (include/camrelay/service/recordings.hpp).
#include "camrelay/service/recordings.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "camrelay/media/recorder.hpp"
#include "camrelay/model/mp4_probe.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {
auto lg() {
  static auto l = log::get("recording");
  return l;
}

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr int kThumbnailWidth = 320;

fs::path thumbnail_path(const fs::path& file) { return fs::path(file.string() + ".jpg"); }

// Removes a recording's file and its thumbnail; false (logged) if the file stays.
bool remove_files(const fs::path& file) {
  std::error_code ec;
  fs::remove(thumbnail_path(file), ec);
  ec.clear();
  fs::remove(file, ec);
  if (ec) {
    lg()->error("cannot delete {}: {}", file.string(), ec.message());
    return false;
  }
  return true;
}

std::int64_t age_limit_ms(const config::Config& cfg, const std::string& camera) {
  int h = cfg.recording.max_age_h;
  if (const auto* c = cfg.find_camera(camera); c && c->record.max_age_h > 0) h = c->record.max_age_h;
  return std::int64_t(h) * 3600 * 1000;
}

}  // namespace

std::vector<std::int64_t> plan_retention(const std::vector<store::RecordingRow>& rows, const config::Config& cfg,
                                         std::int64_t now_ms) {
  std::vector<std::int64_t> out;
  std::vector<bool> gone(rows.size(), false);
  std::map<std::string, std::uint64_t> per_camera;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const std::int64_t limit = age_limit_ms(cfg, r.camera_id);
    const std::int64_t end = r.end_ms.value_or(r.start_ms);
    if (limit > 0 && now_ms - end > limit) {
      gone[i] = true;
      continue;
    }
    per_camera[r.camera_id] += std::uint64_t(r.bytes);
    total += std::uint64_t(r.bytes);
  }
  // A camera over its own quota: its oldest first.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (gone[i]) continue;
    const auto* c = cfg.find_camera(rows[i].camera_id);
    if (!c || c->record.max_mb <= 0) continue;
    auto& used = per_camera[rows[i].camera_id];
    if (used > std::uint64_t(c->record.max_mb) * kMiB) {
      gone[i] = true;
      used -= std::uint64_t(rows[i].bytes);
      total -= std::uint64_t(rows[i].bytes);
    }
  }
  // All together over the total quota: the oldest of all first.
  const std::uint64_t quota = std::uint64_t(cfg.recording.max_total_mb) * kMiB;
  for (std::size_t i = 0; quota > 0 && i < rows.size() && total > quota; ++i) {
    if (gone[i]) continue;
    gone[i] = true;
    total -= std::uint64_t(rows[i].bytes);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (gone[i]) out.push_back(rows[i].id);
  }
  return out;
}

struct Recordings::Impl : std::enable_shared_from_this<Recordings::Impl> {
  Impl(const config::Config& c, store::Store& s) : cfg(c), store(s), dir(cfg.recording_dir()) {}
  const config::Config& cfg;
  store::Store& store;
  const fs::path dir;
  asio::thread_pool pool{1};  // the disk thread
  asio::steady_timer timer{pool.get_executor()};
  std::function<void()> space_changed;
  std::function<std::vector<config::Camera>()> cameras;  // set before start
  bool stopped = false;  // disk thread
  std::atomic<bool> stop_requested{false};
  mutable std::mutex mu;
  RecordingDisk disk;  // under mu

  template <class F>
  void run(F&& f) {
    asio::post(pool, [w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = w.lock()) f(*self);
    });
  }
  template <class T, class F>
  void answer(RecordingReply<T> reply, F&& f) {
    run([reply = std::move(reply), f = std::forward<F>(f)](Impl& self) mutable {
      T value{};
      try {
        value = f(self);
      } catch (...) {
        return reply(std::current_exception(), T{});
      }
      reply(nullptr, std::move(value));
    });
  }

  // Disk thread.
  void schedule() {
    if (stopped) return;
    timer.expires_after(std::chrono::seconds(cfg.recording.check_interval_s));
    timer.async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self = w.lock()) {
        self->check();
        self->schedule();
      }
    });
  }

  void check() {
    int deleted = 0;
    std::uint64_t files = 0, bytes = 0;
    try {
      auto rows = store.closed_recordings();
      config::Config limits = cfg;  // with every camera's record limits
      if (cameras) limits.cameras = cameras();
      const auto ids = plan_retention(rows, limits, unix_now_ms());
      std::vector<std::int64_t> done;
      std::map<std::int64_t, const store::RecordingRow*> by_id;
      for (const auto& r : rows) by_id[r.id] = &r;
      for (auto id : ids) {
        const auto* r = by_id[id];
        if (remove_files(r->path)) {
          done.push_back(id);
          lg()->info("retention: deleted {} ({} bytes, camera {})", r->path, r->bytes, r->camera_id);
        }
      }
      deleted = store.delete_recordings(done);
      for (const auto& r : rows) {
        if (std::find(done.begin(), done.end(), r.id) != done.end()) continue;
        files++;
        bytes += std::uint64_t(r.bytes);
      }
    } catch (const std::exception& ex) {
      lg()->error("retention: {}", ex.what());
    }
    // The free-space floor.
    std::error_code ec;
    fs::create_directories(dir, ec);
    struct statvfs st {};
    const bool stat_ok = ::statvfs(dir.c_str(), &st) == 0;
    const std::uint64_t free_bytes = stat_ok ? std::uint64_t(st.f_bavail) * st.f_frsize : 0;
    const bool writable = stat_ok && ::access(dir.c_str(), W_OK) == 0;
    const std::uint64_t floor = std::max<std::uint64_t>(std::uint64_t(cfg.recording.min_free_mb) * kMiB, kMiB);
    bool changed = false;
    {
      std::lock_guard lk(mu);
      const bool was = disk.paused;
      // Resume a little above the floor, so that one new fragment does not pause it again.
      const std::uint64_t resume_at = floor + std::max<std::uint64_t>(floor / 20, kMiB);
      bool paused = !writable || free_bytes < (was ? resume_at : floor);
      disk.dir = dir.string();
      disk.free_bytes = free_bytes;
      disk.min_free_bytes = floor;
      disk.writable = writable;
      disk.files = files;
      disk.bytes = bytes;
      disk.deleted_by_retention += std::uint64_t(deleted);
      disk.last_check_unix_ms = unix_now_ms();
      if (!writable) {
        disk.error = "recording paused: cannot write to " + dir.string() +
                     (ec ? " (" + ec.message() + ")" : std::string(stat_ok ? "" : " (no such directory)"));
      } else if (paused) {
        disk.error = "recording paused: disk full (" + std::to_string(free_bytes / kMiB) + " MB free in " +
                     dir.string() + ", recording.min_free_mb is " + std::to_string(cfg.recording.min_free_mb) + ")";
      } else {
        disk.error.clear();
      }
      disk.paused = paused;
      changed = was != paused;
      if (changed && paused) lg()->error("{}", disk.error);
      if (changed && !paused) lg()->info("recording may resume: {} MB free in {}", free_bytes / kMiB, dir.string());
    }
    if (changed && space_changed) space_changed();
  }
};

Recordings::Recordings(asio::io_context&, const config::Config& cfg, store::Store& store)
    : impl_(std::make_shared<Impl>(cfg, store)) {
  impl_->disk.dir = impl_->dir.string();
}

Recordings::~Recordings() { stop(); }

int Recordings::recover() {
  int n = 0;
  for (const auto& r : impl_->store.open_recordings()) {
    std::error_code ec;
    if (!fs::exists(r.path, ec)) {
      lg()->warn("recording {} was being written when camrelay stopped, and its file is gone: row removed", r.path);
      impl_->store.delete_recordings({r.id});
      continue;
    }
    const auto size = fs::file_size(r.path, ec);
    const auto extent = model::probe_fragmented_mp4(r.path);
    const std::int64_t duration = extent ? extent->duration_ms : 0;
    lg()->warn("recording {} was being written when camrelay stopped: closed with its real length {:.1f} s",
               r.path, double(duration) / 1000.0);
    impl_->store.close_recording(r.path, r.start_ms + duration, duration, ec ? 0 : std::int64_t(size), "recovered");
    n++;
  }
  impl_->store.flush();
  return n;
}

void Recordings::set_cameras(std::function<std::vector<config::Camera>()> cameras) {
  impl_->cameras = std::move(cameras);
}

void Recordings::start(std::function<void()> space_changed) {
  impl_->run([space_changed = std::move(space_changed)](Impl& self) mutable {
    self.space_changed = std::move(space_changed);
    self.check();
    self.schedule();
  });
}

void Recordings::stop() {
  auto impl = impl_;
  if (impl->stop_requested.exchange(true)) return;
  asio::post(impl->pool, [impl] {
    impl->stopped = true;
    impl->timer.cancel();
  });
  impl->pool.join();
}

RecordingDisk Recordings::disk() const {
  std::lock_guard lk(impl_->mu);
  return impl_->disk;
}

std::string Recordings::paused_reason() const {
  std::lock_guard lk(impl_->mu);
  return impl_->disk.paused ? impl_->disk.error : std::string();
}

fs::path Recordings::camera_dir(const std::string& camera_id) const { return impl_->dir / camera_id; }

void Recordings::check_soon() {
  impl_->run([](Impl& self) {
    if (!self.stopped) self.check();
  });
}

void Recordings::file_opened(const std::string& camera_id, const std::string& session_id, const std::string& reason,
                             const fs::path& path, std::int64_t start_ms) {
  store::RecordingRow row;
  row.camera_id = camera_id;
  row.session_id = session_id;
  row.path = path.string();
  row.reason = reason;
  row.status = "recording";
  row.start_ms = start_ms;
  impl_->store.insert_recording(std::move(row));
}

void Recordings::file_closed(const fs::path& path, std::int64_t start_ms, std::int64_t end_ms, std::uint64_t bytes) {
  impl_->store.close_recording(path.string(), end_ms, std::max<std::int64_t>(0, end_ms - start_ms),
                               std::int64_t(bytes), "complete");
}

void Recordings::list(store::RecordingQuery q, RecordingReply<std::vector<store::RecordingRow>> reply) {
  impl_->store.list_recordings(std::move(q), [reply = std::move(reply)](std::vector<store::RecordingRow> rows) {
    reply(nullptr, std::move(rows));
  });
}

namespace {
store::RecordingRow must_get(store::Store& s, std::int64_t id) {
  auto row = s.get_recording(id);
  if (!row) throw Error(Errc::not_found, "no recording " + std::to_string(id));
  return *row;
}
}  // namespace

void Recordings::get(std::int64_t id, RecordingReply<store::RecordingRow> reply) {
  impl_->answer<store::RecordingRow>(std::move(reply), [id](Impl& self) { return must_get(self.store, id); });
}

void Recordings::remove(std::int64_t id, RecordingReply<store::RecordingRow> reply) {
  impl_->answer<store::RecordingRow>(std::move(reply), [id](Impl& self) {
    auto row = must_get(self.store, id);
    if (row.status == "recording") {
      throw Error(Errc::conflict, "recording " + std::to_string(id) +
                                      " is still being written; stop the camera's recording first");
    }
    if (!remove_files(row.path)) throw Error(Errc::internal, "cannot delete " + row.path);
    self.store.delete_recordings({id});
    lg()->info("deleted recording {} ({})", id, row.path);
    if (!self.stopped) self.check();  // space came back: recording may resume now
    return row;
  });
}

void Recordings::thumbnail(std::int64_t id, RecordingReply<std::string> reply) {
  impl_->answer<std::string>(std::move(reply), [id](Impl& self) {
    const auto row = must_get(self.store, id);
    const auto cached = thumbnail_path(row.path);
    std::error_code ec;
    if (fs::exists(cached, ec)) {
      std::ifstream in(cached, std::ios::binary);
      std::string data{std::istreambuf_iterator<char>(in), {}};
      if (!data.empty()) return data;
    }
    if (!fs::exists(row.path, ec)) throw Error(Errc::not_found, "the file of recording " + std::to_string(id) + " is gone");
    std::string jpeg = media::recording_thumbnail(row.path, kThumbnailWidth);
    if (row.status != "recording") {  // a finished file's first picture never changes
      std::ofstream(cached, std::ios::binary).write(jpeg.data(), std::streamsize(jpeg.size()));
    }
    return jpeg;
  });
}

void Recordings::remove_camera(std::string camera_id, RecordingReply<int> reply) {
  impl_->answer<int>(std::move(reply), [camera_id = std::move(camera_id)](Impl& self) {
    // The camera's path is stopping: its last file closes once the muxer has finished it
    // (a few seconds at most). Wait for that, so that file goes too.
    auto rows = self.store.camera_recordings(camera_id);
    for (int i = 0; i < 50; ++i) {
      const bool open = std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.status == "recording"; });
      if (!open) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      self.store.flush();
      rows = self.store.camera_recordings(camera_id);
    }
    std::vector<std::int64_t> ids;
    for (const auto& r : rows) {
      if (r.status == "recording") {
        lg()->warn("camera {} deleted: {} is still being written; kept", camera_id, r.path);
        continue;
      }
      if (remove_files(r.path)) ids.push_back(r.id);
    }
    const int n = self.store.delete_recordings(ids);
    std::error_code ec;
    fs::remove(self.dir / camera_id, ec);  // the camera's folder, if now empty
    lg()->info("camera {} deleted: {} recording(s) deleted", camera_id, n);
    return n;
  });
}

}  // namespace camrelay::service
