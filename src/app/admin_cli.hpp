#pragma once
// `camrelay user …` and `camrelay token …`: account management on the database of a
// configuration, with or without the daemon running (it picks the change up within ~2 s).
#include <optional>

namespace camrelay::app {

// nullopt when argv is not an account command (the daemon starts); else the exit status.
std::optional<int> run_admin_command(int argc, char** argv);

}  // namespace camrelay::app
