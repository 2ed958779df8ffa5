// A composed camera (config::CompositeSource; docs/cameras.md "Composed cameras"): other
// cameras' H.264 decoded and laid out by GStreamer's compositor, encoded once.
//
//   videotestsrc black (live, W×H@fps: drives the output) ───────────────┐
//   per tile: videotestsrc grey (live, 1 fps) → textoverlay "no signal" ─┤
//   PIP inset: videotestsrc white (live, 1 fps: the border) ──────────────┤ compositor → W×H@fps → encoder → (h264parse)
//   per live input: [bin input-N: appsrc → h264parse → avdec_h264 → queue] ┘   (over its tile's "no signal";
//                                            h265parse → avdec_h265 for an H.265 camera)
//
// The inputs' feeds come from the service (model::InputFeeds: the composed camera's path
// holds a reader of each input camera). An input whose feed ends, or that has none, loses
// its branch and its tile shows "no signal"; the rest of the picture goes on. A new feed
// builds the branch again. All graph work on the camera's GLib thread.
#include <gst/app/gstappsrc.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>

#include "camrelay/gst/callback.hpp"
#include "camrelay/gst/ptr.hpp"
#include "camrelay/media/composite.hpp"
#include "camrelay/media/encoder.hpp"
#include "camrelay/model/input_feeds.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"
#include "source.hpp"
#include "video_codec.hpp"

namespace camrelay::media {

namespace {
int even(double v) {
  const int i = static_cast<int>(v + 0.5);
  return std::max(2, i - (i % 2));
}
}  // namespace

std::vector<Tile> composite_tiles(const config::CompositeSource& c) {
  std::vector<Tile> tiles;
  if (c.layout == "pip") {
    tiles.push_back({0, 0, c.width, c.height, 0});
    const int w = even(c.width * c.scale);
    const int h = even(c.height * c.scale);
    const int margin = c.border + even(c.width / 64.0);
    const bool right = c.position.ends_with("right");
    const bool bottom = c.position.starts_with("bottom");
    tiles.push_back({right ? c.width - w - margin : margin, bottom ? c.height - h - margin : margin, w, h, c.border});
    return tiles;
  }
  const int n = c.grid == "3x3" ? 3 : 2;
  const int w = even(static_cast<double>(c.width) / n - 1);
  const int h = even(static_cast<double>(c.height) / n - 1);
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const int col = static_cast<int>(i) % n;
    const int row = static_cast<int>(i) / n;
    tiles.push_back({col * c.width / n, row * c.height / n, w, h, 0});
  }
  return tiles;
}

namespace {

auto lg() {
  static auto l = log::get("composite");
  return l;
}

constexpr unsigned kFiguresMs = 1000;

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(config::CompositeSource c, std::shared_ptr<model::InputFeeds> feeds)
      : c_(std::move(c)), tiles_(composite_tiles(c_)), feeds_(std::move(feeds)), inputs_(c_.inputs.size()) {}

  void set_context(gst::MainLoop* loop, SourceEvents ev) {
    loop_ = loop;
    events_ = std::move(ev);
  }

