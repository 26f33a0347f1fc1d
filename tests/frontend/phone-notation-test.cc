// Phones written by hand: CMU/ARPAbet in any case and IPA, with the stress rules.
#include "../../frontend/src/phone-notation.h"

#include <gtest/gtest.h>

#include <set>

#include "ttsd/frontend/text-frontend.h"
#include "phone-list.h"

namespace ttsd::frontend {
namespace {

// The phones joined, or "ERROR: <message>".
std::string Parse(std::string_view written) {
  auto phones = ParsePhoneNotation(written);
  if (!phones) return "ERROR: " + phones.error().message;
  std::string out;
  for (const auto& p : *phones) out += (out.empty() ? "" : " ") + p;
  return out;
}

TEST(PhoneNotation, CmuInEitherCase) {
  EXPECT_EQ(Parse("HH AH0 L OW1"), "hh ah0 l ow1");
  EXPECT_EQ(Parse("hh ax0 l ow1"), "hh ax0 l ow1");
  EXPECT_EQ(Parse("  hh\tah0  l ow1 "), "hh ah0 l ow1");
  EXPECT_EQ(Parse("T IY1 T IY1 EH1 S D IY1"), "t iy1 t iy1 eh1 s d iy1");
}

TEST(PhoneNotation, UnmarkedCmuVowels) {
  EXPECT_EQ(Parse("hh ah l ow"), "hh ah1 l ow1");  // nothing marked: every full vowel stressed
  EXPECT_EQ(Parse("hh ax l ow"), "hh ax0 l ow1");  // ... but the reduced ax
  EXPECT_EQ(Parse("hh ah l ow1"), "hh ah0 l ow1");  // something marked: the rest unstressed
  EXPECT_EQ(Parse("hh ah ˈl ow"), "hh ah0 l ow1");  // an IPA mark before a CMU vowel
}

TEST(PhoneNotation, IpaWithSpaces) {
  EXPECT_EQ(Parse("h ə l oʊ"), "hh ax0 l ow1");
  EXPECT_EQ(Parse("h ə ˈl oʊ"), "hh ax0 l ow1");
  EXPECT_EQ(Parse("ˈh ɛ l oʊ"), "hh eh1 l ow0");
}

TEST(PhoneNotation, IpaWords) {
  EXPECT_EQ(Parse("ˈhɛloʊ"), "hh eh1 l ow0");
  EXPECT_EQ(Parse("həˈloʊ"), "hh ax0 l ow1");
  EXPECT_EQ(Parse("ˈwɔːtɚ"), "w ao1 t axr0");
  EXPECT_EQ(Parse("ˈwɔɾɚ"), "w ao1 d axr0");
  EXPECT_EQ(Parse("ˌʌndɚˈstænd"), "ah2 n d axr0 s t ae1 n d");
  EXPECT_EQ(Parse("tʃɜːtʃ"), "ch er1 ch");
  EXPECT_EQ(Parse("t͡ʃɪp"), "ch ih1 p");  // tie bar
  EXPECT_EQ(Parse("dʒʌdʒ"), "jh ah1 jh");
  EXPECT_EQ(Parse("θɪŋk ðə"), "th ih1 ng k dh ax0");
  EXPECT_EQ(Parse("ʃiː ʒ"), "sh iy1 zh");
  EXPECT_EQ(Parse("ɹɛd rɛd"), "r eh1 d r eh1 d");
  EXPECT_EQ(Parse("eɪ aɪ aʊ ɔɪ oʊ"), "ey1 ay1 aw1 oy1 ow1");
  EXPECT_EQ(Parse("i ɪ u ʊ ɛ e æ ɑ ɔ o ʌ ɝ"), "iy1 ih1 uw1 uh1 eh1 eh1 ae1 aa1 ao1 ow1 ah1 er1");
  EXPECT_EQ(Parse("ˈbʌʔn̩"), "b ah1 ax0 n");  // glottal stop silent; syllabic n
  EXPECT_EQ(Parse("ˈhɛ.loʊ"), "hh eh1 l ow0");  // syllable break
  EXPECT_EQ(Parse("ɡʊd"), "g uh1 d");  // IPA's own g
}

TEST(PhoneNotation, Errors) {
  EXPECT_EQ(Parse("h ə ʀ"), "ERROR: unknown phone symbol 'ʀ' in 'h ə ʀ'");
  EXPECT_EQ(Parse("HH AH7"), "ERROR: bad stress digit in 'AH7' in 'HH AH7'");
  EXPECT_EQ(Parse("hh1 ah"), "ERROR: bad stress digit in 'hh1' in 'hh1 ah'");
  EXPECT_EQ(Parse("XX1"), "ERROR: unknown phone 'XX1' in 'XX1'");
  EXPECT_EQ(Parse("HELLO"), "ERROR: unknown phone symbol 'H' in 'HELLO'");
  EXPECT_EQ(Parse(" "), "ERROR: no phones in ' '");
  EXPECT_EQ(Parse("ˈ"), "ERROR: no phones in 'ˈ'");
  auto error = ParsePhoneNotation("q");
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().code, ErrorCode::kUnsupportedText);
}

TEST(PhoneNotation, EveryResultIsInTheInventory) {
  const std::set<std::string> inventory(CmuPhoneInventory().begin(), CmuPhoneInventory().end());
  for (std::string_view written :
       {"ˈhɛloʊ", "ə ɚ ɝ ɜ ɐ ɘ ɪ ᵻ ɨ i u ʉ ʊ ɛ e æ a ɑ ɒ ɔ o ʌ", "eɪ aɪ ɑɪ aʊ ɑʊ ɔɪ oʊ əʊ ei ai au oi ou ə˞ ɜ˞",
        "p b t d k g ɡ f v θ ð s z ʃ ʒ h ɦ x ç χ ʧ ʤ tʃ dʒ m ɱ n ŋ l ɫ ɹ r ɻ ʁ ɾ j w ʍ ɣ β ˞",
        "aa ae ah ao aw ax axr ay eh er ey ih iy ow oy uh uw pau"}) {
    auto phones = ParsePhoneNotation(written);
    ASSERT_TRUE(phones.has_value()) << written << ": " << phones.error().message;
    for (const std::string& p : *phones) EXPECT_TRUE(inventory.contains(p)) << written << ": " << p;
  }
}

TEST(PhoneNotation, PluralEnding) {
  Phones phones = Split("k ae1 t");
  AppendPluralEnding(phones);
  EXPECT_EQ(phones, Split("k ae1 t s"));
  phones = Split("b ah1 s");
  AppendPluralEnding(phones);
  EXPECT_EQ(phones, Split("b ah1 s ih0 z"));
  phones = Split("d ao1 g");
  AppendPluralEnding(phones);
  EXPECT_EQ(phones, Split("d ao1 g z"));
}

}  // namespace
}  // namespace ttsd::frontend
