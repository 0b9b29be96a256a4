// Copyright 2026 The Wayback Authors.
//
// Decoding of the mutation encoding inside a transaction record (specified in
// src/log/segment_format.md, "Mutation"): type byte, varint key length, key,
// and for puts a varint value length and the value.

#include "src/util/coding.h"
#include "wayback/types.h"

namespace wayback {

bool LogRecord::MutationIterator::Next(MutationView* m) {
  if (left_ == 0 || rest_.empty()) return false;
  uint8_t type = static_cast<uint8_t>(rest_[0]);
  rest_.remove_prefix(1);
  if (type != static_cast<uint8_t>(MutationType::kPut) &&
      type != static_cast<uint8_t>(MutationType::kDelete)) {
    left_ = 0;
    return false;
  }
  m->type = static_cast<MutationType>(type);
  if (!GetLengthPrefixed(&rest_, &m->key)) {
    left_ = 0;
    return false;
  }
  m->value = {};
  if (m->type == MutationType::kPut && !GetLengthPrefixed(&rest_, &m->value)) {
    left_ = 0;
    return false;
  }
  --left_;
  return true;
}

Transaction LogRecord::ToTransaction() const {
  Transaction t;
  t.txid = txid;
  t.commit_time = commit_time;
  t.source_position = source_position;
  auto it = mutations();
  MutationView m;
  while (it.Next(&m)) {
    t.mutations.push_back({m.type, std::string(m.key), std::string(m.value)});
  }
  return t;
}

}  // namespace wayback
