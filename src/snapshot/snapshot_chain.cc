// Copyright 2026 The Wayback Authors.
//
// The chain reader: a full snapshot and the deltas over it, read as one
// state. Every member is sorted by key, so the merged state streams out of a
// k-way merge with one cursor per member and nothing buffered but each
// member's current block (snapshot_format.md, V2.7 "Restore").
//
// Why the merge is cheap: most keys of a chain come from the base alone. The
// iterator keeps the smallest current key of the deltas and, while the
// base's key is below it, hands out the base's pairs after one comparison
// each; only keys some delta mentions pay for a scan of the (at most 64)
// deltas. Views point into the members' blocks: nothing is allocated per
// pair. The base's own iterator recomputes its digest as it goes; the
// digest of each later level is the one below plus what its delta changed,
// so checking the whole chain costs one hash per delta entry and one per
// replaced value on top of verifying the base.

#include "src/snapshot/snapshot_chain.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/snapshot/snapshot_file.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

std::string ShowKey(std::string_view key) {
  constexpr size_t kMax = 64;
  std::string shown = absl::CHexEscape(AV(key.substr(0, kMax)));
  if (key.size() > kMax) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

class ChainReader;

// Merges the members' iterators (see the file comment). State machine as
// SnapshotIterator's; a full iteration checks the chain at the end.
class ChainIterator final : public SnapshotIterator {
 public:
  ChainIterator(const std::vector<std::unique_ptr<SnapshotFile>>& members,
                std::string_view begin, std::string_view end)
      : members_(members), full_(begin.empty() && end.empty()) {
    const size_t n = members.size();
    cursors_.resize(n);
    advance_.reserve(n);
    if (full_) {
      changes_.resize(n);
      deletes_.assign(n, 0);
    }
    for (size_t i = 0; i < n; ++i) {
      cursors_[i].it = full_ ? members[i]->NewIterator()
                             : members[i]->NewRangeIterator(begin, end);
      advance_.push_back(i);
    }
  }

  bool Next(std::string_view* key, std::string_view* value) override {
    if (done_) return false;
    while (true) {
      // Move on the members the previous answer consumed (their views were
      // valid until now).
      bool deltas_moved = false;
      for (size_t i : advance_) {
        if (!Advance(i)) return Stop();
        deltas_moved |= i != 0;
      }
      advance_.clear();
      if (deltas_moved) FindMinDelta();
      Cursor& base = cursors_[0];
      // The fast path: a key no delta mentions.
      if (base.valid &&
          (min_delta_ == kNone || base.key < cursors_[min_delta_].key)) {
        *key = base.key;
        *value = base.value;
        advance_.push_back(0);
        return true;
      }
      if (min_delta_ == kNone) {
        // Every member is exhausted.
        if (full_) status_ = CheckChain();
        return Stop();
      }
      const std::string_view k = cursors_[min_delta_].key;
      // The key's state level by level, oldest first: each member
      // mentioning it replaces it (put) or drops it (delete).
      bool present = false;
      std::string_view current;
      if (base.valid && base.key == k) {
        present = true;
        current = base.value;
        advance_.push_back(0);
      }
      for (size_t i = 1; i < cursors_.size(); ++i) {
        Cursor& c = cursors_[i];
        if (!c.valid || c.key != k) continue;
        advance_.push_back(i);
        if (full_) {
          absl::Status s = Apply(i, k, present, current, c);
          if (!s.ok()) {
            status_ = s;
            return Stop();
          }
        }
        present = !c.deleted;
        current = c.value;
      }
      if (present) {
        *key = k;
        *value = current;
        return true;
      }
    }
  }

  absl::Status status() const override { return status_; }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  struct Cursor {
    std::unique_ptr<SnapshotIterator> it;
    std::string_view key, value;
    bool deleted = false;
    bool valid = false;
  };

  // Moves member i's cursor to its next entry. False on an error (status_
  // set); an exhausted cursor is valid = false.
  bool Advance(size_t i) {
    Cursor& c = cursors_[i];
    c.valid = c.it->Next(&c.key, &c.value);
    if (c.valid) {
      c.deleted = c.it->deleted();
      if (full_ && c.deleted) ++deletes_[i];
      return true;
    }
    status_ = c.it->status();
    return status_.ok();
  }

  void FindMinDelta() {
    min_delta_ = kNone;
    for (size_t i = 1; i < cursors_.size(); ++i) {
      if (cursors_[i].valid &&
          (min_delta_ == kNone || cursors_[i].key < cursors_[min_delta_].key)) {
        min_delta_ = i;
      }
    }
  }

  // Accounts for delta i's entry for key k, given the state below it.
  absl::Status Apply(size_t i, std::string_view k, bool present,
                     std::string_view current, const Cursor& c) {
    StateDigest& change = changes_[i];
    if (c.deleted) {
      if (!present) {
        return Misfit(i, k, "deletes key", ", which its base state lacks");
      }
      change.Remove(k, current);
      return absl::OkStatus();
    }
    if (present) {
      if (current == c.value) {
        return Misfit(i, k, "puts key", " with the value its base holds");
      }
      change.Remove(k, current);
    }
    change.Add(k, c.value);
    return absl::OkStatus();
  }

  absl::Status Misfit(size_t i, std::string_view k, std::string_view what,
                      std::string_view why) const {
    const SnapshotFile& m = *members_[i];
    const size_t block = m.FindBlock(k);
    return CorruptionAt(m.info().name,
                        block < m.block_count() ? m.block(block).offset : 0,
                        m.info().lsn,
                        absl::StrCat("delta does not fit its base ",
                                     AV(members_[i - 1]->info().name), ": it ",
                                     AV(what), " ", ShowKey(k), AV(why)));
  }

  // After the last key: each level's digest, from the base's (which the
  // base's own iterator has checked against its pairs) up.
  absl::Status CheckChain() const {
    StateDigest state = members_[0]->info().digest;
    for (size_t i = 1; i < members_.size(); ++i) {
      const SnapshotFile& m = *members_[i];
      const SnapshotInfo& info = m.info();
      if (info.base->digest != state) {
        return CorruptionAt(
            info.name, m.digest_offset(), info.lsn,
            absl::StrCat("base digest mismatch: the delta records ",
                         info.base->digest.ToString(), ", its base ",
                         AV(members_[i - 1]->info().name),
                         " holds a state that hashes to ", state.ToString()));
      }
      state.Merge(changes_[i]);
      if (state != info.digest) {
        return CorruptionAt(
            info.name, m.digest_offset(), info.lsn,
            absl::StrCat("state digest mismatch: the delta records ",
                         info.digest.ToString(),
                         ", its base with its entries applied hashes to ",
                         state.ToString()));
      }
      if (deletes_[i] != info.delete_count) {
        return CorruptionAt(
            info.name, info.size - snapshot_format::kFooterSizeV2 + 40,
            info.lsn,
            absl::StrCat("the footer counts ", info.delete_count,
                         " deletes, the blocks hold ", deletes_[i]));
      }
    }
    return absl::OkStatus();
  }

  bool Stop() {
    done_ = true;
    return false;
  }

  const std::vector<std::unique_ptr<SnapshotFile>>& members_;
  const bool full_;
  std::vector<Cursor> cursors_;  // [0] the base, then the deltas.
  std::vector<size_t> advance_;  // Cursors to move before the next answer.
  size_t min_delta_ = kNone;     // The delta with the smallest current key.
  std::vector<StateDigest> changes_;  // Full: what each delta changed.
  std::vector<uint64_t> deletes_;     // Full: deletes seen per member.
  bool done_ = false;
  absl::Status status_;
};

class ChainReader final : public SnapshotReader {
 public:
  explicit ChainReader(std::vector<std::unique_ptr<SnapshotFile>> members)
      : members_(std::move(members)), info_(members_.back()->info()) {
    info_.size = 0;
    info_.raw_bytes = 0;
    for (const auto& m : members_) {
      info_.size += m->info().size;
      info_.raw_bytes += m->info().raw_bytes;
    }
  }

  const SnapshotInfo& info() const override { return info_; }
  const std::vector<std::unique_ptr<SnapshotFile>>& members() const {
    return members_;
  }

  std::unique_ptr<SnapshotIterator> NewIterator() override {
    return std::make_unique<ChainIterator>(members_, std::string_view(),
                                           std::string_view());
  }
  std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view begin, std::string_view end) override {
    return std::make_unique<ChainIterator>(members_, begin, end);
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    std::string value;
    for (size_t i = members_.size(); i-- > 0;) {
      WAYBACK_ASSIGN_OR_RETURN(EntryState state,
                               members_[i]->Find(key, &value));
      if (state == EntryState::kPut) {
        return std::optional<std::string>(std::move(value));
      }
      if (state == EntryState::kDeleted) break;
    }
    return std::optional<std::string>();
  }

  // One merged pass reads every block of every member and checks every
  // digest and count.
  absl::Status Verify() override {
    ChainIterator it(members_, std::string_view(), std::string_view());
    std::string_view k, v;
    while (it.Next(&k, &v)) {
    }
    return it.status();
  }

 private:
  const std::vector<std::unique_ptr<SnapshotFile>> members_;
  SnapshotInfo info_;
};

}  // namespace

