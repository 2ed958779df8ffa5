// Every build path of the media layer, failing at each of its steps, leaves nothing behind.
//
// A step fails the way it fails for users: a GStreamer element that is not installed. Each
// case removes one element factory from GStreamer's registry, builds the branch (the stream
// core, the source, a WebRTC viewer, the VP8 transcoder, HLS, MJPEG, a recording), checks
// that the failure was reported as it should be, tears everything down, and then compares the live
// GstObjects (GStreamer's own "leaks" tracer, which counts every GstObject created and
// finalized) with the set before the case: an element, pad, bin or bus still alive is a
// leaked reference. Under scripts/test.sh --asan, LeakSanitizer checks the rest (our heap
// holders, callback data, buffers, strings). Each case also runs without a missing element
// first, so normal teardown is held to the same standard, and GStreamer's one-time objects
// (clocks, pools, DTLS certificate) exist before the baseline is taken.
#include <gtest/gtest.h>

#include <gst/gst.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <utility>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "camrelay/config/config.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/hls.hpp"
#include "camrelay/media/mjpeg.hpp"
#include "camrelay/media/rtsp_tap.hpp"
#include "camrelay/media/recorder.hpp"
#include "camrelay/media/stream.hpp"
#include "camrelay/model/input_feeds.hpp"
#include "camrelay/media/webrtc_viewer.hpp"
#include "free_ports.hpp"
#include "media_test_util.hpp"

namespace {

using namespace std::chrono_literals;
namespace gst = camrelay::gst;
namespace media = camrelay::media;
namespace config = camrelay::config;

// The leaks tracer is chosen by the environment before gst_init (each ctest case is a
// process of its own; a whole-binary run gets it too, which costs the other tests little).
const bool kTracerRequested = [] {
  g_setenv("GST_TRACERS", "leaks(filters=GstObject)", TRUE);
  return true;
}();

// The leaks tracer, or nullptr when this GStreamer cannot trace.
GstTracer* leaks_tracer() {
  static GstTracer* tracer = [] {
    GstTracer* found = nullptr;
    GList* all = gst_tracing_get_active_tracers();
    for (GList* l = all; l; l = l->next) {
      if (!found && g_str_equal(G_OBJECT_TYPE_NAME(l->data), "GstLeaksTracer")) found = GST_TRACER(l->data);
    }
    if (found) gst_object_ref(found);  // kept for the process
    g_list_free_full(all, gst_object_unref);
    return found;
  }();
  return tracer;
}

// The GstObjects created and finalized while it exists, from the tracer's activity
// checkpoints (which name objects by address and never own them).
class Activity {
 public:
  Activity() { g_signal_emit_by_name(leaks_tracer(), "activity-start-tracking"); }
  ~Activity() { g_signal_emit_by_name(leaks_tracer(), "activity-stop-tracking"); }
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  // Objects created since the start and not finalized yet, one per line.
  std::string alive() {
    pull();
    std::string out;
    for (const auto& [address, o] : objects_) {
      if (o.balance > 0) out += fmt::format("  {} {}\n", o.type, address);
    }
    return out;
  }

 private:
  struct Seen {
    std::string type;
    int balance = 0;  // created minus finalized (an address can be reused)
  };
  void pull() {
    GstStructure* raw = nullptr;
    g_signal_emit_by_name(leaks_tracer(), "activity-get-checkpoint", &raw);
    gst::StructurePtr cp(raw);
    if (!cp) return;
    for (const auto& [field, delta] : {std::pair{"objects-created-list", 1}, std::pair{"objects-removed-list", -1}}) {
      const GValue* list = gst_structure_get_value(cp.get(), field);
      for (guint i = 0; list && i < gst_value_list_get_size(list); ++i) {
        const GstStructure* e = gst_value_get_structure(gst_value_list_get_value(list, i));
        const char* address = gst_structure_get_string(e, "address");
        const char* type = gst_structure_get_string(e, "type-name");
        if (!address) continue;
        Seen& seen = objects_[address];
        if (type) seen.type = type;
        seen.balance += delta;
      }
    }
  }
  std::map<std::string, Seen> objects_;
};

// Waits (GStreamer tears some parts down on its own threads) until every object created
// since `activity` began is finalized; returns what is still alive after the deadline.
std::string leftovers(Activity& activity, std::chrono::milliseconds deadline = 5s) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  std::string left = activity.alive();
  while (!left.empty() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(20ms);
    left = activity.alive();
  }
  return left;
}

