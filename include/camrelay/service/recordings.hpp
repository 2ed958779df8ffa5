#pragma once
// Recordings daemon-wide (docs/recording.md): where files go, the recordings table, the
// retention (age, quotas per camera and in total) and the free-space floor below which
// recording pauses. Each camera's path records its own stream (path_record.cpp) and tells
// this class about the files it opens and closes; this class owns the disk.
// Threads: every public method may be called from any thread. Disk work (statvfs, deleting
// files, reading a file's real length, thumbnails) and the synchronous store calls run on
// a thread of its own, never on an Asio or GLib thread; replies run there.
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "camrelay/config/config.hpp"
#include "camrelay/store/recording_rows.hpp"

namespace camrelay::store {
class Store;
}

namespace camrelay::service {

template <class T>
using RecordingReply = std::function<void(std::exception_ptr, T)>;

// The disk as the last check saw it (GET /health, GET /recordings).
struct RecordingDisk {
  std::string dir;
  std::uint64_t free_bytes = 0;
  std::uint64_t min_free_bytes = 0;
  bool writable = true;
  bool paused = false;  // below the floor or not writable: no camera records
  std::string error;    // why it is paused
  std::uint64_t files = 0;  // closed recordings in the table
  std::uint64_t bytes = 0;
  std::uint64_t deleted_by_retention = 0;  // files deleted since start
  std::int64_t last_check_unix_ms = 0;
};

// What retention deletes from `rows` (closed recordings, oldest first): older than the
// camera's (or the global) age limit, then the oldest of a camera over its quota, then
// the oldest of all while the total is over the total quota. Pure (unit-tested).
std::vector<std::int64_t> plan_retention(const std::vector<store::RecordingRow>& rows, const config::Config& cfg,
                                         std::int64_t now_ms);

class Recordings : public std::enable_shared_from_this<Recordings> {
 public:
  Recordings(boost::asio::io_context& io, const config::Config& cfg, store::Store& store);
  ~Recordings();

  // At start-up, before any camera records (synchronous): closes the rows a crash left
  // "recording" with the file's real length (status "recovered"; "missing" without a file).
  int recover();
  // The cameras whose `record` limits retention applies (the file's and the API's); call
  // before start(). Default: the configuration file's.
  void set_cameras(std::function<std::vector<config::Camera>()> cameras);
  // The periodic check (retention, free space). `space_changed` runs (on this class's thread)
  // when recording becomes possible again or must pause: the manager tells every camera.
  void start(std::function<void()> space_changed);
  void stop();  // no more checks; waits for the disk thread

  RecordingDisk disk() const;
  // Empty: a camera may record now; else why not (below the floor, not writable).
  std::string paused_reason() const;
  std::filesystem::path camera_dir(const std::string& camera_id) const;
  // A check soon (a recorder failed: maybe the disk is full).
  void check_soon();

  // A camera's files (any thread; queued to the store).
  void file_opened(const std::string& camera_id, const std::string& session_id, const std::string& reason,
                   const std::filesystem::path& path, std::int64_t start_ms);
  void file_closed(const std::filesystem::path& path, std::int64_t start_ms, std::int64_t end_ms,
                   std::uint64_t bytes);

  // The recordings API. Errors through the reply: not_found, conflict (a file still being
  // written cannot be deleted), unavailable (the database).
  void list(store::RecordingQuery q, RecordingReply<std::vector<store::RecordingRow>> reply);
  void get(std::int64_t id, RecordingReply<store::RecordingRow> reply);
  void remove(std::int64_t id, RecordingReply<store::RecordingRow> reply);
  // A JPEG of its first picture (made once, kept beside the file as <file>.jpg).
  void thumbnail(std::int64_t id, RecordingReply<std::string> reply);
  // A camera deleted through the API: its closed recordings and their files (open ones are
  // closed by its path first). Replies the number of files deleted.
  void remove_camera(std::string camera_id, RecordingReply<int> reply);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace camrelay::service
