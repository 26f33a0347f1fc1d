// multipart/form-data as browsers, curl -F and requests write it (voice uploads), and what is refused.
#include "ttsd/daemon/http-multipart.h"

#include <gtest/gtest.h>

#include <string>

namespace ttsd::daemon {
namespace {

const std::string kType = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string Part(const std::string& disposition, const std::string& data, const std::string& type = "") {
  return "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nContent-Disposition: " + disposition + "\r\n" +
         (type.empty() ? "" : "Content-Type: " + type + "\r\n") + "\r\n" + data + "\r\n";
}
const std::string kEnd = "------WebKitFormBoundary7MA4YWxkTrZu0gW--\r\n";

TEST(Multipart, FieldsAndFilesInOrder) {
  static constexpr char kAudio[] = "RIFF\0\x01\r\n--almost a boundary\r\n";
  const std::string audio(kAudio, sizeof kAudio - 1);  // binary: a NUL inside
  const std::string body = Part("form-data; name=\"name\"", "anna") +
                           Part("form-data; name=\"file\"; filename=\"a b.wav\"", audio, "audio/wav") +
                           Part("form-data; name=file; filename=second.flac", "fLaC") + kEnd;
  auto form = ParseMultipart(kType, body);
  ASSERT_TRUE(form) << form.error().message;
  ASSERT_EQ(form->size(), 3u);
  EXPECT_EQ((*form)[0].name, "name");
  EXPECT_EQ((*form)[0].data, "anna");
  EXPECT_TRUE((*form)[0].filename.empty());
  EXPECT_EQ((*form)[1].filename, "a b.wav");
  EXPECT_EQ((*form)[1].content_type, "audio/wav");
  EXPECT_EQ((*form)[1].data, audio);  // binary, with CRLFs and dashes inside, untouched
  EXPECT_EQ((*form)[2].name, "file");
  EXPECT_EQ((*form)[2].filename, "second.flac");
  EXPECT_EQ((*form)[2].data, "fLaC");
}

TEST(Multipart, QuotedBoundaryPreambleAndCaseInHeaders) {
  auto form = ParseMultipart("Multipart/Form-Data; charset=utf-8; boundary=\"q q\"",
                             "ignored preamble\r\n--q q\r\ncontent-disposition: FORM-DATA; NAME=\"x\"\r\n\r\n1\r\n--q q--");
  ASSERT_TRUE(form) << form.error().message;
  ASSERT_EQ(form->size(), 1u);
  EXPECT_EQ((*form)[0].name, "x");
  EXPECT_EQ((*form)[0].data, "1");
}

TEST(Multipart, RefusalsSayWhatIsWrong) {
  const std::string ok = Part("form-data; name=\"a\"", "1") + kEnd;
  struct Case {
    std::string type, body, says;
  };
  for (const Case& c : {Case{"application/json", ok, "not multipart/form-data"},
                        Case{"multipart/form-data", ok, "boundary"},
                        Case{"multipart/form-data; boundary=", ok, "boundary"},
                        Case{"multipart/form-data; boundary=" + std::string(71, 'b'), ok, "boundary"},
                        Case{kType, "no boundary at all", "no boundary line"},
                        Case{kType, Part("form-data; name=\"a\"", "1"), "does not end"},
                        Case{kType, Part("attachment; name=\"a\"", "1") + kEnd, "form-data; name"},
                        Case{kType, Part("form-data", "1") + kEnd, "form-data; name"},
                        Case{kType, "------WebKitFormBoundary7MA4YWxkTrZu0gW\r\nBroken header\r\n\r\nx\r\n" + kEnd, "':'"},
                        Case{kType, "------WebKitFormBoundary7MA4YWxkTrZu0gWjunk", "CRLF"}}) {
    auto form = ParseMultipart(c.type, c.body);
    ASSERT_FALSE(form) << c.type << " | " << c.body;
    EXPECT_EQ(form.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(form.error().message.find(c.says), std::string::npos) << form.error().message;
  }
  std::string many;
  for (size_t i = 0; i <= kMaxFormParts; ++i) many += Part("form-data; name=\"f\"", "x");
  auto too_many = ParseMultipart(kType, many + kEnd);
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message.find("more than 32 parts"), std::string::npos);
}

}  // namespace
}  // namespace ttsd::daemon
