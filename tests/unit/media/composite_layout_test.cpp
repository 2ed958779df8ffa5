// Where a composed camera's inputs go (composite_tiles): the PIP inset in its corner with a
// margin and a border, the grid's cells row by row; sizes even (what encoders need).
#include <gtest/gtest.h>

#include "camrelay/media/composite.hpp"

using camrelay::config::CompositeSource;
using camrelay::media::composite_tiles;

TEST(CompositeLayout, PictureInPictureCorners) {
  CompositeSource c;
  c.inputs = {"main", "inset"};
  c.border = 4;
  auto t = composite_tiles(c);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].x, 0);
  EXPECT_EQ(t[0].width, 1280);
  EXPECT_EQ(t[0].height, 720);
  EXPECT_EQ(t[0].border, 0);
  EXPECT_EQ(t[1].width, 320);
  EXPECT_EQ(t[1].height, 180);
  EXPECT_EQ(t[1].border, 4);
  EXPECT_EQ(t[1].x, 1280 - 320 - 24);  // margin: border + width/64
  EXPECT_EQ(t[1].y, 720 - 180 - 24);
  c.position = "top-left";
  t = composite_tiles(c);
  EXPECT_EQ(t[1].x, 24);
  EXPECT_EQ(t[1].y, 24);
  c.position = "top-right";
  c.scale = 0.3;
  t = composite_tiles(c);
  EXPECT_EQ(t[1].width % 2, 0);
  EXPECT_EQ(t[1].height % 2, 0);
  EXPECT_EQ(t[1].x + t[1].width + 24, 1280);
  EXPECT_EQ(t[1].y, 24);
}

TEST(CompositeLayout, GridCellsRowByRow) {
  CompositeSource c;
  c.layout = "grid";
  c.grid = "3x3";
  c.inputs = {"a", "b", "c", "d", "e"};
  c.width = 1920;
  c.height = 1080;
  const auto t = composite_tiles(c);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].x, 0);
  EXPECT_EQ(t[2].x, 1280);
  EXPECT_EQ(t[3].x, 0);
  EXPECT_EQ(t[3].y, 360);
  EXPECT_EQ(t[4].x, 640);
  for (const auto& tile : t) {
    EXPECT_LE(tile.width, 640);
    EXPECT_GE(tile.width, 636);
    EXPECT_EQ(tile.width % 2, 0);
    EXPECT_EQ(tile.height % 2, 0);
    EXPECT_EQ(tile.border, 0);
  }
}
