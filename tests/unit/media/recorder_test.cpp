// media::Recorder on a running test stream, checked with ffprobe (a reader we did not
// write): a playable H.264 MP4 of the recorded length; files cut every segment; the file as
// it is on disk in mid-recording (what a power cut leaves) decodes; the stream stopping ends
// the file; a write error (as from a full disk) ends only the recording.
#include <gtest/gtest.h>

#include <gst/gst.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/media/recorder.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/util/ids.hpp"
#include "free_ports.hpp"
#include "media_test_util.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace gst = camrelay::gst;
namespace media = camrelay::media;
namespace config = camrelay::config;

using camrelay::testing::eventually;

// ffprobe's view of a file: "codec,width,height,frames,duration" of its video stream.
struct Probe {
  std::string codec;
  std::string audio;  // the audio stream's codec ("" = none)
  int width = 0, height = 0, frames = 0;
  double duration = 0;
  std::string raw;
};

Probe ffprobe(const fs::path& file) {
  const std::string cmd = fmt::format(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,width,height,nb_read_frames:format=duration -of default=noprint_wrappers=1 '{}' 2>&1",
      file.string());
  Probe p;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return p;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    std::string l(line);
    p.raw += l;
    if (!l.empty() && l.back() == '\n') l.pop_back();
    const auto eq = l.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = l.substr(0, eq), v = l.substr(eq + 1);
    try {
      if (k == "codec_name") p.codec = v;
      if (k == "width") p.width = std::stoi(v);
      if (k == "height") p.height = std::stoi(v);
      if (k == "nb_read_frames") p.frames = std::stoi(v);
      if (k == "duration") p.duration = std::stod(v);
    } catch (const std::exception&) {
    }
  }
  pclose(f);
  const std::string acmd = fmt::format(
      "ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 '{}' 2>/dev/null", file.string());
  if (FILE* a = popen(acmd.c_str(), "r")) {
    if (fgets(line, sizeof line, a)) {
      p.audio = line;
      while (!p.audio.empty() && (p.audio.back() == '\n' || p.audio.back() == ',')) p.audio.pop_back();
    }
    pclose(a);
  }
  return p;
}

struct Files {
  std::mutex mu;
  std::vector<media::RecordedFile> opened, closed;
  std::vector<std::string> failures;
  media::RecorderEvents events() {
    media::RecorderEvents ev;
    ev.file_opened = [this](media::RecordedFile f) {
      std::lock_guard lk(mu);
      opened.push_back(std::move(f));
    };
    ev.file_closed = [this](media::RecordedFile f) {
      std::lock_guard lk(mu);
      closed.push_back(std::move(f));
    };
    ev.failed = [this](std::string why) {
      std::lock_guard lk(mu);
      failures.push_back(std::move(why));
    };
    return ev;
  }
  std::size_t n_closed() {
    std::lock_guard lk(mu);
    return closed.size();
  }
  std::size_t n_opened() {
    std::lock_guard lk(mu);
    return opened.size();
  }
};

class RecorderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("camrelay-rec-{}-{}", getpid(), camrelay::random_id().substr(0, 6));
    cfg_.data_dir = dir_.string();
    cam_ = camrelay::testing::small_test_camera();
    media::StreamCallbacks cb;
    cb.on_active = [this] { active_ = true; };
    stream_ = media::Stream::create(loop_, cfg_, cam_, cb);
    stream_->start();
    ASSERT_TRUE(eventually([this] { return active_.load(); })) << "the test stream did not start";
  }
  void TearDown() override {
    if (stream_) stop_stream();
    std::error_code ec;
    if (!getenv("CAMRELAY_TEST_KEEP")) fs::remove_all(dir_, ec);
  }
  void stop_stream() {
    ASSERT_TRUE(camrelay::testing::wait_done([this](std::function<void()> done) { stream_->stop(std::move(done)); }));
    stream_.reset();
  }
  void stop(const std::shared_ptr<media::Recorder>& r) {
    ASSERT_TRUE(camrelay::testing::wait_done([&](std::function<void()> done) { r->stop(std::move(done)); }))
        << "stop() did not finish";
  }
  media::RecorderOptions options(int segment_s) {
    media::RecorderOptions o;
    o.dir = dir_ / "recordings";
    o.prefix = "cam1";
    o.segment_s = segment_s;
    return o;
  }
  static double uptime(const media::Recorder& r) {
    return std::get<camrelay::model::RecorderFigures>(r.figures()).uptime_s;
  }

  config::Config cfg_;
  config::Camera cam_;
  fs::path dir_;
  gst::MainLoop loop_{"rec-test"};
  std::atomic<bool> active_{false};
  std::shared_ptr<media::Stream> stream_;
};

