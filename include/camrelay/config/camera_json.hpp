#pragma once
// One camera in the configuration file's JSON format, both ways: what the REST API takes
// (POST/PUT /cameras) and shows, and what the store keeps for cameras added through it.
#include <nlohmann/json.hpp>

#include "camrelay/config/config.hpp"

namespace camrelay::config {

// parse_camera() for an already parsed JSON value (see config.hpp).
Camera parse_camera(const nlohmann::json& object, const Config& cfg);

// Every key of the camera, in the file's format: parse_camera(camera_to_json(c)) == c.
// Credentials are included as they are: mask them first (secrets.hpp) before showing.
nlohmann::json camera_to_json(const Camera& c);

// GET /streams/{id}/settings (docs/cameras.md, "Stream settings"): what camrelay's own encoder
// makes of the camera ("video": size, fps, bitrate, keyframe interval, encoder, profile,
// preset; null when the camera encodes its stream itself: rtp, rtsp), its sub stream
// ("sub": camera.sub's keys), its latency mode and
// the resulting jitter buffer (rtp, rtsp only), its source type.
nlohmann::json settings_to_json(const Camera& c);

// PUT /streams/{id}/settings: a partial settings document ("video" members, "resolution"
// "WxH" for width and height; "sub" members as in camera.sub; "latency_mode" with null for
// the source's own) applied to a
// copy of `c` and checked like a camera of `cfg` (the camera itself excluded). Throws
// ConfigError naming the key as the document does ("video.width"), also for a key that
// does not apply to this camera's source ("video" of an rtsp camera, "latency_mode" of a
// test camera).
Camera apply_settings_json(const Camera& c, const nlohmann::json& patch, const Config& cfg);

}  // namespace camrelay::config