// Removes element factories from GStreamer's registry for the scope ("a+b": both, for an
// element with a fallback): gst_element_factory_make of them then fails, as on a machine
// without their plugins. Their plugins must be loaded already (the warm-up run does it):
// loading a plugin registers its features again.
class WithoutElement {
 public:
  explicit WithoutElement(const std::string& factories) {
    std::stringstream ss(factories);
    for (std::string f; std::getline(ss, f, '+');) {
      if (f.empty()) continue;
      GstPluginFeature* feature = gst_registry_lookup_feature(gst_registry_get(), f.c_str());
      EXPECT_NE(feature, nullptr) << f << " is not installed: the case cannot fail at it";
      if (!feature) continue;
      gst_registry_remove_feature(gst_registry_get(), feature);
      features_.push_back(feature);
      EXPECT_EQ(gst_element_factory_find(f.c_str()), nullptr) << f << " is still made";
    }
  }
  ~WithoutElement() {
    for (GstPluginFeature* f : features_) {
      gst_registry_add_feature(gst_registry_get(), f);  // takes its own reference
      gst_object_unref(f);
    }
  }
  WithoutElement(const WithoutElement&) = delete;
  WithoutElement& operator=(const WithoutElement&) = delete;

 private:
  std::vector<GstPluginFeature*> features_;
};

using camrelay::testing::eventually;

// What callbacks reported, waited on with a deadline (callbacks come from other threads).
struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;  // "active", "error: ...", "reconnecting: ...", "sdp", ...

  void add(std::string e) {
    {
      std::lock_guard lk(mu);
      seen.push_back(std::move(e));
    }
    cv.notify_all();
  }
  // Waits for an event starting with one of `prefixes`; returns it ("" after the deadline).
  std::string wait_any(const std::vector<std::string>& prefixes, std::chrono::milliseconds deadline = 10s) {
    std::unique_lock lk(mu);
    std::string found;
    cv.wait_for(lk, deadline, [&] {
      for (const auto& e : seen) {
        for (const auto& prefix : prefixes) {
          if (e.rfind(prefix, 0) == 0) {
            found = e;
            return true;
          }
        }
      }
      return false;
    });
    return found;
  }
  std::string wait(const std::string& prefix) { return wait_any({prefix}); }
  std::string all() {
    std::lock_guard lk(mu);
    std::string out;
    for (const auto& e : seen) out += e + "; ";
    return out;
  }
};

void wait_done(const std::function<void(std::function<void()>)>& start) {
  ASSERT_TRUE(camrelay::testing::wait_done(start)) << "teardown did not finish";
}

class PartialFailure : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

  void SetUp() override {
    ASSERT_TRUE(kTracerRequested);
    ASSERT_NE(leaks_tracer(), nullptr) << "GStreamer's leaks tracer is not active (GST_TRACERS=leaks)";
    data_dir_ = std::filesystem::temp_directory_path() / fmt::format("camrelay-partial-{}", getpid());
    std::filesystem::create_directories(data_dir_);
    cfg_.data_dir = data_dir_.string();
    cfg_.hls.target_duration_s = 1.0;
    cam_ = camrelay::testing::small_test_camera();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
  }

  // A running stream, `body` run on it, then the stream stopped and released.
  void with_stream(Events& ev, const std::function<void(const std::shared_ptr<media::Stream>&)>& body,
                   bool expect_active = true) {
    media::StreamCallbacks cb;
    cb.on_active = [&ev] { ev.add("active"); };
    cb.on_error = [&ev](std::string why) { ev.add("error: " + why); };
    cb.on_reconnecting = [&ev](std::string why) { ev.add("reconnecting: " + why); };
    cb.on_viewer_error = [&ev](std::string id, std::string why) { ev.add("viewer error: " + id + " " + why); };
    auto stream = media::Stream::create(loop_, cfg_, cam_, cb);
    stream->start();
    if (expect_active) {
      if (ev.wait("active").empty()) {
        ADD_FAILURE() << "the stream did not start: " << ev.all();
      } else {
        body(stream);
      }
    } else {
      body(stream);
    }
    wait_done([&](std::function<void()> done) { stream->stop(std::move(done)); });
  }

  // Runs `scenario` once to warm GStreamer up, then once per factory (and once more with ""):
  // after each, no GstObject created by the run may still be alive. `scenario(ev, missing)`
  // removes `missing` (a WithoutElement) where its step comes and checks that the failure
  // was reported.
  void each_step(const std::vector<std::string>& factories,
                 const std::function<void(Events&, const std::string& missing)>& scenario) {
    {
      Events ev;
      scenario(ev, "");  // warm-up: GStreamer's one-time objects
    }
    std::vector<std::string> runs = factories;
    runs.push_back("");  // the normal path, after the failures
    for (const auto& missing : runs) {
      SCOPED_TRACE(missing.empty() ? std::string("nothing missing") : "without " + missing);
      Activity activity;
      {
        Events ev;
        scenario(ev, missing);
      }
      const std::string left = leftovers(activity);
      EXPECT_TRUE(left.empty()) << "still alive after teardown:\n" << left;
    }
  }

  config::Config cfg_;
  config::Camera cam_;
  std::filesystem::path data_dir_;
  gst::MainLoop loop_{"partial-test"};
};

