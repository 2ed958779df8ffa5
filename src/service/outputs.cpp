// StreamOutputs: HLS and JPEG outputs of a running stream, handed to HTTP as model feeds.
#include "camrelay/service/outputs.hpp"

#include "camrelay/media/hls.hpp"
#include "camrelay/media/mjpeg.hpp"

namespace camrelay::service {

StreamOutputs::StreamOutputs(std::shared_ptr<media::Stream> stream) : stream_(std::move(stream)) {}
StreamOutputs::~StreamOutputs() = default;

std::shared_ptr<model::HlsFeed> StreamOutputs::hls(bool create) const {
  return create ? media::hls_output(stream_) : media::find_hls_output(stream_);
}

std::shared_ptr<model::PictureFeed> StreamOutputs::pictures(bool create) const {
  return create ? media::mjpeg_output(stream_) : media::find_mjpeg_output(stream_);
}

std::string scale_jpeg(const std::string& jpeg, int width, int quality) {
  return media::scale_jpeg(jpeg, width, quality);
}

}  // namespace camrelay::service
