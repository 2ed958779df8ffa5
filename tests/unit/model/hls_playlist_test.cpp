#include <gtest/gtest.h>

#include "camrelay/model/hls_playlist.hpp"

using namespace camrelay::model;

TEST(HlsNames, AcceptsSegmentNames) {
  EXPECT_TRUE(valid_hls_segment_name("segment00000.ts"));
  EXPECT_TRUE(valid_hls_segment_name("segment1.ts"));
  EXPECT_TRUE(valid_hls_segment_name("segment123456789.ts"));
}

TEST(HlsNames, RejectsEverythingElse) {
  for (const char* bad :
       {"", "segment.ts", "segment0000000000.ts" /* 10 digits */, "../segment00001.ts",
        "segment00001.ts/..", "..%2Fsegment1.ts", "segment1.TS", "Segment1.ts",
        "segment-1.ts", "segment1.ts.bak", "index.m3u8", "/etc/passwd", "..", ".", "segment1%2ets",
        "segment 1.ts", "segment1.ts?x", "segment١.ts"}) {
    EXPECT_FALSE(valid_hls_segment_name(bad)) << bad;
  }
  EXPECT_FALSE(valid_hls_segment_name(std::string(300, 'a')));
  EXPECT_FALSE(valid_hls_segment_name(std::string_view("segment1.ts\0x", 13)));
  EXPECT_FALSE(valid_hls_segment_name("segment" + std::string(1000, '1') + ".ts"));
}

TEST(HlsPlaylist, LastMediaSequence) {
  EXPECT_EQ(playlist_last_msn("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:1,\nsegment00007.ts\n"
                              "#EXTINF:1,\nsegment00008.ts\n"),
            8);
  EXPECT_EQ(playlist_last_msn("#EXTM3U\r\n#EXTINF:1,\r\nsegment00000.ts\r\n"), 0);  // default sequence 0
  EXPECT_FALSE(playlist_last_msn("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n"));
  EXPECT_FALSE(playlist_last_msn(""));
}

TEST(HlsPlaylist, AddsBlockingReload) {
  EXPECT_EQ(add_blocking_reload("#EXTM3U\n#EXT-X-VERSION:3\n"),
            "#EXTM3U\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES\n#EXT-X-VERSION:3\n");
  const std::string once = add_blocking_reload("#EXTM3U\n");
  EXPECT_EQ(add_blocking_reload(once), once);
  EXPECT_EQ(add_blocking_reload("not a playlist"), "not a playlist");
}

TEST(HlsNames, PrefixesPlaylistUris) {
  const std::string pl =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nsegment00001.ts\n"
      "#EXTINF:1.0,\r\nsegment00002.ts\r\n\n";
  EXPECT_EQ(prefix_playlist_uris(pl, "segment/"),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nsegment/segment00001.ts\n"
            "#EXTINF:1.0,\r\nsegment/segment00002.ts\r\n\n");
  EXPECT_EQ(prefix_playlist_uris("a", "p/"), "p/a");  // no trailing newline
  EXPECT_EQ(prefix_playlist_uris("", "p/"), "");
}