// ---- the stream core and the source ----

TEST_F(PartialFailure, StreamCore) {
  // h264parse, the tee and the idle branch (queue → fakesink) fail the stream; the source
  // bin's output (identity) fails the source, which is then rebuilt after a backoff. Either
  // way the report names the missing element.
  each_step({"h264parse", "capsfilter", "tee", "fakesink", "queue", "identity"}, [this](Events& ev, const std::string& missing) {
    WithoutElement gone(missing);
    with_stream(
        ev,
        [&](const std::shared_ptr<media::Stream>&) {
          if (missing.empty()) return;
          const std::string e = ev.wait_any({"error", "reconnecting"});
          EXPECT_NE(e.find(missing), std::string::npos) << ev.all();
        },
        /*expect_active=*/missing.empty());
  });
}

TEST_F(PartialFailure, TestSource) {
  // The source's elements: a missing one drops the source and schedules a rebuild.
  each_step({"videotestsrc", "clockoverlay", "x264enc"}, [this](Events& ev, const std::string& missing) {
    WithoutElement gone(missing);
    with_stream(
        ev,
        [&](const std::shared_ptr<media::Stream>& s) {
          if (missing.empty()) return;
          const std::string e = ev.wait("reconnecting");
          EXPECT_NE(e.find(missing), std::string::npos) << ev.all();
          EXPECT_NE(s->source_figures().last_error.find(missing), std::string::npos);
        },
        /*expect_active=*/missing.empty());
  });
}

TEST_F(PartialFailure, RtspSource) {
  // rtspsrc and the depayloader: the RTSP source's bin cannot be built. (Nothing listens on
  // the port: with every element present the source is "not reachable" and retries.)
  config::RtspSource r;
  r.url = "rtsp://127.0.0.1:9/none";
  cam_.source = r;
  each_step({"rtspsrc", "rtph264depay"}, [this](Events& ev, const std::string& missing) {
    WithoutElement gone(missing);
    with_stream(
        ev,
        [&](const std::shared_ptr<media::Stream>&) {
          if (missing.empty()) return;
          const std::string e = ev.wait("reconnecting");
          EXPECT_NE(e.find(missing), std::string::npos) << ev.all();
        },
        /*expect_active=*/false);
  });
}

// Binds a UDP port for the scope (the source then cannot).
class TakenPort {
 public:
  explicit TakenPort(int port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "port " << port;
  }
  ~TakenPort() { close(fd_); }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;

 private:
  int fd_;
};

