// Copyright 2026 The Wayback Authors.
//
// The independent model that restore oracles compare with: transactions
// applied one by one to a std::map, the state digest taken after each.

#ifndef WAYBACK_TESTS_TESTUTIL_STATE_MODEL_H_
#define WAYBACK_TESTS_TESTUTIL_STATE_MODEL_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "wayback/types.h"

namespace wayback::testing {

// The digest after each of transactions 1..n (`txn(k)` is the one at LSN k):
// index k holds the state after LSN k, index 0 the empty state.
inline std::vector<StateDigest> DigestsAfterEach(
    Lsn n, const std::function<Transaction(Lsn)>& txn) {
  std::map<std::string, std::string> state;
  std::vector<StateDigest> out(1);
  for (Lsn k = 1; k <= n; ++k) {
    for (const Mutation& m : txn(k).mutations) {
      if (m.type == MutationType::kPut) {
        state[m.key] = m.value;
      } else {
        state.erase(m.key);
      }
    }
    StateDigest d;
    for (const auto& [key, value] : state) d.Add(key, value);
    out.push_back(d);
  }
  return out;
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TESTUTIL_STATE_MODEL_H_
