// Copyright 2026 The Wayback Authors.
//
// The implementation classes behind wayback/snapshot.h, exposed to the other
// layers for the paths the public interface does not cover:
//
//  * SnapshotFile: a SnapshotReader of one object (format version 1 or 2)
//    that also hands out whole verified,
//    decompressed blocks of sorted pairs (SnapshotBlock), one per call,
//    thread-safe across distinct SnapshotBlock buffers. A bulk loader (the
//    RocksDB target turning blocks into SST files, the memory target
//    reserving capacity) reads blocks on a worker pool and walks each one's
//    pairs without any allocation.
//  * SnapshotFileWriter: a SnapshotWriter that reports the bytes it holds (the
//    bounded-memory guarantee, checked by tests).
//
// Get a SnapshotFile from a public SnapshotReader with AsSnapshotFile(): every
// reader SnapshotReader::Open() returns is one.

#ifndef WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FILE_H_
#define WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/snapshot/snapshot_format.h"
#include "src/util/compression.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {

// A growable byte buffer that is never zero-filled (std::string::resize
// would clear every byte it adds: wasted work before zstd overwrites them).
class ByteBuffer {
 public:
  // Makes room for n bytes; keeps no old contents.
  char* Reserve(size_t n) {
    if (n > capacity_) {
      data_.reset(new char[n]);
      capacity_ = n;
    }
    return data_.get();
  }
  char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

// One block of a snapshot, verified (CRC32C, sizes, pair count, key order,
// first and last key equal to the index's) and decompressed. A block of a
// delta snapshot holds entries (puts and deletes) rather than pairs. Reusable:
// each SnapshotFile::ReadBlock() into the same SnapshotBlock reuses its
// buffers. Not thread-safe; use one per thread.
class SnapshotBlock {
 public:
  SnapshotBlock() = default;
  SnapshotBlock(const SnapshotBlock&) = delete;
  SnapshotBlock& operator=(const SnapshotBlock&) = delete;

  // Which block of the snapshot this is; SIZE_MAX before the first read.
  size_t index() const { return index_; }
  uint32_t pair_count() const { return pair_count_; }
  // True if the block holds delta entries (a delta snapshot's block).
  bool delta() const { return delta_; }
  // The raw bytes: pair_count() pairs, each varint64 key length, varint64
  // value length, key, value (snapshot_format.md, "Block contents"); for a
  // delta, each entry has a type byte first (V2.4).
  std::string_view raw() const { return raw_; }

  // Walks the pairs (or entries) in key order. The views point into the
  // block and stay valid until the next ReadBlock() into it.
  // Allocation-free.
  class Iterator {
   public:
    explicit Iterator(std::string_view raw, bool delta = false)
        : rest_(raw), delta_(delta) {}
    // Stores the next pair and returns true, or returns false at the end.
    // (The block was checked when read, so there is no error case.) In a
    // delta block, *deleted (if not null) tells a delete (empty value) from
    // a put; a bulk loader of pairs must not be given a delta.
    bool Next(std::string_view* key, std::string_view* value,
              bool* deleted = nullptr) {
      if (rest_.empty()) return false;
      if (!delta_) {
        if (deleted != nullptr) *deleted = false;
        return snapshot_format::GetPair(&rest_, key, value);
      }
      bool d;
      if (!snapshot_format::GetEntry(&rest_, key, value, &d)) return false;
      if (deleted != nullptr) *deleted = d;
      return true;
    }

   private:
    std::string_view rest_;
    bool delta_;
  };
  Iterator pairs() const { return Iterator(raw_, delta_); }

  // Bytes held by the buffers.
  size_t buffered_bytes() const {
    return compressed_.capacity() + raw_buffer_.capacity() +
           frame_buffer_.capacity();
  }

