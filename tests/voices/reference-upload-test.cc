// ReferenceUpload: kReference pieces into whole files, in order, with the announced counts and caps.
#include "ttsd/daemon/reference-upload.h"

#include <gtest/gtest.h>

#include "ttsd/protocol/frame.h"

namespace ttsd::daemon {
namespace {

using protocol::kFlagEmotion;
using protocol::kFlagEndOfFile;
using Bytes = std::vector<uint8_t>;

TEST(ReferenceUpload, PiecesBecomeFilesInOrder) {
  ReferenceUpload up(2, true, 100);
  EXPECT_FALSE(up.complete());
  ASSERT_TRUE(up.Add(0, Bytes{1, 2}));
  ASSERT_TRUE(up.Add(kFlagEmotion, Bytes{9}));
  ASSERT_TRUE(up.Add(kFlagEndOfFile, Bytes{3}));
  ASSERT_TRUE(up.Add(kFlagEndOfFile, Bytes{}));  // an empty second file: the decoder will refuse it
  EXPECT_FALSE(up.complete());                   // the emotion file is still open
  ASSERT_TRUE(up.Add(kFlagEmotion | kFlagEndOfFile, Bytes{8, 7}));
  EXPECT_TRUE(up.complete());
  EXPECT_EQ(up.held_bytes(), 6u);
  auto files = up.TakeSpeakerFiles();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], (Bytes{1, 2, 3}));
  EXPECT_TRUE(files[1].empty());
  EXPECT_EQ(up.TakeEmotionFile(), (Bytes{9, 8, 7}));
}

TEST(ReferenceUpload, NoFilesAnnouncedIsCompleteAtOnce) {
  ReferenceUpload up(0, false, 100);
  EXPECT_TRUE(up.complete());
  auto extra = up.Add(kFlagEndOfFile, Bytes{1});
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().code, ErrorCode::kBadRequest);
}

TEST(ReferenceUpload, UnannouncedFilesAreBadRequests) {
  ReferenceUpload up(1, false, 100);
  auto emotion = up.Add(kFlagEmotion, Bytes{1});
  ASSERT_FALSE(emotion);
  EXPECT_EQ(emotion.error().code, ErrorCode::kBadRequest);
  ASSERT_TRUE(up.Add(kFlagEndOfFile, Bytes{1}));
  EXPECT_EQ(up.Add(0, Bytes{2}).error().code, ErrorCode::kBadRequest);

  ReferenceUpload emo(0, true, 100);
  ASSERT_TRUE(emo.Add(kFlagEmotion | kFlagEndOfFile, Bytes{1}));
  EXPECT_EQ(emo.Add(kFlagEmotion, Bytes{2}).error().code, ErrorCode::kBadRequest);
}

TEST(ReferenceUpload, EachFileIsCappedNotTheirSum) {
  ReferenceUpload up(3, false, 4);
  ASSERT_TRUE(up.Add(kFlagEndOfFile, Bytes{1, 2, 3, 4}));  // exactly the cap
  ASSERT_TRUE(up.Add(0, Bytes{1, 2}));
  auto over = up.Add(0, Bytes{3, 4, 5});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kBadAudio);
  EXPECT_NE(over.error().message.find("reference 2 is larger than 4 bytes"), std::string::npos) << over.error().message;
}

}  // namespace
}  // namespace ttsd::daemon
