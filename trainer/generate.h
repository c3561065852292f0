// trn-train-native --generate: the experiment's newest checkpoint (else
// exp_manager.resume_from_checkpoint) continues a prompt, greedy or top-k sampled,
// so a user sees what the model learnt. The tokenizer, first found of:
//   --tokenizer byte | <SentencePiece model file>
//   the dataset's record (PREFIX.vocab.json of the first data.data_prefix, written by
//   `trn-train data`: the tokenizer the training ids came from)
//   none: the prompt and the output are token ids separated by spaces (the synthetic corpus)
#pragma once

#include <string>

#include "trainer/train_settings.h"

namespace trn::native {

struct GenerateOptions {
  std::string prompt;
  int max_new_tokens = 64;
  int min_new_tokens = 0;    // the end of sequence is not picked before this many are added
  int top_k = 0;             // 0: greedy (argmax); K: sample from the K likeliest
  double temperature = 1.0;  // divides the logits before top-k sampling
  std::string tokenizer;     // "" (see above), "byte" or a SentencePiece model path
};

// Prints the prompt and its continuation to stdout. The exit code (2: bad input, printed).
int generate(const TrainSettings& s, const GenerateOptions& o);

// Pure: the next token from `probs` (vocab entries, a softmax): argmax when top_k is
// 0, else a draw from the top_k likeliest at `temperature` using `uniform` in [0, 1).
int pick_token(const float* probs, int vocab, int top_k, double temperature, double uniform);

// Pure: pick_token among every token but `banned` (-1: none), which keeps the others'
// order and relative odds; generate bans the end of sequence until --min-new-tokens.
int pick_token_except(const float* probs, int vocab, int banned, int top_k, double temperature, double uniform);

}  // namespace trn::native
