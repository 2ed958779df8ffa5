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

}  // namespace camrelay::config
