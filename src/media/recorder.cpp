// Recording to fragmented MP4 (include/camrelay/media/recorder.hpp).
#include "camrelay/media/recorder.hpp"

#include <ctime>

#include <fmt/format.h>

#include "camrelay/gst/callback.hpp"
#include "camrelay/media/branch.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "output_util.hpp"
#include "video_codec.hpp"

namespace camrelay::media {
namespace fs = std::filesystem;
namespace {
auto lg() {
  static auto l = log::get("record");
  return l;
}
constexpr const char* kKind = "record";
// Generous queues (a slow disk must not stall the tee, and nothing is dropped in normal
// operation): about 10 s of video at 30 fps, of audio at 50 packets/s.
constexpr guint kVideoQueueBuffers = 300;
constexpr guint kAudioQueueBuffers = 500;
constexpr unsigned kStopTimeoutMs = 5000;  // EOS must reach the file by then
constexpr unsigned kAudioPollMs = 100;     // a camera with audio: its caps are looked for this often
constexpr unsigned kAudioWaitMs = 3000;    // and this long before recording video only

// An RTSP camera, once connected, has said in its SDP whether it sends audio.
bool known_without_audio(const Stream& s) {
  const auto f = s.source_figures();
  if (const auto* r = std::get_if<model::RtspFigures>(&f.source)) return r->connected && !r->audio_encoding;
  return false;
}

const char* state_name(Recorder::State s) {
  switch (s) {
    case Recorder::State::starting: return "starting";
    case Recorder::State::recording: return "recording";
    case Recorder::State::stopping: return "stopping";
    case Recorder::State::stopped: return "stopped";
    case Recorder::State::failed: return "failed";
  }
  return "unknown";
}

std::string utc_stamp(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

std::uint64_t size_of(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : n;
}
}  // namespace

std::shared_ptr<Recorder> Recorder::create(const std::shared_ptr<Stream>& stream, RecorderOptions opts,
                                           RecorderEvents events) {
  std::shared_ptr<Recorder> created;
  auto o = stream->output(kKind, [&]() -> std::shared_ptr<Output> {
    created = std::make_shared<Recorder>(stream, std::move(opts), std::move(events));
    return created;
  });
  return o && o.get() == created.get() ? created : nullptr;
}

Recorder::Recorder(std::weak_ptr<Stream> stream, RecorderOptions opts, RecorderEvents events)
    : stream_(std::move(stream)), opts_(std::move(opts)), events_(std::move(events)) {
  if (auto s = stream_.lock()) camera_ = s->camera_id();
}

Recorder::~Recorder() = default;  // stop(), fail() or on_stream_teardown() took the branch down

void Recorder::start() {
  if (auto s = stream_.lock()) s->loop().post([self = shared_from_this()] { self->build(); });
}

std::string Recorder::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

void Recorder::build() {
  if (state_ != State::starting) return;
  auto s = stream_.lock();
  if (!s || !s->pipeline() || !s->tee()) return fail("the stream is not running");
  // A camera that may send audio whose audio caps have not come yet (the video's first
  // frame often comes first): wait for them a little, or the whole file would lack its
  // audio track.
  if (opts_.audio_expected && s->audio_tee() && s->audio_info().codec.empty() && !known_without_audio(*s) &&
      audio_waits_ * kAudioPollMs < kAudioWaitMs) {
    ++audio_waits_;
    s->loop().post_delayed(kAudioPollMs, [w = weak_from_this()] {
      if (auto self = w.lock()) self->build();
    });
    return;
  }
  std::error_code ec;
  fs::create_directories(opts_.dir, ec);
  if (ec) return fail(fmt::format("cannot create {}: {}", opts_.dir.string(), ec.message()));

  // Every element stays in a holder until the branch is attached: an early return drops them.
  auto bin = gst::ElementPtr::ref_sink(gst_bin_new(fmt::format("record-{}", s->camera_id()).c_str()));
  gst::ElementPtr q =
      make_leaky_queue(nullptr, kVideoQueueBuffers, gst::weak_member(shared_from_this(), &Recorder::dropped_));
  // The camera's codec as it is (H.264 or H.265: mp4mux writes avc1 or hvc1).
  const char* parser = video_codec_names(config::video_codec(s->camera())).parse;
  gst::ElementPtr parse = gst::try_make_element(parser);
  gst::ElementPtr mux = gst::try_make_element("mp4mux");
  gst::ElementPtr sink = gst::try_make_element("filesink");
  gst::ElementPtr split = gst::try_make_element("splitmuxsink");
  const std::pair<const gst::ElementPtr*, const char*> needed[] = {
      {&q, "queue"}, {&parse, parser}, {&mux, "mp4mux"}, {&sink, "filesink"}, {&split, "splitmuxsink"}};
  for (const auto& [e, name] : needed) {
    if (!*e) return fail(fmt::format("GStreamer element {} is missing (install the gstreamer1.0-plugins-good package)", name));
  }
  // ftyp + moov first, then one moof/mdat fragment at a time, written as it comes (no stdio
  // buffer in between): what a crash leaves plays up to its last complete fragment.
  // ("first-moov-then-finalise" would write the later fragments as one growing mdat that
  // only the final index makes playable.) `streamable` is deprecated but still selects that
  // layout in GStreamer 1.22.
  g_object_set(mux.get(), "fragment-duration", guint(opts_.fragment_ms), nullptr);
  gst_util_set_object_arg(G_OBJECT(mux.get()), "streamable", "true");
  gst_util_set_object_arg(G_OBJECT(sink.get()), "buffer-mode", "unbuffered");
  g_object_set(split.get(), "muxer", mux.get(), "sink", sink.get(), "max-size-time",
               guint64(std::max(0, opts_.segment_s)) * GST_SECOND, "location",
               (opts_.dir / (opts_.prefix + "_%05d.mp4")).c_str(), nullptr);  // location: only if naming fails
  gst::connect<gchar*(GstElement*, guint, GstSample*)>(
      split.get(), "format-location-full", gst::Weak<Recorder>(weak_from_this()),
      [](gst::Weak<Recorder>& w, GstElement*, guint, GstSample* first) -> gchar* {
        auto self = w.lock();
        return self ? g_strdup(self->next_location(first).c_str()) : nullptr;
      });
  // The end of a stop(): EOS went through the muxer into the file.
  gst::add_probe(gst::static_pad(sink.get(), "sink").get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                 gst::Weak<Recorder>(weak_from_this()),
                 [](gst::Weak<Recorder>& w, GstPad*, GstPadProbeInfo* info) -> GstPadProbeReturn {
                   if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
                   auto self = w.lock();
                   auto stream = self ? self->stream_.lock() : nullptr;
                   if (!stream) return GST_PAD_PROBE_OK;
                   stream->loop().post([self] {
                     if (self->state_ != State::stopping) return;
                     self->remove_branch();
                     self->state_ = State::stopped;
                     lg()->info("camera {}: recording stopped", self->camera_);
                     if (auto done = std::move(self->stop_done_)) done();
                   });
                   return GST_PAD_PROBE_OK;
                 });

  gst_bin_add_many(GST_BIN(bin.get()), q.get(), parse.get(), split.get(), nullptr);
  gst::PadPtr qsink = gst::static_pad(q.get(), "sink");
  auto video_pad = gst::PadPtr::adopt(gst_element_request_pad_simple(split.get(), "video"));
  if (!gst_element_link(q.get(), parse.get()) || !video_pad ||
      gst_pad_link(gst::static_pad(parse.get(), "src").get(), video_pad.get()) != GST_PAD_LINK_OK ||
      !gst::add_ghost_pad(bin.get(), "sink", qsink.get())) {
    return fail("cannot link the recording branch");
  }
  // Start at a keyframe; keep other branches' keyframe requests (and answers) away from
  // splitmuxsink, which would cut a file at each.
  add_keyframe_gate(qsink.get(), /*drop_key_requests=*/true);
  std::string audio;
  const bool with_audio = build_audio_into(bin.get(), split.get(), audio);

  gst::RequestPad tee_pad = attach_branch(s->pipeline(), s->tee(), bin.get());
  if (!tee_pad) return fail("cannot attach the recording branch to the stream");  // the bin is out again
  bin_ = std::move(bin);
  tee_pad_ = std::move(tee_pad);
  if (with_audio) {
    audio_tee_pad_ = link_tee_to(s->audio_tee(), bin_.get(), "audio_sink");
    if (!audio_tee_pad_) {
      lg()->warn("camera {}: cannot record the audio; video only", camera_);
      audio.clear();
    }
  }
  {
    std::lock_guard lk(mu_);
    audio_label_ = audio;
  }
  started_ms_ = mono_now_ms();
  state_ = State::recording;
  lg()->info("camera {}: recording to {} ({}, {}), fMP4 fragments of {} ms", camera_, opts_.dir.string(),
             opts_.segment_s > 0 ? fmt::format("a file every {} s", opts_.segment_s) : std::string("one file"),
             audio.empty() ? "video only" : "audio " + audio, opts_.fragment_ms);
  s->request_keyframe();  // the file begins at a keyframe
}

// The camera's audio as mp4mux takes it: AAC and Opus as they are (parsed), G.711 encoded
// to AAC once. False (video only) when the camera has no audio, or it is not known yet, or
// an element is missing. Elements go into `bin`, with an "audio_sink" ghost pad.
bool Recorder::build_audio_into(GstElement* bin, GstElement* split, std::string& label) {
  auto s = stream_.lock();
  if (!s || !s->audio_tee()) return false;
  const std::string codec = s->audio_info().codec;
  if (codec.empty()) {
    lg()->info("camera {}: no audio seen yet; recording video only", camera_);
    return false;
  }
  std::vector<const char*> chain;
  if (codec == "aac") {
    chain = {"aacparse"};
    label = "aac";
  } else if (codec == "opus") {
    chain = {"opusparse"};  // the depayloader's caps lack what mp4mux needs (channels, rate)
    label = "opus";
  } else if (codec == "pcmu" || codec == "pcma") {
    chain = {codec == "pcmu" ? "mulawdec" : "alawdec", "audioconvert", "audioresample", "avenc_aac", "aacparse"};
    label = "aac (from " + codec + ")";
  } else {
    lg()->warn("camera {}: {} audio cannot go into MP4; recording video only", camera_, codec);
    return false;
  }
  gst::ElementPtr q = make_leaky_queue(nullptr, kAudioQueueBuffers, gst::weak_member(shared_from_this(), &Recorder::dropped_));
  std::vector<gst::ElementPtr> elements;
  for (const char* f : chain) {
    elements.push_back(gst::try_make_element(f));
    if (!elements.back()) {
      lg()->warn("camera {}: GStreamer element {} is missing; recording video only", camera_, f);
      return false;
    }
  }
  if (!q) return false;
  gst_bin_add(GST_BIN(bin), q.get());
  GstElement* prev = q.get();
  bool ok = true;
  for (const auto& e : elements) {
    gst_bin_add(GST_BIN(bin), e.get());
    ok = ok && gst_element_link(prev, e.get());
    prev = e.get();
  }
  auto pad = gst::PadPtr::adopt(gst_element_request_pad_simple(split, "audio_%u"));
  ok = ok && pad && gst_pad_link(gst::static_pad(prev, "src").get(), pad.get()) == GST_PAD_LINK_OK &&
       gst::add_ghost_pad(bin, "audio_sink", gst::static_pad(q.get(), "sink").get());
  if (!ok) {
    // Linked to nothing outside: they stay idle in the bin and go with it.
    lg()->warn("camera {}: cannot link the {} audio for recording; video only", camera_, codec);
    if (pad) gst_element_release_request_pad(split, pad.get());
    return false;
  }
  return true;
}

// The wall-clock time of `first` (the new file's first frame): splitmuxsink names a file
// only once it holds a whole GOP, so "now" would be a GOP late.
std::int64_t Recorder::wall_time_of(GstSample* first) const {
  const std::int64_t now = unix_now_ms();
  auto s = stream_.lock();
  GstBuffer* b = first ? gst_sample_get_buffer(first) : nullptr;         // borrowed
  const GstSegment* seg = first ? gst_sample_get_segment(first) : nullptr;  // borrowed
  if (!s || !s->pipeline() || !b || !seg || !GST_BUFFER_PTS_IS_VALID(b)) return now;
  const GstClockTime at = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(b));
  auto clock = gst::Ptr<GstClock>::adopt(gst_element_get_clock(s->pipeline()));
  if (!clock || !GST_CLOCK_TIME_IS_VALID(at)) return now;
  const GstClockTime running = gst_clock_get_time(clock.get()) - gst_element_get_base_time(s->pipeline());
  if (running < at) return now;
  // The first frame comes after the recorder was made. A source rebuilt after a reconnect
  // may send timestamps that still count from the old source's segment: such a time,
  // earlier than the recorder, is not the frame's.
  return std::max(now - static_cast<std::int64_t>((running - at) / GST_MSECOND), created_unix_ms_);
}

std::string Recorder::next_location(GstSample* first) {
  const std::int64_t now = wall_time_of(first);
  RecordedFile closed, opened;
  {
    std::lock_guard lk(mu_);
    if (!current_.path.empty()) {
      current_.end_unix_ms = now;  // files are contiguous: one ends where the next begins
      current_.bytes = size_of(current_.path);
      closed = current_;
    }
    ++files_;
    current_ = {};
    // Never onto an existing file (another recorder of this camera in the same second).
    for (std::uint64_t n = files_;; ++n) {
      current_.path = opts_.dir / fmt::format("{}_{}_{}.mp4", opts_.prefix, utc_stamp(now), n);
      std::error_code ec;
      if (!std::filesystem::exists(current_.path, ec)) break;
    }
    current_.start_unix_ms = now;
    opened = current_;
  }
  if (!closed.path.empty() && events_.file_closed) events_.file_closed(closed);
  if (events_.file_opened) events_.file_opened(opened);
  return opened.path.string();
}

void Recorder::close_current(std::int64_t end_unix_ms) {
  RecordedFile closed;
  {
    std::lock_guard lk(mu_);
    if (current_.path.empty()) return;
    current_.end_unix_ms = end_unix_ms;
    current_.bytes = size_of(current_.path);
    closed = current_;
    current_ = {};
  }
  if (events_.file_closed) events_.file_closed(closed);
}

void Recorder::stop(std::function<void()> done) {
  auto s = stream_.lock();
  if (!s) {
    if (done) done();
    return;
  }
  s->loop().post([self = shared_from_this(), done = std::move(done)]() mutable { self->finish(std::move(done)); });
}

void Recorder::finish(std::function<void()> done) {
  auto s = stream_.lock();
  if (state_ != State::recording || !s || !s->pipeline() || !bin_) {
    if (state_ == State::starting) state_ = State::stopped;  // stopped before it was built
    if (s) s->remove_output(kKind, this);
    if (done) done();
    return;
  }
  s->remove_output(kKind, this);
  bool any_file = false;
  {
    std::lock_guard lk(mu_);
    any_file = !current_.path.empty();
  }
  if (!any_file) {  // nothing written yet (no keyframe came): nothing to finish
    remove_branch();
    state_ = State::stopped;
    if (done) done();
    return;
  }
  state_ = State::stopping;
  // The recorder keeps itself alive until the file is finished (the EOS probe and the
  // timeout below hold it weakly); the owner may have let go of it already (a stream that
  // stops ends its recording first).
  stop_done_ = [self = shared_from_this(), done = std::move(done)] {
    if (done) done();
  };
  // Off the tees first (at an idle moment), then EOS into the branch: the muxer finishes the
  // file and the EOS probe on the file sink removes the branch.
  auto send_eos = [self = shared_from_this()] {
    if (self->state_ != State::stopping || !self->bin_) return;
    for (const char* name : {"sink", "audio_sink"}) {
      if (auto pad = gst::static_pad(self->bin_.get(), name)) gst_pad_send_event(pad.get(), gst_event_new_eos());
    }
  };
  auto audio_then_eos = [self = shared_from_this(), send_eos] {
    if (!self->audio_tee_pad_) return send_eos();
    auto st = self->stream_.lock();
    if (!st) return send_eos();
    unlink_tee_pad(st->loop(), std::move(self->audio_tee_pad_), send_eos);
  };
  unlink_tee_pad(s->loop(), std::move(tee_pad_), audio_then_eos);
  // A branch whose EOS never arrives (a stalled disk) is removed anyway.
  s->loop().post_delayed(kStopTimeoutMs, [w = weak_from_this()] {
    auto self = w.lock();
    if (!self || self->state_ != State::stopping) return;
    lg()->warn("camera {}: the recording did not finish within {} ms; its last fragment may be lost",
               self->camera_, kStopTimeoutMs);
    self->remove_branch();
    self->state_ = State::stopped;
    if (auto d = std::move(self->stop_done_)) d();
  });
}

void Recorder::remove_branch() {
  tee_pad_.release();
  audio_tee_pad_.release();
  if (bin_) {
    gst_element_set_state(bin_.get(), GST_STATE_NULL);
    if (auto s = stream_.lock(); s && s->pipeline() && GST_OBJECT_PARENT(bin_.get()) == GST_OBJECT(s->pipeline())) {
      gst_bin_remove(GST_BIN(s->pipeline()), bin_.get());
    }
    bin_.reset();
  }
  close_current(unix_now_ms());
}

void Recorder::fail(const std::string& why) {
  if (state_ == State::failed || state_ == State::stopped) return;
  const auto keep = shared_from_this();  // stop_done_ may hold the last reference
  {
    std::lock_guard lk(mu_);
    error_ = why;
  }
  lg()->error("camera {}: recording: {}", camera_, why);
  state_ = State::failed;
  if (auto s = stream_.lock()) s->remove_output(kKind, this);
  // The tee pads go back at once: a failed branch takes no more data.
  if (auto s = stream_.lock(); s && s->pipeline()) {
    if (tee_pad_) gst_pad_unlink(tee_pad_.get(), gst::PadPtr::adopt(gst_pad_get_peer(tee_pad_.get())).get());
    if (audio_tee_pad_) {
      gst_pad_unlink(audio_tee_pad_.get(), gst::PadPtr::adopt(gst_pad_get_peer(audio_tee_pad_.get())).get());
    }
  }
  remove_branch();
  if (auto done = std::move(stop_done_)) done();
  if (events_.failed) events_.failed(why);
}

bool Recorder::on_branch_error(GstObject* branch, const std::string& why) {
  if (!bin_ || branch != GST_OBJECT(bin_.get())) return false;
  fail(why);
  return true;
}

void Recorder::on_stream_teardown() {
  const auto keep = shared_from_this();  // stop_done_ may hold the last reference
  // The pipeline is already NULL: no EOS can finish the file, which plays up to its last
  // fragment.
  const bool was_running = state_ == State::recording || state_ == State::stopping;
  if (state_ != State::failed) state_ = State::stopped;
  tee_pad_.release();
  audio_tee_pad_.release();
  bin_.reset();
  close_current(unix_now_ms());
  if (was_running) lg()->info("camera {}: recording ended with the stream", camera_);
  if (auto done = std::move(stop_done_)) done();
}

model::OutputFigures Recorder::figures() const {
  model::RecorderFigures f;
  f.state = state_name(state_.load());
  f.dropped_buffers = dropped_.load();
  f.uptime_s = started_ms_ ? double(mono_now_ms() - started_ms_) / 1000.0 : 0.0;
  std::lock_guard lk(mu_);
  f.file = current_.path.string();
  f.audio = audio_label_;
  f.files = files_;
  if (!error_.empty()) f.error = error_;
  return f;
}

}  // namespace camrelay::media
