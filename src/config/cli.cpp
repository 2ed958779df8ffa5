// load(): command line + file + environment, then validation.
#include <cctype>
#include <optional>

#include "camrelay/config/config.hpp"
#include "detail.hpp"

namespace camrelay::config {
namespace {

struct CliOptions {
  std::optional<std::string> config_path;
  std::optional<std::string> data_dir;
  std::optional<std::string> log_level;
};

CliOptions parse_args(int argc, const char* const* argv, CliAction& action) {
  CliOptions opts;
  for (int i = 1; i < argc; ++i) {
    if (argv == nullptr || argv[i] == nullptr) break;
    const std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      throw ConfigError("unexpected argument " + detail::quote(arg) + " (see --help)");
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }

    if (name == "--help" || name == "-h" || name == "--version") {
      if (inline_value) throw ConfigError("option " + name + " does not take a value");
      (name == "--version" ? action.show_version : action.show_help) = true;
      continue;
    }

    std::optional<std::string>* target = nullptr;
    if (name == "--config") {
      target = &opts.config_path;
    } else if (name == "--data-dir") {
      target = &opts.data_dir;
    } else if (name == "--log-level") {
      target = &opts.log_level;
    } else {
      throw ConfigError("unknown option " + name + " (see --help)");
    }

    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argc && argv[i + 1] != nullptr) {
      value = argv[++i];
    } else {
      throw ConfigError("option " + name + " requires a value");
    }
    if (value.empty()) throw ConfigError("option " + name + " requires a non-empty value");
    *target = std::move(value);
  }
  return opts;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Config load(int argc, const char* const* argv, const std::map<std::string, std::string>& env,
            CliAction& action) {
  action = CliAction{};
  CliOptions opts = parse_args(argc, argv, action);
  if (action.show_help || action.show_version) return Config{};

  std::string path;
  if (opts.config_path) {
    path = *opts.config_path;
  } else if (auto it = env.find("CAMRELAY_CONFIG"); it != env.end() && !it->second.empty()) {
    path = it->second;
  }

  Config cfg;
  detail::ExplicitBandwidth explicit_bw;
  if (!path.empty()) {
    cfg = detail::parse_json_tracked(detail::read_file(path), path, &explicit_bw);
  }
  detail::apply_env_tracked(cfg, env, &explicit_bw);
  if (opts.data_dir) cfg.data_dir = *opts.data_dir;
  if (opts.log_level) cfg.log_level = lower(*opts.log_level);
  cfg.config_path = path;
  validate(cfg);
  return cfg;
}

}  // namespace camrelay::config