 private:
  friend class SnapshotFile;
  size_t index_ = SIZE_MAX;
  uint32_t pair_count_ = 0;
  bool delta_ = false;
  std::string_view raw_;
  ByteBuffer compressed_;
  ByteBuffer raw_buffer_;
  std::string frame_buffer_;  // Version 2: the decoded frame content.
  ZstdDecompressor zstd_;
};

// How a lookup in one snapshot ended (SnapshotFile::Find()).
enum class EntryState {
  kAbsent,   // The snapshot does not mention the key.
  kPut,      // The key has a value.
  kDeleted,  // A delta deletes the key.
};

// A snapshot open for reading (the implementation of SnapshotReader).
// Thread-safe after Open(): every method may be called concurrently, given
// distinct SnapshotBlock buffers.
class SnapshotFile final : public SnapshotReader {
 public:
  // Reads the header, the footer and the index, and checks them (see
  // snapshot_format.md, "Reading" and V2.10). kDataLoss naming the object,
  // the offset and the LSN on damage; the storage's own code on an I/O
  // error. Opens a version fence too (info().fence). `repository_id`: the
  // 16-byte id version 2 objects must carry; nullopt: read it from the
  // storage's identity object when a v2 object needs it (no identity: no
  // check).
  static absl::StatusOr<std::unique_ptr<SnapshotFile>> Open(
      Storage* storage, std::string_view name,
      std::optional<std::string> repository_id = std::nullopt);

  const SnapshotInfo& info() const override { return info_; }
  // A full iterator also recomputes the state digest as it goes and, after
  // the last pair, fails with kDataLoss if it differs from the footer's:
  // reading a whole snapshot is verifying it. (A range iterator cannot.)
  std::unique_ptr<SnapshotIterator> NewIterator() override;
  std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view begin, std::string_view end) override;
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override;
  absl::Status Verify() override;

  // Looks `key` up: *value holds a put's value. One block read at most.
  absl::StatusOr<EntryState> Find(std::string_view key,
                                  std::string* value) const;

  // The block index, in key order. Each entry's keys view memory this object
  // owns.
  size_t block_count() const { return index_.size(); }
  const snapshot_format::IndexEntry& block(size_t i) const { return index_[i]; }
  // The first block whose last key is >= key: the only block that can hold
  // `key`, or block_count() if every key is smaller.
  size_t FindBlock(std::string_view key) const;
  // Reads block i, verifies it and decompresses it into *block.
  absl::Status ReadBlock(size_t i, SnapshotBlock* block) const;
  // OK if `computed` (the digest of every pair read) equals the footer's;
  // kDataLoss naming the footer's digest field otherwise. A bulk loader that
  // reads blocks itself calls this at the end, as Verify() and a full
  // iterator do.
  absl::Status CheckDigest(const StateDigest& computed) const;
  // Where the recorded state digest is: the v1 footer's field or the v2
  // index frame's summary (for messages).
  uint64_t digest_offset() const { return digest_offset_; }

 private:
  SnapshotFile() = default;
  absl::Status Corruption(uint64_t offset, std::string_view what) const;
  // The rest of Open() once the header's version is known; `tail` holds the
  // object's last bytes from `tail_offset`, `header` its first bytes.
  absl::Status OpenV1(std::string_view header, std::string_view tail,
                      uint64_t tail_offset);
  absl::Status OpenV2(Storage* storage, std::string_view header,
                      std::string_view tail, uint64_t tail_offset,
                      std::optional<std::string> repository_id);
  // The footer's LSN and timeline against the header's (in info_), and where
  // it places the index against the object's size.
  absl::Status CheckFooterPlacement(Lsn lsn, TimelineId timeline,
                                    uint64_t index_offset, uint64_t index_size,
                                    size_t header_size, size_t footer_size,
                                    uint64_t max_index_size) const;
  // Reads and checks the v1 index, or the v2 index frame's entries.
  absl::Status ReadIndexBytes(uint64_t offset, uint64_t size,
                              std::string_view tail, uint64_t tail_offset,
                              std::string* out) const;
  absl::Status DecodeIndex(std::string_view entries, uint64_t index_offset,
                           uint32_t block_count, uint64_t* items,
                           uint64_t* raw);
  absl::Status ReadBlockV2(size_t i, SnapshotBlock* block) const;
  // `s` with the LSN added to the message of a frame codec error.
  absl::Status WithLsn(absl::Status s) const;
  // The sizes and count a block's header records against its index entry.
  absl::Status CheckBlockHeader(size_t i, std::string_view what,
                                uint64_t stored, uint64_t raw,
                                uint64_t items) const;
  // Checks the pairs or entries of a decoded block.
  absl::Status CheckBlockContent(size_t i, std::string_view raw,
                                 bool delta) const;
  // Block buffers for Get() and Verify(), reused across calls so that a
  // lookup does not pay for a new zstd context and buffer each time.
  std::unique_ptr<SnapshotBlock> TakeBlock() const;
  void ReturnBlock(std::unique_ptr<SnapshotBlock> block) const;

