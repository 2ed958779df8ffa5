#include <type_traits>

#include "camrelay/util/error.hpp"
#include "source.hpp"

namespace camrelay::media {

std::unique_ptr<Source> make_test_source(const config::TestSource& c);

std::unique_ptr<Source> make_source(const config::Config& /*cfg*/, const config::Camera& cam) {
  return std::visit(
      [&](const auto& s) -> std::unique_ptr<Source> {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, config::TestSource>) {
          return make_test_source(s);
        } else {
          throw Error(Errc::conflict, std::string("camera '") + cam.id + "': source type '" +
                                          config::source_type_name(cam.source) +
                                          "' is not supported by this build yet");
        }
      },
      cam.source);
}

}  // namespace camrelay::media
