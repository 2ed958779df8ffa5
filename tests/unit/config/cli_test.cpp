// load(): command line, file, environment and their precedence.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"

using namespace camrelay::config;
using ::testing::HasSubstr;

namespace {

using Env = std::map<std::string, std::string>;

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    path_ = (std::filesystem::temp_directory_path() /
             ("camrelay_cfg_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) +
              ".json"))
                .string();
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

Config run(std::vector<std::string> args, const Env& env, CliAction& action) {
  std::vector<const char*> argv{"camrelay"};
  for (const auto& a : args) argv.push_back(a.c_str());
  return load(static_cast<int>(argv.size()), argv.data(), env, action);
}

Config run(std::vector<std::string> args, const Env& env = {}) {
  CliAction action;
  return run(std::move(args), env, action);
}

std::string load_error(std::vector<std::string> args, const Env& env = {}) {
  try {
    run(std::move(args), env);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-ConfigError exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "load() succeeded";
  return {};
}

}  // namespace

TEST(ConfigLoad, NoArgumentsGivesValidatedDefaults) {
  CliAction action;
  Config c = run({}, {}, action);
  EXPECT_FALSE(action.show_help);
  EXPECT_FALSE(action.show_version);
  EXPECT_EQ(c.config_path, "");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_TRUE(c.cameras.empty());
}

TEST(ConfigLoad, ConfigOptionBothForms) {
  TempFile f(R"({"http":{"port":9001},"cameras":[{"id":"x"}]})");
  Config a = run({"--config", f.path()});
  EXPECT_EQ(a.config_path, f.path());
  EXPECT_EQ(a.http.port, 9001);
  ASSERT_NE(a.find_camera("x"), nullptr);
  Config b = run({"--config=" + f.path()});
  EXPECT_EQ(b.config_path, f.path());
  EXPECT_EQ(b.http.port, 9001);
}

TEST(ConfigLoad, ConfigFromEnvironment) {
  TempFile f(R"({"http":{"port":9002}})");
  Config c = run({}, {{"CAMRELAY_CONFIG", f.path()}});
  EXPECT_EQ(c.config_path, f.path());
  EXPECT_EQ(c.http.port, 9002);
  // --config wins over CAMRELAY_CONFIG.
  TempFile g(R"({"http":{"port":9003}})");
  EXPECT_EQ(run({"--config", g.path()}, {{"CAMRELAY_CONFIG", f.path()}}).http.port, 9003);
}

TEST(ConfigLoad, Precedence) {
  TempFile f(R"({"data_dir":"/file","log_level":"warn","http":{"port":9004}})");
  Config c = run({"--config", f.path(), "--data-dir", "/cli", "--log-level=ERROR"},
                 {{"CAMRELAY_DATA_DIR", "/env"}, {"LOG_LEVEL", "debug"}, {"API_SERVER_PORT", "9005"}});
  EXPECT_EQ(c.data_dir, "/cli");
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.http.port, 9005);  // env over file
  Config d = run({"--config", f.path()}, {{"CAMRELAY_DATA_DIR", "/env"}});
  EXPECT_EQ(d.data_dir, "/env");
  EXPECT_EQ(d.log_level, "warn");
}

TEST(ConfigLoad, EnvBandwidthRespectsExplicitDefaultValue) {
  // 5000 is the built-in default, but it was written explicitly: load() must keep it.
  TempFile f(R"({"cameras":[{"id":"a","bandwidth":{"max_kbps":5000}},{"id":"b"}]})");
  Config c = run({"--config", f.path()}, {{"MAX_VIDEO_BANDWIDTH", "7000"}, {"MIN_VIDEO_BANDWIDTH", "600"}});
  EXPECT_EQ(c.find_camera("a")->bandwidth.max_kbps, 5000);
  EXPECT_EQ(c.find_camera("a")->bandwidth.min_kbps, 600);
  EXPECT_EQ(c.find_camera("b")->bandwidth.max_kbps, 7000);
  EXPECT_EQ(c.find_camera("b")->bandwidth.min_kbps, 600);
}