TEST_F(RecorderTest, RecordsAPlayableMp4OfTheRecordedLength) {
  Files files;
  auto rec = media::Recorder::create(stream_, options(0), files.events());
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(media::Recorder::create(stream_, options(0), {}), nullptr) << "one recording per stream";
  const std::int64_t t0 = camrelay::unix_now_ms();
  rec->start();
  ASSERT_TRUE(eventually([&] { return rec->state() == media::Recorder::State::recording && files.n_opened() == 1; }))
      << rec->error();
  // The file's start is its first frame's time (a keyframe asked for at the start), not when
  // splitmuxsink named it (a GOP later).
  EXPECT_LT(std::abs(files.opened[0].start_unix_ms - t0), 500) << files.opened[0].start_unix_ms - t0;
  ASSERT_TRUE(eventually([&] { return uptime(*rec) >= 3.0; }));
  stop(rec);
  EXPECT_EQ(rec->state(), media::Recorder::State::stopped);
  ASSERT_EQ(files.n_closed(), 1u);
  const media::RecordedFile f = files.closed[0];
  EXPECT_EQ(f.path, files.opened[0].path);
  EXPECT_EQ(f.bytes, fs::file_size(f.path));
  EXPECT_GE(f.end_unix_ms - f.start_unix_ms, 2500);
  const Probe p = ffprobe(f.path);
  EXPECT_EQ(p.codec, "h264") << p.raw;
  EXPECT_EQ(p.width, 320);
  EXPECT_EQ(p.height, 240);
  // 3 s from the first keyframe (the recording starts at one: up to a GOP later).
  EXPECT_GE(p.duration, 1.8) << p.raw;
  EXPECT_LE(p.duration, 3.6) << p.raw;
  EXPECT_GE(p.frames, static_cast<int>(p.duration * 15) - 2) << p.raw;
  // The stream goes on, and can record again.
  auto again = media::Recorder::create(stream_, options(0), {});
  ASSERT_NE(again, nullptr);
  again->start();
  ASSERT_TRUE(eventually([&] { return again->state() == media::Recorder::State::recording; }));
  stop(again);
}

TEST_F(RecorderTest, CutsFilesAtTheSegmentLength) {
  Files files;
  auto rec = media::Recorder::create(stream_, options(1), files.events());
  ASSERT_NE(rec, nullptr);
  rec->start();
  ASSERT_TRUE(eventually([&] { return files.n_closed() >= 2; })) << "files of 1 s are cut";
  stop(rec);
  std::lock_guard lk(files.mu);
  EXPECT_EQ(files.closed.size(), files.opened.size());
  for (const auto& f : files.closed) {
    const Probe p = ffprobe(f.path);
    EXPECT_EQ(p.codec, "h264") << f.path << ": " << p.raw;
    EXPECT_GT(p.frames, 0) << f.path;
  }
}

TEST_F(RecorderTest, TheFileInMidRecordingPlays) {
  // What a power cut leaves: the file as it is on disk 4 s into the recording (1 s GOPs:
  // splitmuxsink holds one back, mp4mux closes a fragment at the next keyframe).
  Files files;
  auto rec = media::Recorder::create(stream_, options(0), files.events());
  ASSERT_NE(rec, nullptr);
  rec->start();
  ASSERT_TRUE(eventually([&] { return files.n_opened() >= 1; }));
  const media::RecordedFile first = files.opened[0];
  ASSERT_TRUE(eventually([&] { return camrelay::unix_now_ms() - first.start_unix_ms >= 4000; }));
  const fs::path copy = dir_ / "power-cut.mp4";
  fs::copy_file(first.path, copy);
  stop(rec);
  const Probe p = ffprobe(copy);
  EXPECT_EQ(p.codec, "h264") << p.raw;
  EXPECT_GE(p.frames, 15) << "at least a second of the mid-recording file decodes: " << p.raw;
}

TEST_F(RecorderTest, StoppingTheStreamEndsTheFile) {
  Files files;
  auto rec = media::Recorder::create(stream_, options(0), files.events());
  ASSERT_NE(rec, nullptr);
  rec->start();
  // Torn down under a running recorder, the file is as a crash leaves it (see above).
  ASSERT_TRUE(eventually([&] { return uptime(*rec) >= 4.0; }));
  stop_stream();
  EXPECT_EQ(rec->state(), media::Recorder::State::stopped);
  ASSERT_EQ(files.n_closed(), 1u);
  const Probe p = ffprobe(files.closed[0].path);
  EXPECT_EQ(p.codec, "h264") << p.raw;
  EXPECT_GE(p.frames, 15) << p.raw;
}

