#pragma once
#include <string>
#include <vector>

#include "camrelay/config/config.hpp"

namespace camrelay::config {

// The keys of `cfg` that hold a password or credential (for the file-permission check at
// start: a configuration with secrets must not be readable by every user).
std::vector<std::string> secret_keys(const Config& cfg);

}  // namespace camrelay::config