  // GLib thread.
  void build(GstBin* bin, GstElement* sink) {
    bin_ = bin;
    auto mix = gst::make_element("compositor", "mix");
    gst_util_set_object_arg(G_OBJECT(mix.get()), "background", "black");
    g_object_set(mix.get(), "latency", guint64(40 * GST_MSECOND), "ignore-inactive-pads", TRUE, nullptr);
    auto caps = gst::make_element("capsfilter", "mixcaps");
    gst::set_caps(caps.get(), fmt::format("video/x-raw,width={},height={},framerate={}/1,pixel-aspect-ratio=1/1",
                                          c_.width, c_.height, c_.fps));
    auto enc = make_h264_encoder(*config::own_encoding(config::Source(c_)), "encoder");
    for (GstElement* e : {mix.get(), caps.get(), enc.get()}) gst_bin_add(bin, e);
    if (!gst_element_link_many(mix.get(), caps.get(), enc.get(), nullptr) || !gst_element_link(enc.get(), sink)) {
      throw Error(Errc::internal, "composite source: cannot link compositor → encoder");
    }
    mix_ = mix.get();

    // The black frame that drives the output, then each tile's "no signal" (and border).
    add_still(fmt::format("video/x-raw,width={},height={},framerate={}/1", c_.width, c_.height, c_.fps), "black",
              "", Tile{0, 0, c_.width, c_.height, 0}, 0);
    for (std::size_t i = 0; i < tiles_.size(); ++i) {
      const Tile& t = tiles_[i];
      if (t.border > 0) {
        add_still(fmt::format("video/x-raw,width={},height={},framerate=1/1", t.width + 2 * t.border,
                              t.height + 2 * t.border),
                  "white", "", Tile{t.x - t.border, t.y - t.border, t.width + 2 * t.border, t.height + 2 * t.border, 0},
                  zorder(i) - 1);
      }
      add_still(fmt::format("video/x-raw,width={},height={},framerate=1/1", t.width, t.height), "grey",
                c_.inputs[i] + ": no signal", t, zorder(i));
    }

    feeds_->watch([w = weak_from_this()](std::size_t i) {
      if (auto self = w.lock()) self->loop_->post([w, i] {
          if (auto s = w.lock()) s->slot_changed(i);
        });
    });
    for (std::size_t i = 0; i < inputs_.size(); ++i) slot_changed(i);
    schedule_figures();
  }

  // GLib thread (the source's destructor): stops taking pictures; the elements go with the
  // source's bin, which the stream is stopping.
  void close() {
    closed_ = true;
    feeds_->watch(nullptr);
    if (timer_) loop_->cancel(timer_);
    timer_ = 0;
    for (auto& in : inputs_) {
      if (in.feed && in.subscription) in.feed->unsubscribe(in.subscription);
      in.subscription = 0;
      in.feed.reset();
      in.pad.forget();  // the compositor frees its pads with itself
      in.bin.reset();
    }
    for (auto& p : still_pads_) p.forget();
    still_pads_.clear();
  }

  std::string describe() const {
    return fmt::format("composite {} of {} → {}x{}@{} {} kbps ({})", c_.layout == "pip" ? "picture-in-picture" : c_.grid + " grid",
                       fmt::join(c_.inputs, ", "), c_.width, c_.height, c_.fps, c_.bitrate_kbps, c_.encoder);
  }

 private:
  struct Input {
    std::shared_ptr<model::H264Feed> feed;
    std::uint64_t subscription = 0;
    gst::ElementPtr bin;  // "input-N" inside the source's bin; empty: no picture (tile says "no signal")
    gst::RequestPad pad;  // the compositor's pad it feeds
    std::shared_ptr<std::atomic<std::uint64_t>> frames = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::string why = "not attached yet";
  };

  // The live picture of tile i goes over its "no signal" (zorder(i)); the border under both.
  static int zorder(std::size_t i) { return 2 + 3 * static_cast<int>(i); }

  void set_pad(GstPad* pad, const Tile& t, int z, bool scale) {
    g_object_set(pad, "xpos", t.x, "ypos", t.y, "zorder", guint(z), nullptr);
    if (scale) g_object_set(pad, "width", t.width, "height", t.height, nullptr);
  }

  // A live still picture (one frame a second, except the driving black one) at `t`.
  void add_still(const std::string& caps, const char* colour, const std::string& text, const Tile& t, int z) {
    auto src = gst::make_element("videotestsrc");
    g_object_set(src.get(), "is-live", TRUE, nullptr);
    if (std::string_view(colour) == "grey") {
      gst_util_set_object_arg(G_OBJECT(src.get()), "pattern", "solid-color");
      g_object_set(src.get(), "foreground-color", guint(0xff303030), nullptr);
    } else {
      gst_util_set_object_arg(G_OBJECT(src.get()), "pattern", colour);
    }
    auto filter = gst::make_element("capsfilter");
    gst::set_caps(filter.get(), caps);
    gst::ElementPtr overlay;
    if (!text.empty()) {
      overlay = gst::make_element("textoverlay");
      g_object_set(overlay.get(), "text", text.c_str(), "font-desc",
                   fmt::format("Sans {}", std::clamp(t.height / 14, 8, 28)).c_str(), "shaded-background", FALSE,
                   nullptr);
      gst_util_set_object_arg(G_OBJECT(overlay.get()), "valignment", "center");
      gst_util_set_object_arg(G_OBJECT(overlay.get()), "halignment", "center");
    }
    GstElement* last = overlay ? overlay.get() : filter.get();
    for (GstElement* e : {src.get(), filter.get(), overlay.get()}) {
      if (e) gst_bin_add(bin_, e);
    }
    const bool linked = gst_element_link(src.get(), filter.get()) && (!overlay || gst_element_link(filter.get(), overlay.get()));
    gst::PadPtr out = gst::static_pad(last, "src");
    gst::RequestPad in = gst::RequestPad::request(mix_, "sink_%u");
    if (!linked || !in || gst_pad_link(out.get(), in.get()) != GST_PAD_LINK_OK) {
      throw Error(Errc::internal, "composite source: cannot link a tile to the compositor");
    }
    set_pad(in.get(), t, z, false);
    still_pads_.push_back(std::move(in));
  }

