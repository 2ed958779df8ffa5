// StreamOutputs: HLS and JPEG outputs of a running stream, handed to HTTP as model feeds.
#include "camrelay/service/outputs.hpp"

#include "camrelay/media/mjpeg.hpp"
#include "media_port.hpp"

namespace camrelay::service {

StreamOutputs::StreamOutputs(std::shared_ptr<StreamPort> stream) : stream_(std::move(stream)) {}
StreamOutputs::~StreamOutputs() = default;

std::shared_ptr<model::HlsFeed> StreamOutputs::hls(bool create, model::Quality quality, model::HlsFormat format) const {
  return stream_->hls(create, quality, format);
}

std::shared_ptr<model::PictureFeed> StreamOutputs::pictures(bool create, model::Quality quality) const {
  return stream_->pictures(create, quality);
}

std::string scale_jpeg(const std::string& jpeg, int width, int quality) {
  return media::scale_jpeg(jpeg, width, quality);
}

}  // namespace camrelay::service
