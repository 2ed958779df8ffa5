// CameraCatalog: the file's cameras and the API's, stored with sealed credentials, loaded
// again at start, the file's winning an id both have. (No registry attached: apply() answers
// at once; the registry's part is StreamManager::reload_cameras, tested with the paths.)
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "camrelay/config/config.hpp"
#include "camrelay/service/camera_catalog.hpp"
#include "camrelay/store/secret_box.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"

namespace camrelay::service {
namespace {

namespace fs = std::filesystem;

class CameraCatalogTest : public ::testing::Test {
 protected:
  CameraCatalogTest() : dir_(fs::temp_directory_path() / ("camrelay-catalog-test-" + random_id())) {
    fs::create_directories(dir_);
    store_ = store::Store::open((dir_ / "camrelay.db").string());
    file_.cameras.push_back(config::Camera{.id = "file1", .name = "file1"});
  }
  ~CameraCatalogTest() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<CameraCatalog> catalog(std::string key = std::string(32, 'k')) {
    return std::make_unique<CameraCatalog>(file_, *store_, store::SecretBox(key));
  }
  static std::vector<std::string> ids(const std::vector<config::Camera>& cams) {
    std::vector<std::string> out;
    for (const auto& c : cams) out.push_back(c.id);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  config::Config file_;
};

constexpr const char* kRtsp = R"({"id":"door","source":{"type":"rtsp","url":"rtsp://u:pw@cam/x"}})";

TEST_F(CameraCatalogTest, CreatedCamerasAreStoredSealedAndLoadedAgain) {
  auto c = catalog();
  EXPECT_EQ(c->create(R"({"id":"cam2","name":"Garage"})").origin, Origin::api);
  c->create(kRtsp);
  EXPECT_EQ(ids(c->cameras()), (std::vector<std::string>{"file1", "cam2", "door"})) << "the file's first";
  EXPECT_EQ(c->origin("file1"), Origin::config);
  EXPECT_EQ(c->origin("door"), Origin::api);
  EXPECT_EQ(c->origin("nope"), std::nullopt);

  const auto rows = store_->load_api_cameras();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].config_json.find("pw"), std::string::npos) << rows[1].config_json;
  EXPECT_EQ(rows[1].secrets.find("pw"), std::string::npos);
  EXPECT_TRUE(rows[0].secrets.empty()) << "no credentials, nothing sealed";

  auto again = catalog();
  EXPECT_EQ(ids(again->cameras()), (std::vector<std::string>{"file1", "cam2", "door"}));
  const auto door = again->find("door");
  ASSERT_TRUE(door);
  EXPECT_EQ(std::get<config::RtspSource>(door->camera.source).url, "rtsp://u:pw@cam/x") << "unsealed";
  EXPECT_EQ(again->find("cam2")->camera.name, "Garage");
}

TEST_F(CameraCatalogTest, RefusesWhatTheFileWouldRefuse) {
  auto c = catalog();
  EXPECT_THROW(c->create(R"({"id":"file1"})"), config::DuplicateIdError);
  c->create(R"({"id":"cam2"})");
  EXPECT_THROW(c->create(R"({"id":"cam2"})"), config::DuplicateIdError);
  EXPECT_THROW(c->create(R"({"id":"x","source":{"type":"foo"}})"), config::ConfigError);
  EXPECT_THROW(c->create("{"), config::ConfigError);
  try {
    c->replace("file1", R"({"id":"file1"})");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::conflict);
  }
  try {
    c->remove("nope");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
  }
  EXPECT_THROW(c->replace("cam2", R"({"id":"file1"})"), config::ConfigError) << "another camera's id";
  EXPECT_EQ(store_->load_api_cameras().size(), 1u) << "nothing refused was stored";
}

TEST_F(CameraCatalogTest, ReplaceKeepsMaskedPasswordsAndPosition) {
  auto c = catalog();
  c->create(R"({"id":"a"})");
  c->create(kRtsp);
  c->replace("door", R"({"id":"door","name":"Door","source":{"type":"rtsp","url":"rtsp://u:***@cam/x"}})");
  auto again = catalog();
  EXPECT_EQ(std::get<config::RtspSource>(again->find("door")->camera.source).url, "rtsp://u:pw@cam/x");
  EXPECT_EQ(again->find("door")->camera.name, "Door");
  EXPECT_EQ(ids(again->cameras()), (std::vector<std::string>{"file1", "a", "door"}));
}

TEST_F(CameraCatalogTest, TheFileWinsAnIdBothHave) {
  auto c = catalog();
  c->create(R"({"id":"cam2","name":"api"})");
  auto next = file_.cameras;
  next.push_back(config::Camera{.id = "cam2", .name = "file"});
  c->set_config_cameras(next, [](std::exception_ptr, ReloadSummary) {});
  EXPECT_EQ(ids(c->cameras()), (std::vector<std::string>{"file1", "cam2"}));
  EXPECT_EQ(c->find("cam2")->camera.name, "file");
  ASSERT_EQ(c->skipped().size(), 1u);
  EXPECT_EQ(c->skipped()[0].id, "cam2");
  // DELETE takes the stored row only; the file's camera stays and no recordings hook runs.
  bool hooked = false;
  c->set_on_camera_deleted([&hooked](const std::string&, bool) { hooked = true; });
  const auto removed = c->remove("cam2");
  EXPECT_TRUE(removed.was_shadowed);
  EXPECT_FALSE(c->camera_removed(removed, true));
  EXPECT_FALSE(hooked);
  EXPECT_EQ(c->find("cam2")->origin, Origin::config);
}

TEST_F(CameraCatalogTest, RecordingsHookOnDelete) {
  auto c = catalog();
  c->create(R"({"id":"cam2"})");
  const auto removed = c->remove("cam2");
  EXPECT_FALSE(c->camera_removed(removed, true)) << "no hook: recordings kept";
  c->create(R"({"id":"cam3"})");
  std::string seen;
  bool asked = false;
  c->set_on_camera_deleted([&](const std::string& id, bool del) {
    seen = id;
    asked = del;
  });
  EXPECT_TRUE(c->camera_removed(c->remove("cam3"), true));
  EXPECT_EQ(seen, "cam3");
  EXPECT_TRUE(asked);
  EXPECT_TRUE(store_->load_api_cameras().empty());
}

TEST_F(CameraCatalogTest, AnotherKeySkipsSealedCamerasWithoutLosingThem) {
  catalog()->create(kRtsp);
  auto other = catalog(std::string(32, 'x'));
  EXPECT_EQ(ids(other->cameras()), (std::vector<std::string>{"file1"}));
  ASSERT_EQ(other->skipped().size(), 1u);
  EXPECT_NE(other->skipped()[0].reason.find("secret.key"), std::string::npos);
  EXPECT_THROW(other->create(R"({"id":"door"})"), config::DuplicateIdError) << "its id stays taken";
  EXPECT_EQ(ids(catalog()->cameras()), (std::vector<std::string>{"file1", "door"})) << "the right key reads it";
}

}  // namespace
}  // namespace camrelay::service