TEST_F(PartialFailure, RtpSource) {
  // A static RTP camera with audio: sockets, udpsrc, rtpbin (its RTCP sender), the funnels
  // and the depayloader; and the audio port already taken, which fails the source after its
  // whole video part is built. No RTP arrives: the stream stays starting until stopped.
  const int port = camrelay::testing::free_port_quad();
  ASSERT_GT(port, 0);
  config::RtpSource r;
  r.negotiation = "static";
  r.video_port = port;
  r.audio_port = port + 2;
  r.audio_codec = "PCMU";
  r.audio_payload_type = 0;
  r.audio_clock_rate = 8000;
  cam_.source = r;
  cam_.audio = true;
  const std::string taken = "audio port taken";
  each_step({"udpsrc", "rtpbin", "multiudpsink", "funnel", "rtph264depay", taken},
            [&](Events& ev, const std::string& missing) {
              std::optional<TakenPort> busy;
              if (missing == taken) busy.emplace(port + 2);
              WithoutElement gone(missing == taken ? "" : missing);
              with_stream(
                  ev,
                  [&](const std::shared_ptr<media::Stream>&) {
                    if (missing.empty()) return;
                    const std::string e = ev.wait("reconnecting");
                    EXPECT_FALSE(e.empty()) << ev.all();
                    if (missing != taken) {
                      EXPECT_NE(e.find(missing), std::string::npos) << ev.all();
                    }
                  },
                  /*expect_active=*/false);
            });
}

// ---- WebRTC viewers ----

// A viewer on a running stream in server-offer mode: with everything present it produces its
// offer; with an element missing it reports an error naming what is missing. Then it stops.
void run_viewer(const std::shared_ptr<media::Stream>& stream, const config::Config& cfg, Events& ev,
                const std::string& missing, std::vector<std::string> codecs) {
  media::ViewerOptions o;
  o.id = "v1";
  o.video_codecs = std::move(codecs);
  media::ViewerCallbacks cb;
  cb.on_local_description = [&ev](std::string) { ev.add("sdp"); };
  cb.on_error = [&ev](std::string why) { ev.add("viewer error: " + why); };
  auto v = media::WebrtcViewer::create(stream, cfg.webrtc, o, cb);
  v->start();
  if (missing.empty()) {
    EXPECT_FALSE(ev.wait("sdp").empty()) << ev.all();
  } else {
    const std::string e = ev.wait("viewer error");
    EXPECT_FALSE(e.empty()) << ev.all();
  }
  wait_done([&](std::function<void()> done) { v->stop(std::move(done)); });
}

TEST_F(PartialFailure, WebrtcViewer) {
  // send_path direct (the default): the stream's shared payloader (queue → rtph264pay →
  // fakesink) and the viewer's webrtcbin.
  each_step({"queue", "rtph264pay", "fakesink", "webrtcbin"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);  // once the stream runs (it needs a queue itself)
      run_viewer(s, cfg_, ev, missing, {"h264"});
    });
  });
}

TEST_F(PartialFailure, WebrtcViewerOwnPayloader) {
  // send_path webrtcbin: the viewer's own queue → rtph264pay → capssetter into webrtcbin.
  cfg_.webrtc.send_path = "webrtcbin";
  each_step({"queue", "rtph264pay", "capssetter", "webrtcbin"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);
      run_viewer(s, cfg_, ev, missing, {"h264"});
    });
  });
}

TEST_F(PartialFailure, Vp8Transcoder) {
  // A browser without H.264 gets the stream's shared VP8 transcode: decoder, converter,
  // encoder (the transcoder fails) and the VP8 payloader (the viewer fails).
  each_step({"avdec_h264", "videoconvert", "vp8enc", "rtpvp8pay"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);
      run_viewer(s, cfg_, ev, missing, {"vp8"});
    });
  });
}

// ---- on-demand outputs ----

TEST_F(PartialFailure, HlsOutput) {
  each_step({"queue", "mpegtsmux", "appsink"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);
      auto hls = media::hls_output(s);
      ASSERT_NE(hls, nullptr);
      if (missing.empty()) {
        EXPECT_TRUE(eventually([&] { return hls->playlist() != nullptr; })) << "no HLS playlist";
      } else {
        EXPECT_TRUE(eventually([&] { return hls->failed(); })) << "the HLS output did not fail";
        EXPECT_FALSE(hls->error().empty());
      }
    });
  });
}

