// Replaced by the v4l2 source implementation (issue tracker: v4l2 cameras).
#include "camrelay/util/error.hpp"
#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_v4l2_source(const config::Config&, const config::Camera& cam,
                                        const config::V4l2Source&) {
  throw Error(Errc::conflict, "camera '" + cam.id + "': v4l2 sources are not available in this build yet");
}

}  // namespace camrelay::media
