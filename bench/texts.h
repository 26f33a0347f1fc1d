// Fixed benchmark texts: none of them is in any training corpus.
#pragma once

#include <string>
#include <vector>

namespace ttsd::bench {

// Ten-word sentences.
inline const std::vector<std::string>& ShortSentences() {
  static const std::vector<std::string> kTexts = {
      "Please remind me to water the plants before dinner tonight.",
      "The train to the coast leaves from platform four today.",
      "My sister painted the kitchen a bright shade of yellow.",
      "Could you turn the music down a little bit, please?",
      "We found a small cafe hidden behind the old library.",
      "The weather should clear up by the end of the afternoon.",
      "He forgot his umbrella and walked home in the rain.",
      "Our team meeting has moved to half past three tomorrow.",
  };
  return kTexts;
}

// A sixty-word sentence with no punctuation: streaming must start inside it.
inline std::string LongUnpunctuated() {
  return "when the evening light began to fade over the quiet harbor the fishermen pulled their boats "
         "onto the sand and sorted the day's catch while their children ran along the water chasing "
         "the gulls that circled overhead and the old lighthouse keeper climbed the narrow stairs once "
         "more to light the lamp that had guided sailors home for nearly a hundred years";
}

}  // namespace ttsd::bench