TEST_F(PartialFailure, MjpegOutput) {
  each_step({"queue", "avdec_h264+openh264dec", "videoconvert", "videorate", "videoscale", "capsfilter", "jpegenc",
             "appsink"},
            [this](Events& ev, const std::string& missing) {
              with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
                WithoutElement gone(missing);
                auto mjpeg = media::mjpeg_output(s);
                ASSERT_NE(mjpeg, nullptr);
                if (missing.empty()) {
                  EXPECT_TRUE(eventually([&] { return mjpeg->frames_encoded() > 0; })) << "no MJPEG picture";
                } else {
                  EXPECT_TRUE(eventually([&] { return mjpeg->closed(); })) << "the MJPEG output did not stop";
                  EXPECT_FALSE(mjpeg->error().empty());
                }
              });
            });
}

TEST_F(PartialFailure, RtspTap) {
  each_step({"queue", "appsink"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);
      auto tap = media::rtsp_tap(s);
      ASSERT_NE(tap, nullptr);
      struct Seen {
        std::atomic<int> units{0};
        std::atomic<bool> first_key{false};
      };
      auto seen = std::make_shared<Seen>();
      const auto sub = tap->subscribe(
          [seen](const camrelay::model::H264Feed::Unit& u) {
            if (seen->units.fetch_add(1) == 0) seen->first_key = u.keyframe;
          },
          {});
      if (missing.empty()) {
        ASSERT_NE(sub, 0u);
        EXPECT_TRUE(eventually([&] { return seen->units.load() >= 5; })) << "no H.264 from the tap";
        EXPECT_TRUE(seen->first_key.load()) << "a subscriber starts at a keyframe";
        EXPECT_NE(tap->caps().find("video/x-h264"), std::string::npos);
        tap->unsubscribe(sub);
      } else {
        EXPECT_TRUE(eventually([&] { return tap->closed(); })) << "the RTSP tap did not stop";
        const auto f = std::get<camrelay::model::RtspServeFigures>(tap->figures());
        EXPECT_TRUE(f.error.has_value());
      }
    });
  });
}

TEST_F(PartialFailure, SubStream) {
  // The camera's sub stream (camera.sub): the shared sub transcoder (decoder, scaler,
  // x264, parser) feeding the RTSP tap of quality sub. Without one of its elements the
  // transcoder and the tap fail; with all of them the tap carries 640x360 H.264.
  each_step({"avdec_h264", "videoconvert", "videoscale", "x264enc", "h264parse"},
            [this](Events& ev, const std::string& missing) {
              with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
                WithoutElement gone(missing);
                auto tap = media::rtsp_tap(s, media::Quality::sub);
                ASSERT_NE(tap, nullptr);
                auto units = std::make_shared<std::atomic<int>>(0);
                const auto sub = tap->subscribe([units](const camrelay::model::H264Feed::Unit&) { ++*units; }, {});
                if (missing.empty()) {
                  ASSERT_NE(sub, 0u);
                  EXPECT_TRUE(eventually([&] { return units->load() >= 5; })) << "no H.264 from the sub stream";
                  const std::string caps = tap->caps();
                  EXPECT_NE(caps.find("width=(int)640"), std::string::npos) << caps;
                  EXPECT_NE(caps.find("height=(int)360"), std::string::npos) << caps;
                  const auto outs = s->source_figures().outputs;
                  EXPECT_TRUE(std::any_of(outs.begin(), outs.end(), [](const auto& o) { return o.kind == "sub"; }))
                      << "the transcoder is an output of the stream";
                  tap->unsubscribe(sub);
                } else {
                  EXPECT_TRUE(eventually([&] { return tap->closed(); })) << "the sub RTSP tap did not stop";
                }
              });
            });
}

TEST_F(PartialFailure, Recorder) {
  each_step({"queue", "h264parse", "mp4mux", "filesink", "splitmuxsink"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      WithoutElement gone(missing);
      media::RecorderOptions o;
      o.dir = data_dir_ / "recordings";
      o.prefix = "cam1";
      auto rec = media::Recorder::create(s, o, {});
      ASSERT_NE(rec, nullptr);
      rec->start();
      if (missing.empty()) {
        EXPECT_TRUE(eventually([&] {
          return std::get<camrelay::model::RecorderFigures>(rec->figures()).files > 0;
        })) << "no file begun";
      } else {
        EXPECT_TRUE(eventually([&] { return rec->state() == media::Recorder::State::failed; }))
            << "the recording did not fail";
        EXPECT_NE(rec->error().find(missing), std::string::npos) << rec->error();
      }
      // Stopped while recording (or after failing): either way nothing may stay behind.
      wait_done([&](std::function<void()> done) { rec->stop(std::move(done)); });
    });
  });
}

