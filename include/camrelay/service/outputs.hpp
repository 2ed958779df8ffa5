#pragma once
// A running camera's on-demand outputs as the HTTP routes see them: the HLS feed and the
// JPEG picture feed (model/feeds.hpp), made on the first request and shared by every
// client. Obtained from StreamManager::outputs(); holding it keeps nothing running — once
// the stream stops, hls()/pictures() return nullptr and a route asks the manager again.
#include <memory>
#include <string>

#include "camrelay/model/feeds.hpp"
#include "camrelay/model/quality.hpp"

namespace camrelay::service {

class StreamPort;

class StreamOutputs {
 public:
  explicit StreamOutputs(std::shared_ptr<StreamPort> stream);
  ~StreamOutputs();
  // The stream's HLS output; started if `create` and none runs. nullptr: none runs (and
  // !create), or the stream has been torn down. Any thread.
  // `quality` sub: the HLS output of the camera's sub stream (camera.sub). `format` fmp4:
  // the camera's own video in fMP4 (main only; an H.265 camera's native variant).
  std::shared_ptr<model::HlsFeed> hls(bool create, model::Quality quality = model::Quality::main,
                                      model::HlsFormat format = model::HlsFormat::ts) const;
  // The stream's JPEG branch (MJPEG clients, snapshots), same rules. Any thread.
  std::shared_ptr<model::PictureFeed> pictures(bool create, model::Quality quality = model::Quality::main) const;

 private:
  std::shared_ptr<StreamPort> stream_;
};

// Decodes a JPEG, scales it to `width` (aspect kept) and encodes it again. Blocking (up to
// ~5 s): call it from a worker pool, never from network or GLib threads. Throws Error.
std::string scale_jpeg(const std::string& jpeg, int width, int quality);

}  // namespace camrelay::service
