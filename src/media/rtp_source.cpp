// Replaced by the rtp source implementation (issue tracker: rtp cameras).
#include "camrelay/util/error.hpp"
#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_rtp_source(const config::Config&, const config::Camera& cam,
                                        const config::RtpSource&) {
  throw Error(Errc::conflict, "camera '" + cam.id + "': rtp sources are not available in this build yet");
}

}  // namespace camrelay::media