std::vector<std::string> ChainSplitKeys(SnapshotReader* reader, size_t ranges) {
  std::vector<std::string> keys;
  auto* chain = dynamic_cast<ChainReader*>(reader);
  if (chain == nullptr || ranges < 2) return keys;
  // Every member's blocks, each weighed by its raw size at its first key:
  // the work of a range is decoding and merging the blocks of every member
  // that fall in it. The base alone is not enough: a delta may add keys
  // far outside the base's key space (appended ids), and a split taken
  // from the base would leave one range with nearly all the work.
  struct Mark {
    std::string_view key;
    uint64_t weight;
  };
  std::vector<Mark> marks;
  uint64_t total = 0;
  for (const auto& m : chain->members()) {
    for (size_t i = 0; i < m->block_count(); ++i) {
      const uint64_t w = m->block(i).raw_size + 1;
      marks.push_back({m->block(i).first_key, w});
      total += w;
    }
  }
  std::sort(marks.begin(), marks.end(),
            [](const Mark& a, const Mark& b) { return a.key < b.key; });
  uint64_t acc = 0;
  for (size_t i = 0; i + 1 < marks.size() && keys.size() + 1 < ranges; ++i) {
    acc += marks[i].weight;
    const std::string_view next = marks[i + 1].key;
    if (acc * ranges >= total * (keys.size() + 1) && !next.empty() &&
        (keys.empty() || keys.back() < next)) {
      keys.emplace_back(next);
    }
  }
  return keys;
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenSnapshotChain(
    Storage* storage, const std::vector<std::string>& names) {
  if (names.empty()) {
    return absl::InvalidArgumentError("a snapshot chain needs a full snapshot");
  }
  std::vector<std::unique_ptr<SnapshotFile>> members;
  members.reserve(names.size());
  for (const std::string& name : names) {
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotFile> m,
                             SnapshotFile::Open(storage, name));
    const SnapshotInfo& info = m->info();
    if (info.fence) {
      return absl::FailedPreconditionError(absl::StrCat(
          name, " is a snapshot version fence, not a member of a chain"));
    }
    const bool delta = info.kind == SnapshotKind::kDelta;
    if (members.empty() == delta) {
      return absl::InvalidArgumentError(
          absl::StrCat("a snapshot chain is a full snapshot, then deltas; ",
                       name, " is a ", delta ? "delta" : "full snapshot"));
    }
    if (delta) {
      // The base reference names the previous member (its generation may
      // differ: any object of that timeline, LSN and kind with the digest
      // the delta records is its base, V2.7).
      const SnapshotInfo& prev = members.back()->info();
      const SnapshotBaseRef& base = *info.base;
      if (base.timeline != prev.timeline || base.lsn != prev.lsn ||
          base.kind != prev.kind || base.digest != prev.digest ||
          info.chain_depth != prev.chain_depth + 1) {
        return CorruptionAt(
            name, info.size - snapshot_format::kFooterSizeV2 + 92, info.lsn,
            absl::StrCat(
                "the delta's base is ",
                SnapshotObjectName(SnapshotName{base.timeline, base.lsn,
                                                base.kind, base.generation}),
                " with digest ", base.digest.ToString(), " at chain depth ",
                info.chain_depth - 1, "; the chain gives it ", AV(prev.name),
                " with digest ", prev.digest.ToString(), " at chain depth ",
                prev.chain_depth));
      }
    }
    members.push_back(std::move(m));
  }
  if (members.size() == 1) {
    // A full snapshot alone: its own reader (and its block-level fast path).
    return std::unique_ptr<SnapshotReader>(std::move(members[0]));
  }
  return std::unique_ptr<SnapshotReader>(
      std::make_unique<ChainReader>(std::move(members)));
}

}  // namespace wayback