  std::string name_;
  std::unique_ptr<ReadableObject> object_;
  SnapshotInfo info_;
  // Where the recorded state digest is (for messages): the v1 footer's field
  // or the v2 index frame (its summary).
  uint64_t digest_offset_ = 0;
  // Frame header size and first block offset: v1 16 and 96, v2 40 and 160.
  size_t block_header_size_ = snapshot_format::kBlockHeaderSize;
  uint64_t first_block_offset_ = snapshot_format::kHeaderSize;
  std::string index_bytes_;
  std::vector<snapshot_format::IndexEntry> index_;
  // std::mutex rather than absl::Mutex: the system Abseil is not built for
  // ThreadSanitizer, which then cannot see its synchronization.
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<SnapshotBlock>> pool_;  // pool_mu_
};

// The SnapshotFile behind a reader SnapshotReader::Open() returned, or null
// for a reader of another kind.
inline SnapshotFile* AsSnapshotFile(SnapshotReader* reader) {
  return dynamic_cast<SnapshotFile*>(reader);
}

// The implementation of SnapshotWriter.
class SnapshotFileWriter final : public SnapshotWriter {
 public:
  // Checks the options (kInvalidArgument: timeline 0, block_size 0 or above
  // kMaxBlockRawSize, version-2 fields in version 1, a delta without a
  // usable base...), creates the version fence if version 2 needs it, then
  // the object, and writes its header.
  static absl::StatusOr<std::unique_ptr<SnapshotFileWriter>> Create(
      Storage* storage, const SnapshotWriterOptions& options);
  // Creates the version fence of `timeline` unless it exists (create-only:
  // "already exists" is success). `repository_id`: 16 bytes.
  static absl::Status CreateFence(Storage* storage, TimelineId timeline,
                                  const std::string& repository_id);
  ~SnapshotFileWriter() override;

  absl::Status Add(std::string_view key, std::string_view value) override;
  absl::Status AddDelete(std::string_view key) override;
  absl::StatusOr<SnapshotInfo> Finish() override;

  // Bytes the writer holds in memory now: the block being filled, the
  // compression buffer, the index and the last key (capacities, not sizes).
  size_t buffered_bytes() const;
  // The most buffered_bytes() has been, sampled at each block boundary.
  size_t peak_buffered_bytes() const { return peak_buffered_; }

 private:
  SnapshotFileWriter(const SnapshotWriterOptions& options, std::string name,
                     std::unique_ptr<ObjectWriter> object);
  // Create() after the options are checked; `fence`: write the fence.
  static absl::StatusOr<std::unique_ptr<SnapshotFileWriter>> CreateObject(
      Storage* storage, const SnapshotWriterOptions& options, bool fence,
      const std::string& repository_id);
  absl::Status FlushBlock();
  absl::Status FinishV2();
  absl::Status Append(std::string_view data);
  // Checks that `key` may come next (kInvalidArgument otherwise).
  absl::Status CheckNext(std::string_view key) const;
  // A delta: what the base holds for `key` (*found, and the value in
  // *base_value, valid until the next call), read forward from the last
  // key looked up.
  absl::Status LookUpBase(std::string_view key, bool* found,
                          std::string_view* base_value);
  // Buffers one pair or entry whose checks passed.
  absl::Status Buffer(std::string_view key, std::string_view value,
                      bool deleted);

  const SnapshotWriterOptions options_;
  const bool delta_;
  bool fence_ = false;
  const std::string name_;
  std::unique_ptr<ObjectWriter> object_;
  ZstdCompressor compressor_;
  absl::Status status_;  // The first error; sticky.
  bool finished_ = false;
  uint64_t offset_ = 0;  // Bytes appended so far.
  std::string block_;    // Raw pairs of the block being filled.
  uint32_t block_pairs_ = 0;
  std::string compressed_;
  std::string index_;
  std::string last_key_;
  uint64_t pair_count_ = 0;  // Pairs or entries written.
  uint64_t delete_count_ = 0;
  // A delta: a forward cursor over the base and where it stands.
  std::unique_ptr<SnapshotIterator> base_it_;
  std::string base_pos_;  // The last key looked up in the base.
  bool base_valid_ = false;
  std::string_view base_key_, base_value_;
  uint64_t raw_bytes_ = 0;
  uint32_t block_count_ = 0;
  // Of the state: a full snapshot's pairs, or a delta's base with the
  // entries applied.
  StateDigest digest_;
  size_t peak_buffered_ = 0;
};

}  // namespace wayback

#endif  // WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FILE_H_
