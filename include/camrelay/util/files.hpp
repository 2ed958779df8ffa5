#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace camrelay {

// The whole content of a file; nullopt if it cannot be opened (missing, unreadable).
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

}  // namespace camrelay
