// Cameras added through the REST API (api_cameras) and the sealed credentials beside them.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "camrelay/store/secret_box.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "store_test_util.hpp"

namespace camrelay::store {
namespace {

using testing::RawDb;
using testing::TempDir;

TEST(StoreApiCameras, RowsRoundTripInPositionOrder) {
  TempDir dir;
  auto s = Store::open(dir.file("camrelay.db"));
  EXPECT_TRUE(s->load_api_cameras().empty());
  const std::string sealed("\x00\x01secret\xff", 9);
  s->put_api_camera({"b", 2, R"({"id":"b"})", "", 10, 10});
  s->put_api_camera({"a", 1, R"({"id":"a"})", sealed, 20, 20});
  s->put_api_camera({"b", 2, R"({"id":"b","name":"B"})", "", 99, 30});  // replace keeps created_at
  auto rows = s->load_api_cameras();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, "a");
  EXPECT_EQ(rows[0].secrets, sealed) << "bytes, NULs included";
  EXPECT_EQ(rows[1].id, "b");
  EXPECT_EQ(rows[1].config_json, R"({"id":"b","name":"B"})");
  EXPECT_EQ(rows[1].created_at, 10);
  EXPECT_EQ(rows[1].updated_at, 30);
  EXPECT_TRUE(rows[1].secrets.empty());
  EXPECT_TRUE(s->delete_api_camera("a"));
  EXPECT_FALSE(s->delete_api_camera("a"));
  s.reset();
  RawDb raw(dir.file("camrelay.db"));
  EXPECT_EQ(raw.integer("SELECT count(*) FROM api_cameras"), 1);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM api_cameras WHERE secrets IS NULL"), 1) << "no credentials: NULL";
}

TEST(SecretBox, SealsAndOpensWithItsKeyOnly) {
  const SecretBox box(std::string(32, 'k'));
  const std::string a = box.seal("rtsp password");
  EXPECT_EQ(a.find("rtsp password"), std::string::npos);
  EXPECT_NE(box.seal("rtsp password"), a) << "a fresh nonce each time";
  EXPECT_EQ(box.open(a), "rtsp password");
  EXPECT_EQ(box.open(box.seal("")), "");
  std::string altered = a;
  altered.back() ^= 1;
  EXPECT_EQ(box.open(altered), std::nullopt) << "authenticated";
  EXPECT_EQ(box.open("short"), std::nullopt);
  EXPECT_EQ(SecretBox(std::string(32, 'x')).open(a), std::nullopt) << "another key";
  EXPECT_THROW(SecretBox(std::string(16, 'k')), Error);
}

TEST(SecretBox, KeyFileIsCreatedPrivateAndReused) {
  TempDir dir;
  const std::string path = dir.file("secret.key");
  const std::string sealed = SecretBox::from_key_file(path).seal("pw");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  EXPECT_EQ(SecretBox::from_key_file(path).open(sealed), "pw") << "the same key next time";

  ::chmod(path.c_str(), 0640);
  try {
    SecretBox::from_key_file(path);
    ADD_FAILURE() << "a key file the group can read was used";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
  const std::string short_key = dir.file("short.key");
  { std::ofstream(short_key) << "tooshort"; }
  ::chmod(short_key.c_str(), 0600);
  EXPECT_THROW(SecretBox::from_key_file(short_key), Error);
}

}  // namespace
}  // namespace camrelay::store
