#include "camrelay/camera/topics.hpp"

#include <stdexcept>
#include <vector>

namespace camrelay::camera {

std::string expand_topic(std::string_view tmpl, std::string_view prefix, std::string_view camera_id) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '{') {
      out += tmpl[i++];
      continue;
    }
    const auto end = tmpl.find('}', i);
    if (end == std::string_view::npos) {
      throw std::invalid_argument("topic template \"" + std::string(tmpl) + "\": unterminated '{'");
    }
    const std::string_view name = tmpl.substr(i + 1, end - i - 1);
    if (name == "prefix") {
      out += prefix;
    } else if (name == "camera_id") {
      out += camera_id;
    } else {
      throw std::invalid_argument("topic template \"" + std::string(tmpl) + "\": unknown placeholder {" +
                                  std::string(name) + "} (use {prefix} or {camera_id})");
    }
    i = end + 1;
  }
  if (out.empty()) throw std::invalid_argument("topic template \"" + std::string(tmpl) + "\": empty topic");
  if (out.find_first_of(std::string_view("+#\0", 3)) != std::string::npos) {
    throw std::invalid_argument("topic \"" + out + "\": wildcards (+, #) are not allowed in a topic name");
  }
  return out;
}

CameraTopics camera_topics(const config::Mqtt& m, std::string_view camera_id) {
  const auto& t = m.topics;
  return {expand_topic(t.offer, m.topic_prefix, camera_id), expand_topic(t.answer, m.topic_prefix, camera_id),
          expand_topic(t.keepalive, m.topic_prefix, camera_id), expand_topic(t.stop, m.topic_prefix, camera_id),
          expand_topic(t.status, m.topic_prefix, camera_id)};
}

namespace {
std::vector<std::string_view> levels(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find('/', start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}
}  // namespace

bool topic_matches(std::string_view filter, std::string_view topic) {
  const auto f = levels(filter);
  const auto t = levels(topic);
  // Topics starting with '$' are not matched by a leading wildcard (MQTT 3.1.1 §4.7.2).
  if (!topic.empty() && topic[0] == '$' && !f.empty() && (f[0] == "+" || f[0] == "#")) return false;
  std::size_t i = 0;
  for (; i < f.size(); ++i) {
    if (f[i] == "#") return true;
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return i == t.size();
}

}  // namespace camrelay::camera