TEST(ConfigLoad, HelpAndVersion) {
  CliAction action;
  run({"--help"}, {}, action);
  EXPECT_TRUE(action.show_help);
  EXPECT_FALSE(action.show_version);
  action = {};
  run({"-h"}, {}, action);
  EXPECT_TRUE(action.show_help);
  action = {};
  run({"--version"}, {}, action);
  EXPECT_TRUE(action.show_version);
  EXPECT_FALSE(action.show_help);
  // No file is read (even a missing one) and nothing is validated.
  action = {};
  EXPECT_NO_THROW(run({"--config", "/nonexistent/camrelay.json", "--version"},
                      {{"API_SERVER_PORT", "0"}}, action));
  EXPECT_TRUE(action.show_version);
  action = {};
  EXPECT_NO_THROW(run({"--help"}, {{"CAMRELAY_CONFIG", "/nonexistent/x.json"}}, action));
  EXPECT_TRUE(action.show_help);
}

TEST(ConfigLoad, OptionErrors) {
  EXPECT_THAT(load_error({"--foo"}), HasSubstr("unknown option --foo (see --help)"));
  EXPECT_THAT(load_error({"--foo=1"}), HasSubstr("unknown option --foo (see --help)"));
  EXPECT_THAT(load_error({"-x"}), HasSubstr("unknown option -x"));
  EXPECT_THAT(load_error({"positional"}), HasSubstr("unexpected argument \"positional\""));
  EXPECT_THAT(load_error({"--config"}), HasSubstr("option --config requires a value"));
  EXPECT_THAT(load_error({"--data-dir"}), HasSubstr("option --data-dir requires a value"));
  EXPECT_THAT(load_error({"--log-level"}), HasSubstr("option --log-level requires a value"));
  EXPECT_THAT(load_error({"--config="}), HasSubstr("option --config requires a non-empty value"));
  EXPECT_THAT(load_error({"--help=yes"}), HasSubstr("option --help does not take a value"));
  EXPECT_THAT(load_error({"--log-level", "chatty"}), HasSubstr("log_level: must be one of"));
}

TEST(ConfigLoad, FileErrors) {
  EXPECT_THAT(load_error({"--config", "/nonexistent/camrelay.json"}),
              HasSubstr("cannot read config file /nonexistent/camrelay.json: No such file or directory"));
  EXPECT_THAT(load_error({}, {{"CAMRELAY_CONFIG", "/nonexistent/env.json"}}),
              HasSubstr("cannot read config file /nonexistent/env.json"));
  const std::string dir = std::filesystem::temp_directory_path().string();
  EXPECT_THAT(load_error({"--config", dir}), HasSubstr("cannot read config file " + dir + ": Is a directory"));
  TempFile bad("{not json");
  EXPECT_THAT(load_error({"--config", bad.path()}), HasSubstr(bad.path() + ": invalid JSON at byte"));
  TempFile typo(R"({"http":{"prot":1}})");
  EXPECT_THAT(load_error({"--config", typo.path()}), HasSubstr("http.prot: unknown key"));
}

TEST(ConfigLoad, ValidatesTheResult) {
  TempFile f(R"({"cameras":[{"id":"a","source":{"type":"rtp"}}]})");
  EXPECT_THAT(load_error({"--config", f.path()}), HasSubstr("cameras[0].source.negotiation"));
  // ... and the environment can supply the missing broker.
  Config c = run({"--config", f.path()}, {{"MQTT_URL", "tcp://localhost:1883"}});
  EXPECT_EQ(c.mqtt.url, "tcp://localhost:1883");
  EXPECT_THAT(load_error({}, {{"API_SERVER_PORT", "x"}}), HasSubstr("env API_SERVER_PORT"));
  TempFile dup(R"({"cameras":[{"id":"a"},{"id":"a"}]})");
  EXPECT_THAT(load_error({"--config", dup.path()}), HasSubstr("cameras[1].id: duplicate id \"a\""));
}