TEST_F(PartialFailure, ScaledSnapshot) {
  // The one-off scaling pipeline of GET /streams/{id}/snapshot?width=: a missing element is
  // an error at once (the picture comes from the stream's MJPEG output).
  each_step({"appsrc", "jpegdec", "videoscale", "jpegenc", "appsink"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& s) {
      auto mjpeg = media::mjpeg_output(s);
      ASSERT_NE(mjpeg, nullptr);
      ASSERT_TRUE(eventually([&] { return mjpeg->latest().jpeg != nullptr; })) << "no picture to scale";
      const std::string jpeg = *mjpeg->latest().jpeg;
      WithoutElement gone(missing);
      if (missing.empty()) {
        EXPECT_FALSE(media::scale_jpeg(jpeg, 160, 80).empty());
      } else {
        EXPECT_THROW(media::scale_jpeg(jpeg, 160, 80), std::exception);
      }
    });
  });
}

}  // namespace

// ---- a composed camera (composite_source.cpp) ----

TEST_F(PartialFailure, CompositeSource) {
  // A picture-in-picture of a running test stream (through its RTSP tap, as the service hands
  // it over) and a missing input. Without the compositor or the "no signal" text the source
  // fails and is retried; without the input's decoder or appsrc only that input is not shown
  // (its tile says "no signal"): the composed stream runs and says why.
  each_step({"compositor", "textoverlay", "avdec_h264", "appsrc"}, [this](Events& ev, const std::string& missing) {
    with_stream(ev, [&](const std::shared_ptr<media::Stream>& input) {
      auto tap = media::rtsp_tap(input);
      ASSERT_NE(tap, nullptr);
      auto feeds = std::make_shared<camrelay::model::InputFeeds>(std::vector<std::string>{"in", "ghost"});
      config::Camera comp;
      comp.id = "comp";
      comp.audio = false;
      config::CompositeSource c;
      c.inputs = {"in", "ghost"};
      c.width = 320;
      c.height = 180;
      c.fps = 10;
      c.bitrate_kbps = 200;
      comp.source = c;
      Events cev;
      media::StreamCallbacks cb;
      cb.on_active = [&cev] { cev.add("active"); };
      cb.on_error = [&cev](std::string why) { cev.add("error: " + why); };
      cb.on_reconnecting = [&cev](std::string why) { cev.add("reconnecting: " + why); };
      WithoutElement gone(missing);
      auto stream = media::Stream::create(loop_, cfg_, comp, cb);
      stream->set_input_feeds(feeds);
      stream->start();
      feeds->set(0, tap);
      feeds->set(1, nullptr, "unknown camera 'ghost'");
      auto input_fig = [&](std::size_t i) -> std::optional<camrelay::model::CompositeFigures::Input> {
        const auto f = stream->source_figures();
        const auto* cf = std::get_if<camrelay::model::CompositeFigures>(&f.source);
        if (!cf || cf->inputs.size() <= i) return std::nullopt;
        return cf->inputs[i];
      };
      if (missing == "compositor" || missing == "textoverlay") {
        const std::string e = cev.wait("reconnecting");
        EXPECT_NE(e.find(missing), std::string::npos) << cev.all();
      } else {
        EXPECT_FALSE(cev.wait("active").empty()) << "the composed stream did not start: " << cev.all();
        if (missing.empty()) {
          EXPECT_TRUE(eventually([&] {
            auto in = input_fig(0);
            return in && in->live && in->frames > 3;
          })) << "the input's pictures do not reach its tile";
        } else {
          EXPECT_TRUE(eventually([&] {
            auto in = input_fig(0);
            return in && !in->live && in->why.find(missing) != std::string::npos;
          })) << "the input without " << missing << " is not reported";
        }
        EXPECT_TRUE(eventually([&] {
          auto in = input_fig(1);
          return in && !in->live && in->why == "unknown camera 'ghost'";
        })) << "the missing input is not reported";
        EXPECT_TRUE(eventually([&] { return stream->stats().frames > 5; })) << "the composed stream has no frames";
      }
      wait_done([&](std::function<void()> done) { stream->stop(std::move(done)); });
    });
  });
}