TEST_F(RecorderTest, AWriteErrorEndsOnlyTheRecording) {
  // A file size limit makes the writes fail (EFBIG), as a full disk does (ENOSPC).
  struct rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Files files;
  auto rec = media::Recorder::create(stream_, options(0), files.events());
  ASSERT_NE(rec, nullptr);
  rec->start();
  // The state turns `failed` before the branch is taken down and the event is sent (on the
  // stream's thread): wait for the event, which comes last.
  const bool failed = eventually([&] {
    std::lock_guard lk(files.mu);
    return !files.failures.empty();
  });
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(failed) << "the recording did not fail at the size limit";
  EXPECT_EQ(rec->state(), media::Recorder::State::failed);
  EXPECT_FALSE(rec->error().empty());
  {
    std::lock_guard lk(files.mu);
    ASSERT_EQ(files.failures.size(), 1u);
  }
  EXPECT_EQ(files.n_closed(), 1u) << "the file written so far is closed";
  // The stream is unharmed: frames keep coming, and a new recording can start.
  const auto frames = stream_->stats().frames;
  EXPECT_TRUE(eventually([&] { return stream_->stats().frames > frames + 10; }));
  auto again = media::Recorder::create(stream_, options(0), {});
  ASSERT_NE(again, nullptr);
  again->start();
  ASSERT_TRUE(eventually([&] { return again->state() == media::Recorder::State::recording; }));
  stop(again);
}

// A static RTP camera with audio, fed by a GStreamer pipeline in this process (H.264 and
// `audio` RTP to loopback ports): the recording carries the camera's audio, Opus as it is,
// G.711 encoded to AAC once.
class RecorderAudioTest : public RecorderTest {
 protected:
  void SetUp() override {}  // each test starts its own stream
  void start_rtp_camera(const std::string& codec) {
    const int port = camrelay::testing::free_port_quad();
    ASSERT_GT(port, 0);
    config::RtpSource r;
    r.negotiation = "static";
    r.video_port = port;
    r.audio_port = port + 2;
    r.audio_codec = codec == "opus" ? "OPUS" : "PCMU";
    r.audio_payload_type = codec == "opus" ? 111 : 0;
    r.audio_clock_rate = codec == "opus" ? 48000 : 8000;
    dir_ = fs::temp_directory_path() / fmt::format("camrelay-rec-{}-{}", getpid(), camrelay::random_id().substr(0, 6));
    cfg_.data_dir = dir_.string();
    cam_.id = "cam1";
    cam_.source = r;
    cam_.audio = true;
    const std::string audio = codec == "opus" ? "opusenc ! rtpopuspay pt=111" : "mulawenc ! rtppcmupay pt=0";
    const std::string desc = fmt::format(
        "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! rtph264pay pt=96 config-interval=-1 ! "
        "udpsink host=127.0.0.1 port={} sync=false "
        "audiotestsrc is-live=true ! audio/x-raw,rate={},channels=1 ! {} ! udpsink host=127.0.0.1 port={} sync=false",
        port, codec == "opus" ? 48000 : 8000, audio, port + 2);
    GError* err = nullptr;
    pusher_ = gst_parse_launch(desc.c_str(), &err);
    ASSERT_NE(pusher_, nullptr) << (err ? err->message : "?");
    if (err) g_error_free(err);
    media::StreamCallbacks cb;
    cb.on_active = [this] { active_ = true; };
    stream_ = media::Stream::create(loop_, cfg_, cam_, cb);
    stream_->start();
    gst_element_set_state(pusher_, GST_STATE_PLAYING);
    ASSERT_TRUE(eventually([this] { return active_.load(); })) << "the RTP camera did not start";
    ASSERT_TRUE(eventually([this] { return !stream_->audio_info().codec.empty(); })) << "no audio caps";
  }
  void TearDown() override {
    RecorderTest::TearDown();
    if (pusher_) {
      gst_element_set_state(pusher_, GST_STATE_NULL);
      gst_object_unref(pusher_);
    }
  }
  void record_and_check(const std::string& want_label, const std::string& want_codec) {
    Files files;
    auto rec = media::Recorder::create(stream_, options(0), files.events());
    ASSERT_NE(rec, nullptr);
    rec->start();
    ASSERT_TRUE(eventually([&] { return uptime(*rec) >= 3.0; }));
    EXPECT_EQ(std::get<camrelay::model::RecorderFigures>(rec->figures()).audio, want_label);
    stop(rec);
    EXPECT_EQ(stream_->source_figures().restarts, 0u) << "recording must never disturb the camera's source";
    ASSERT_EQ(files.n_closed(), 1u);
    const Probe p = ffprobe(files.closed[0].path);
    EXPECT_EQ(p.codec, "h264") << p.raw;
    EXPECT_EQ(p.audio, want_codec) << p.raw;
  }
  GstElement* pusher_ = nullptr;
};

TEST_F(RecorderAudioTest, G711IsEncodedToAac) {
  start_rtp_camera("pcmu");
  record_and_check("aac (from pcmu)", "aac");
}

TEST_F(RecorderAudioTest, OpusIsKept) {
  start_rtp_camera("opus");
  record_and_check("opus", "opus");
}

}  // namespace
