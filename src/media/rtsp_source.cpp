// Replaced by the rtsp source implementation (issue tracker: rtsp cameras).
#include "camrelay/util/error.hpp"
#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_rtsp_source(const config::Config&, const config::Camera& cam,
                                        const config::RtspSource&) {
  throw Error(Errc::conflict, "camera '" + cam.id + "': rtsp sources are not available in this build yet");
}

}  // namespace camrelay::media