  void slot_changed(std::size_t i) {
    if (closed_ || i >= inputs_.size()) return;
    auto feed = feeds_->feed(i);
    Input& in = inputs_[i];
    if (feed && feed == in.feed && in.bin) return;
    remove_input(i, feed ? "" : feeds_->why_missing(i));
    if (feed) add_input(i, std::move(feed));
    publish();
  }

  void add_input(std::size_t i, std::shared_ptr<model::H264Feed> feed) {
    Input& in = inputs_[i];
    if (feed->closed()) {
      in.why = "the camera's stream ended";
      return;
    }
    try {
      auto bin = gst::ElementPtr::ref_sink(gst_bin_new(fmt::format("input-{}", i).c_str()));
      auto src = gst::make_element("appsrc", "in");
      gst::CapsPtr caps = gst::caps_from_string(feed->caps());
      g_object_set(src.get(), "caps", caps.get(), "is-live", TRUE, "do-timestamp", TRUE, "format", GST_FORMAT_TIME,
                   "max-bytes", guint64(8 << 20), "block", FALSE, "min-latency", gint64(0), nullptr);
      gst_util_set_object_arg(G_OBJECT(src.get()), "leaky-type", "downstream");
      const VideoCodecNames& names = video_codec_names(feed->codec());  // an H.265 input is decoded as such
      auto parse = gst::make_element(names.parse);
      auto dec = gst::make_element(names.decoder);
      g_object_set(dec.get(), "max-threads", 1, nullptr);  // frame threads would add frames of delay
      auto queue = gst::make_element("queue");
      g_object_set(queue.get(), "max-size-buffers", 3u, "max-size-bytes", 0u, "max-size-time", guint64(0), nullptr);
      gst_util_set_object_arg(G_OBJECT(queue.get()), "leaky", "downstream");
      for (GstElement* e : {src.get(), parse.get(), dec.get(), queue.get()}) gst_bin_add(GST_BIN(bin.get()), e);
      if (!gst_element_link_many(src.get(), parse.get(), dec.get(), queue.get(), nullptr)) {
        throw Error(Errc::internal, fmt::format("cannot link appsrc → {} → {}", names.parse, names.decoder));
      }
      gst::PadPtr qsrc = gst::static_pad(queue.get(), "src");
      GstPad* ghost = gst::add_ghost_pad(bin.get(), "src", qsrc.get());
      if (!ghost) throw Error(Errc::internal, "cannot make the input's pad");
      gst::RequestPad pad = gst::RequestPad::request(mix_, "sink_%u");
      if (!pad) throw Error(Errc::internal, "the compositor gave no pad");
      set_pad(pad.get(), tiles_[i], zorder(i) + 1, true);
      gst_bin_add(bin_, bin.get());
      if (gst_pad_link(ghost, pad.get()) != GST_PAD_LINK_OK || !gst_element_sync_state_with_parent(bin.get())) {
        gst_element_set_state(bin.get(), GST_STATE_NULL);
        gst_bin_remove(bin_, bin.get());
        throw Error(Errc::internal, "cannot start the input's branch");
      }
      // Pictures from the input camera's streaming thread straight into appsrc (thread-safe).
      auto frames = in.frames;
      const std::uint64_t sub = feed->subscribe(
          [appsrc = gst::ElementPtr::ref(src.get()), frames](const model::H264Feed::Unit& u) {
            GstBuffer* b = gst_buffer_new_memdup(u.data->data(), u.data->size());
            if (!u.keyframe) GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
            gst_app_src_push_buffer(GST_APP_SRC(appsrc.get()), b);  // takes b
            frames->fetch_add(1, std::memory_order_relaxed);
          },
          [w = weak_from_this(), i] {
            if (auto self = w.lock()) self->loop_->post([w, i] {
                if (auto s = w.lock()) s->feed_ended(i);
              });
          });
      if (!sub) {
        gst_element_set_state(bin.get(), GST_STATE_NULL);
        gst_bin_remove(bin_, bin.get());
        in.why = "the camera's stream ended";
        return;
      }
      in.feed = std::move(feed);
      in.subscription = sub;
      in.bin = std::move(bin);
      in.pad = std::move(pad);
      in.why.clear();
      lg()->info("{}: input {} ({}) is in its tile", name(), i, c_.inputs[i]);
    } catch (const std::exception& e) {
      in.why = std::string("cannot decode it: ") + e.what();
      lg()->warn("{}: input {} ({}): {}", name(), i, c_.inputs[i], in.why);
    }
  }

