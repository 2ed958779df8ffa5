// Reading a recording's real length from its fragments (include/camrelay/model/mp4_probe.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "camrelay/model/mp4_probe.hpp"

namespace fs = std::filesystem;
using camrelay::model::probe_fragmented_mp4;

namespace {

// 2 s of 160x90 H.264 at 30 fps in 500 ms fragments, as mp4mux writes them when recording
// (made by: gst-launch-1.0 videotestsrc num-buffers=60 ! video/x-raw,width=160,height=90,
// framerate=30/1 ! x264enc key-int-max=15 bitrate=100 ! h264parse ! mp4mux fragment-duration=500
// streamable=true ! filesink location=fragmented_2s.mp4).
fs::path fixture() { return fs::path(CAMRELAY_SOURCE_DIR) / "tests/fixtures/mp4/fragmented_2s.mp4"; }

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

fs::path write_prefix(const std::string& data, std::size_t n, const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("mp4probe_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary).write(data.data(), std::streamsize(std::min(n, data.size())));
  return p;
}

}  // namespace

TEST(Mp4Probe, ACompleteFileHasItsFullLength) {
  auto e = probe_fragmented_mp4(fixture());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->duration_ms, 2000);
  EXPECT_EQ(e->samples, 60u);
  EXPECT_EQ(e->fragments, 4u);
}

TEST(Mp4Probe, AFileCutShortCountsOnlyItsCompleteFragments) {
  const std::string data = read_all(fixture());
  ASSERT_GT(data.size(), 1000u);
  // Cut in the middle of the third fragment's media data: two complete fragments remain.
  const auto full = probe_fragmented_mp4(fixture());
  ASSERT_TRUE(full);
  const auto p = write_prefix(data, data.size() * 6 / 10, "cut.mp4");
  auto e = probe_fragmented_mp4(p);
  fs::remove(p);
  ASSERT_TRUE(e);
  EXPECT_GT(e->fragments, 0u);
  EXPECT_LT(e->fragments, full->fragments);
  EXPECT_EQ(e->duration_ms, std::int64_t(e->fragments) * 500);
  EXPECT_EQ(e->samples, e->fragments * 15);
  EXPECT_LE(e->playable_bytes, data.size() * 6 / 10);
}

TEST(Mp4Probe, NoMoovIsNotAnMp4) {
  const std::string data = read_all(fixture());
  const auto p = write_prefix(data, 40, "head.mp4");
  EXPECT_FALSE(probe_fragmented_mp4(p));
  fs::remove(p);
  const auto q = write_prefix("not an mp4 at all, just text\n", 100, "text.mp4");
  EXPECT_FALSE(probe_fragmented_mp4(q));
  fs::remove(q);
  EXPECT_FALSE(probe_fragmented_mp4("/nonexistent/file.mp4"));
}

TEST(Mp4Probe, OnlyTheHeaderIsZeroLong) {
  const std::string data = read_all(fixture());
  // ftyp + moov end before the first moof: find the first "moof" and cut there.
  const auto at = data.find("moof");
  ASSERT_NE(at, std::string::npos);
  const auto p = write_prefix(data, at - 4, "header.mp4");
  auto e = probe_fragmented_mp4(p);
  fs::remove(p);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->duration_ms, 0);
  EXPECT_EQ(e->fragments, 0u);
}
