// A composed camera's inputs (config::CompositeSource; docs/cameras.md "Composed cameras"):
// while its stream runs, its path holds a reader (ReaderKind::composite) of each input
// camera — which starts a stopped input on demand, counts in that camera's /viewers, and
// lets it stop rtsp.grace_s after the composed camera no longer reads it — and hands each
// reader's H.264 feed to the stream through model::InputFeeds. An input that cannot be read
// (no such camera, failed) or whose stream ended (stopped) is read again every kRetryMs —
// like any reader, that starts a stopped input: the composed camera keeps its inputs
// running while it runs —; meanwhile its tile says "no signal" and GET /streams/{id} says
// why (source.inputs). All on the path's strand.
#include "camera_path.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::service {
namespace {
auto lg() {
  static auto l = log::get("service");
  return l;
}
constexpr std::int64_t kRetryMs = 2000;
constexpr auto kTick = std::chrono::seconds(1);

std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown error";
  }
}
}  // namespace

void CameraPath::composite_start() {
  const auto* comp = std::get_if<config::CompositeSource>(&cam_.source);
  if (!comp) return;
  composite_feeds_ = std::make_shared<model::InputFeeds>(comp->inputs);
  composite_inputs_.assign(comp->inputs.size(), CompositeInput{});
}

void CameraPath::composite_stop() {
  if (!composite_feeds_) return;
  if (composite_timer_) composite_timer_->cancel();
  composite_timer_.reset();
  for (std::size_t i = 0; i < composite_inputs_.size(); ++i) {
    if (auto& r = composite_inputs_[i].reader) {
      r->set_close_reason("composed camera " + id_ + " stopped");
      composite_feeds_->set(i, nullptr, "the composed camera stopped");
    }
  }
  composite_inputs_.clear();  // the readers leave their cameras
  composite_feeds_.reset();
}

void CameraPath::composite_attach(std::size_t i) {
  CompositeInput& in = composite_inputs_[i];
  if (in.attaching || in.reader) return;
  const std::string input = composite_feeds_->camera(i);
  if (!ctx_->attach_input) {
    composite_feeds_->set(i, nullptr, "no registry to read cameras from");
    return;
  }
  in.attaching = true;
  const std::uint64_t gen = gen_;
  ctx_->attach_input(
      ReaderRequest{input, "camrelay composite " + id_, "composite"},
      [w = weak_from_this(), gen, i](std::exception_ptr err, std::shared_ptr<RtspReader> reader) {
        auto self = w.lock();
        if (!self) return;  // the reader (if any) is dropped here: it leaves its camera
        self->post([gen, i, err, reader = std::move(reader)](CameraPath& p) mutable {
          if (p.gen_ != gen || !p.composite_feeds_ || i >= p.composite_inputs_.size()) {
            if (reader) reader->set_close_reason("composed camera restarted");
            return;  // a reader of an old start goes
          }
          CompositeInput& in = p.composite_inputs_[i];
          in.attaching = false;
          const std::string& input = p.composite_feeds_->camera(i);
          if (err || !reader) {
            const std::string why = err ? message_of(err) : "no reader";
            in.retry_mono_ms = mono_now_ms() + kRetryMs;
            if (p.composite_feeds_->why_missing(i) != why) {
              lg()->info("camera {}: input {} not shown: {}", p.id_, input, why);
            }
            p.composite_feeds_->set(i, nullptr, why);
            return;
          }
          lg()->info("camera {}: reading input {}", p.id_, input);
          in.reader = std::move(reader);
          p.composite_feeds_->set(i, in.reader->feed());
        });
      });
}

void CameraPath::composite_tick() {
  if (!composite_feeds_ || !stream_) return;
  const std::int64_t now = mono_now_ms();
  for (std::size_t i = 0; i < composite_inputs_.size(); ++i) {
    CompositeInput& in = composite_inputs_[i];
    if (in.reader && (in.reader->ended() || !in.reader->feed() || in.reader->feed()->closed())) {
      lg()->info("camera {}: input {} ended; reading it again", id_, composite_feeds_->camera(i));
      in.reader.reset();
      composite_feeds_->set(i, nullptr, "its stream ended");
      in.retry_mono_ms = now + kRetryMs;  // read again (which starts it again) after a pause
    }
    if (!in.reader && !in.attaching && now >= in.retry_mono_ms) composite_attach(i);
  }
  composite_timer_ = std::make_unique<asio::steady_timer>(strand_, kTick);
  composite_timer_->async_wait([w = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto s = w.lock()) s->composite_tick();
  });
}

}  // namespace camrelay::service