  void remove_input(std::size_t i, std::string why) {
    Input& in = inputs_[i];
    if (in.feed && in.subscription) in.feed->unsubscribe(in.subscription);
    in.subscription = 0;
    in.feed.reset();
    if (in.bin) {
      gst_element_set_state(in.bin.get(), GST_STATE_NULL);
      gst_bin_remove(bin_, in.bin.get());  // unlinks it from the compositor
      in.bin.reset();
      in.pad.release();
      lg()->info("{}: input {} ({}) shows \"no signal\": {}", name(), i, c_.inputs[i], why.empty() ? "replaced" : why);
    }
    if (!why.empty()) in.why = std::move(why);
  }

  void feed_ended(std::size_t i) {
    if (closed_) return;
    remove_input(i, "the camera's stream ended");
    publish();
  }

  void schedule_figures() {
    timer_ = loop_->post_delayed(kFiguresMs, [w = weak_from_this()] {
      if (auto s = w.lock(); s && !s->closed_) {
        s->timer_ = 0;
        s->publish();
        s->schedule_figures();
      }
    });
  }

  void publish() {
    if (!events_.stats) return;
    model::CompositeFigures f;
    f.layout = c_.layout;
    f.width = c_.width;
    f.height = c_.height;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const Input& in = inputs_[i];
      f.inputs.push_back({c_.inputs[i], static_cast<bool>(in.bin), in.bin ? std::string() : in.why,
                          in.frames->load(std::memory_order_relaxed)});
    }
    events_.stats(std::move(f));
  }

  std::string name() const { return bin_ ? GST_OBJECT_NAME(bin_) : std::string("composite"); }

  const config::CompositeSource c_;
  const std::vector<Tile> tiles_;
  std::shared_ptr<model::InputFeeds> feeds_;
  std::vector<Input> inputs_;
  std::vector<gst::RequestPad> still_pads_;  // the black frame's, the tiles' "no signal" and borders
  gst::MainLoop* loop_ = nullptr;
  SourceEvents events_;
  GstBin* bin_ = nullptr;      // borrowed: the source's bin (the stream owns it)
  GstElement* mix_ = nullptr;  // borrowed from bin_
  guint timer_ = 0;
  bool closed_ = false;
};

class CompositeSource final : public Source {
 public:
  CompositeSource(config::CompositeSource c, std::shared_ptr<model::InputFeeds> feeds)
      : core_(std::make_shared<Core>(std::move(c), std::move(feeds))) {}
  ~CompositeSource() override { core_->close(); }

  void build(GstBin* pipeline, GstElement* sink, GstElement* /*audio_sink: no audio*/) override {
    core_->set_context(loop_, events_);
    core_->build(pipeline, sink);
  }
  bool honours_keyframe_requests() const override { return true; }
  std::string describe() const override { return core_->describe(); }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<Source> make_composite_source(const config::CompositeSource& c,
                                              std::shared_ptr<model::InputFeeds> feeds) {
  if (!feeds || feeds->size() != c.inputs.size()) {
    throw Error(Errc::internal, "composite source: its inputs were not handed to the stream");
  }
  return std::make_unique<CompositeSource>(c, std::move(feeds));
}

}  // namespace camrelay::media
