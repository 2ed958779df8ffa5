#pragma once
#include "camrelay/gst/layer.hpp"  // below the service only
// MQTT topic templates of the BCGH camera contract (docs/mqtt.md). A template may use
// {prefix} (mqtt.topic_prefix) and {camera_id}; the defaults are
//   {prefix}/{camera_id}/stream/offer | answer | keepalive | stop, {prefix}/{camera_id}/status
#include <string>
#include <string_view>

#include "camrelay/config/config.hpp"

namespace camrelay::camera {

// Replaces {prefix} and {camera_id}. Throws std::invalid_argument for an unknown
// placeholder, an unterminated '{', or a result that is not a valid topic name
// (empty, or containing '+', '#' or NUL).
std::string expand_topic(std::string_view tmpl, std::string_view prefix, std::string_view camera_id);

// The five topics of one camera.
struct CameraTopics {
  std::string offer;
  std::string answer;
  std::string keepalive;
  std::string stop;
  std::string status;
};
CameraTopics camera_topics(const config::Mqtt& m, std::string_view camera_id);

// MQTT topic filter matching ('+' one level, '#' the rest, including the parent level).
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace camrelay::camera
