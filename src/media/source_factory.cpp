#include <type_traits>

#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_source(const config::Config& cfg, const config::Camera& cam,
                                    std::shared_ptr<model::InputFeeds> inputs) {
  return std::visit(
      [&](const auto& s) -> std::unique_ptr<Source> {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, config::TestSource>) return make_test_source(s);
        else if constexpr (std::is_same_v<T, config::RtpSource>) return make_rtp_source(cfg, cam, s);
        else if constexpr (std::is_same_v<T, config::RtspSource>) return make_rtsp_source(cfg, cam, s);
        else if constexpr (std::is_same_v<T, config::V4l2Source>) return make_v4l2_source(cfg, cam, s);
        else if constexpr (std::is_same_v<T, config::OnvifSource>) return make_onvif_source(cfg, cam, s);
        else return make_composite_source(s, inputs);
      },
      cam.source);
}

}  // namespace camrelay::media
