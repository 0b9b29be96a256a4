// Copyright 2026 The Wayback Authors.
//
// Named corruption scenarios. Each damages one reference object by byte
// surgery (re-encoding blocks and fixing checksums so that the check under
// test, not an outer checksum, is the one reached) and states the exact error
// code and a message substring the public readers must produce, and which
// object the message must name. Every scenario first runs its check on the
// intact input, which must pass with exactly the original records, pairs or
// state. Figures go to results/scenarios.json.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "src/snapshot/snapshot_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/recovery.h"
#include "wayback/state_target.h"

namespace wayback::reliability {
namespace {

namespace lf = ::wayback::log_format;
namespace sf = ::wayback::snapshot_format;

Results& Figures() {
  static Results* r = new Results("scenarios");
  return *r;
}
class ScenarioEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Figures().Write(); }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new ScenarioEnvironment);

// The reference objects every scenario starts from.
struct Refs {
  ReferenceLog log;         // Sealed segments + a live one.
  ReferenceSnapshot snap;   // A snapshot of 60 pairs in small blocks.
  Image repo;               // Closed log + a consistent snapshot at LSN 20.
  StateDigest repo_digest;  // The state after the whole log.
  std::string repo_snap, repo_last_seg, repo_first_seg;
  std::string S0() const { return log.sealed[0]; }
  std::string S1() const { return log.sealed[1]; }
  std::string L() const { return log.live; }
};

const Refs& R() {
  static const Refs* refs = [] {
    auto* r = new Refs;
    auto log = BuildReferenceLog({});
    if (!log.ok()) std::abort();
    r->log = *log;
    auto snap = BuildReferenceSnapshot(5, 60, 300);
    if (!snap.ok()) std::abort();
    r->snap = *snap;
    ReferenceOptions o;
    o.leave_live = false;
    o.transactions = 40;
    auto closed = BuildReferenceLog(o);
    if (!closed.ok()) std::abort();
    std::map<std::string, std::string> state, at20;
    for (const Rec& rec : closed->records) {
      for (const Mutation& m : rec.mutations) {
        if (m.type == MutationType::kPut) {
          state[m.key] = m.value;
        } else {
          state.erase(m.key);
        }
      }
      if (rec.lsn == 20) at20 = state;
    }
    for (const auto& [k, v] : state) r->repo_digest.Add(k, v);
    auto s = Materialize(closed->image);
    SnapshotWriterOptions so;
    so.lsn = 20;
    so.commit_time = closed->records[19].commit_time;
    so.block_size = 200;
    auto it = at20.begin();
    auto info = WriteSnapshot(s.get(), so,
                              [&](std::string_view* k, std::string_view* v) {
                                if (it == at20.end()) return false;
                                *k = it->first;
                                *v = it->second;
                                ++it;
                                return true;
                              });
    if (!info.ok()) std::abort();
    r->repo_snap = info->name;
    r->repo_first_seg = closed->sealed.front();
    r->repo_last_seg = closed->sealed.back();
    auto cap = Capture(s.get());
    if (!cap.ok()) std::abort();
    r->repo = *cap;
    return r;
  }();
  return *refs;
}

enum class Check {
  kLog,        // LogReader, torn tails allowed.
  kLogStrict,  // LogReader, torn tails not allowed.
  kSnapshot,   // SnapshotReader: Open, iterate, Verify.
  kCatalog,    // Catalog::Open: a problem naming the object.
  kRestore,    // Catalog + PlanRecovery(latest) + Restore into memory.
};
enum class Base { kLog, kSnapshot, kRepo };

struct Scenario {
  std::string name;
  Base base;
  Check check;
  std::function<std::string()> object;  // The object the error must name.
  std::function<void(Image*)> mutate;
  absl::StatusCode code;  // kUnknown: any error code.
  std::string substring;
};

// ---- Surgery helpers --------------------------------------------------------

void EditSegment(Image* img, const std::string& name,
                 const std::function<void(SegmentParts*)>& fn,
                 const std::function<void(SegmentInfo*)>& tweak = nullptr) {
  auto parts = SplitSegment(*img, name);
  if (!parts.ok()) {
    ADD_FAILURE() << parts.status();
    return;
  }
  fn(&*parts);
  (*img)[name] = JoinSegment(*parts, tweak);
}

void EditHeader(Image* img, const std::string& name,
                const std::function<void(std::string*)>& fn) {
  EditSegment(img, name, [&](SegmentParts* p) {
    fn(&p->header);
    FixSegmentHeaderCrc(&p->header);
  });
}

void EditBlock(Image* img, const std::string& name, size_t block,
               const std::function<void(std::string*)>& fn) {
  EditSegment(img, name, [&](SegmentParts* p) { fn(&p->blocks.at(block)); });
}

void EditRaw(Image* img, const std::string& name, size_t block,
             const std::function<void(BlockEdit*)>& fn) {
  EditBlock(img, name, block, [&](std::string* b) {
    BlockEdit e = DecodeBlockForEdit(*b);
    fn(&e);
    *b = EncodeBlockFromEdit(e);
  });
}

void EditLastBlock(Image* img, const std::string& name,
                   const std::function<void(std::string*)>& fn) {
  EditSegment(img, name, [&](SegmentParts* p) { fn(&p->blocks.back()); });
}

// A block holding one crafted record at the LSN and time of `b`'s first one.
void ReplaceWithOneRecord(std::string* b, const std::string& raw) {
  BlockEdit e = DecodeBlockForEdit(*b);
  e.record_count = 1;
  e.last_lsn = e.first_lsn;
  e.last_time = e.first_time;
  e.raw = raw;
  *b = EncodeBlockFromEdit(e);
}

std::string TxnRecordWithMutationBytes(const std::string& mutation_bytes,
                                       uint64_t declared_len, uint64_t count) {
  std::string r;
  r.push_back(static_cast<char>(RecordType::kTransaction));
  PutVarint64(&r, 0);  // LSN delta.
  PutVarint64(&r, 0);  // Time delta.
  r.push_back(0);      // Flags.
  PutVarint64(&r, count);
  PutVarint64(&r, declared_len);
  r += mutation_bytes;
  return r;
}

void FixSnapshotHeaderCrc(std::string* s) {
  EncodeFixed32(s->data() + 92, crc32c::Mask(crc32c::Value(s->data(), 92)));
}
void FixSnapshotFooterCrc(std::string* s) {
  char* f = s->data() + s->size() - sf::kFooterSize;
  EncodeFixed32(f + 92, crc32c::Mask(crc32c::Value(f, 92)));
}
// Rewrites a snapshot block header field and recomputes the block CRC.
void PatchSnapshotBlock(std::string* s, size_t field, uint32_t v) {
  char* b = s->data() + sf::kHeaderSize;  // Block 0.
  const uint32_t stored = DecodeFixed32(b + 4);
  std::string_view payload(b + sf::kBlockHeaderSize, stored);
  EncodeFixed32(b + field, v);
  uint32_t crc = crc32c::Value(b + 4, 12);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  EncodeFixed32(b, crc32c::Mask(crc));
}

std::vector<Scenario> AllScenarios() {
  using C = absl::StatusCode;
  const Refs& r = R();
  auto S0 = [] { return R().S0(); };
  auto S1 = [] { return R().S1(); };
  auto L = [] { return R().L(); };
  auto SN = [] { return R().snap.name; };
  std::vector<Scenario> v;
  auto add = [&](std::string name, Base base, Check check,
                 std::function<std::string()> obj,
                 std::function<void(Image*)> m, C code, std::string sub) {
    v.push_back({std::move(name), base, check, std::move(obj), std::move(m),
                 code, std::move(sub)});
  };
  (void)r;
  // --- Segment header.
  add(
      "SegmentBadMagic", Base::kLog, Check::kLog, S1,
      [](Image* i) { (*i)[R().S1()][0] ^= 1; }, C::kDataLoss, "magic");
  add(
      "SegmentHeaderChecksumMismatch", Base::kLog, Check::kLog, S1,
      [](Image* i) { (*i)[R().S1()][lf::kHdrFirstLsn] ^= 4; }, C::kDataLoss,
      "segment header checksum mismatch");
  add(
      "SegmentUnknownVersion", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(), [](std::string* h) {
          EncodeFixed32(h->data() + lf::kHdrVersion, 3);  // Reads 1 and 2.
        });
      },
      C::kDataLoss, "unsupported segment format version 3");
  add(
      "SegmentUnknownCodec", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(),
                   [](std::string* h) { (*h)[lf::kHdrCodec] = 9; });
      },
      C::kDataLoss, "unknown codec 9");
  add(
      "SegmentUnknownFlags", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(), [](std::string* h) {
          EncodeFixed32(h->data() + lf::kHdrFlags, 4);
        });
      },
      C::kDataLoss, "unknown segment flags 4");
  add(
      "SegmentEncryptedKeyId", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(), [](std::string* h) {
          EncodeFixed32(h->data() + lf::kHdrKeyId, 7);
        });
      },
      C::kDataLoss, "encrypted segments are not supported");
  add(
      "SegmentReservedHeaderBytes", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(),
                   [](std::string* h) { (*h)[lf::kHdrReserved + 3] = 1; });
      },
      C::kDataLoss, "reserved header bytes are not zero");
  add(
      "SegmentHeaderLsnContradictsName", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(), [](std::string* h) {
          EncodeFixed64(h->data() + lf::kHdrFirstLsn,
                        DecodeFixed64(h->data() + lf::kHdrFirstLsn) + 1);
        });
      },
      C::kDataLoss, "header says");
  add(
      "SegmentFromAnotherTimeline", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditHeader(i, R().S1(), [](std::string* h) {
          EncodeFixed32(h->data() + lf::kHdrTimeline, 2);
        });
      },
      C::kDataLoss, "timeline 2");
  add(
      "SwappedSegments", Base::kLog, Check::kLog, S0,
      [](Image* i) { std::swap((*i)[R().S0()], (*i)[R().S1()]); }, C::kDataLoss,
      "header says");
  add(
      "MissingMiddleSegment", Base::kLog, Check::kLog, S0,
      [](Image* i) { i->erase(R().S1()); }, C::kFailedPrecondition, "log hole");
  // --- Block headers (sealed segment S1; the footer index is rebuilt from
  // the block headers, so only the block header check can catch these).
  add(
      "BlockHeaderChecksumMismatch", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        (*i)[R().S1()][lf::kSegmentHeaderSize + lf::kBlkRecordCount] ^= 1;
      },
      C::kDataLoss, "block header checksum mismatch");
  for (auto [label, field, value] :
       std::vector<std::tuple<std::string, size_t, uint32_t>>{
           {"BlockStoredLength0", lf::kBlkStoredSize, 0u},
           {"BlockStoredLength2e31", lf::kBlkStoredSize, 1u << 31},
           {"BlockStoredLength2e32m1", lf::kBlkStoredSize, 0xffffffffu},
           {"BlockRawLength0", lf::kBlkRawSize, 0u},
           {"BlockRawLength2e31", lf::kBlkRawSize, 1u << 31},
           {"BlockRawLength2e32m1", lf::kBlkRawSize, 0xffffffffu},
           {"BlockRecordCount2e32m1", lf::kBlkRecordCount, 0xffffffffu},
       }) {
    const size_t f = field;
    const uint32_t val = value;
    add(
        label, Base::kLog, Check::kLog, S1,
        [f, val](Image* i) {
          EditBlock(i, R().S1(), 1,
                    [&](std::string* b) { PatchBlockHeader32(b, f, val); });
        },
        C::kDataLoss, "");
  }
  add(
      "BlockFirstLsn2e64m1", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          PatchBlockHeader64(b, lf::kBlkFirstLsn, ~uint64_t{0});
        });
      },
      C::kDataLoss, "");
  add(
      "BlockLongerThanBytesLeftInSealed", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          PatchBlockHeader32(
              b, lf::kBlkStoredSize,
              DecodeFixed32(b->data() + lf::kBlkStoredSize) + 100000);
        });
      },
      C::kDataLoss, "");
  add(
      "BlockLongerThanBytesLeftInLive", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditBlock(i, R().L(), 0, [](std::string* b) {
          PatchBlockHeader32(
              b, lf::kBlkStoredSize,
              DecodeFixed32(b->data() + lf::kBlkStoredSize) + 100000);
        });
      },
      C::kDataLoss, "extends past the end");
  add(
      "BlockUnknownCodec", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          (*b)[lf::kBlkCodec] = 9;
          PatchBlockHeader32(b, lf::kBlkStoredSize,
                             DecodeFixed32(b->data() + lf::kBlkStoredSize));
        });
      },
      C::kDataLoss, "unknown block codec 9");
  add(
      "BlockPayloadChecksumMismatch", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          (*b)[lf::kBlockHeaderSize + 3] ^= 0x10;
        });
      },
      C::kDataLoss, "block payload checksum mismatch");
  add(
      "DuplicateLsn", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditRaw(i, R().L(), 1, [](BlockEdit* e) {
          e->first_lsn -= 1;
          e->last_lsn -= 1;
        });
      },
      C::kDataLoss, "expected");
  add(
      "LsnGap", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditRaw(i, R().L(), 1, [](BlockEdit* e) {
          e->first_lsn += 1;
          e->last_lsn += 1;
        });
      },
      C::kDataLoss, "expected");
  add(
      "LsnBackwards", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditRaw(i, R().L(), 1, [](BlockEdit* e) {
          e->first_lsn -= 3;
          e->last_lsn -= 3;
        });
      },
      C::kDataLoss, "expected");
  add(
      "CommitTimeBackwards", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditRaw(i, R().L(), 1, [](BlockEdit* e) {
          e->first_time -= 1'000'000'000;
          e->last_time -= 1'000'000'000;
        });
      },
      C::kDataLoss, "precedes the previous record");
  add(
      "ZstdFrameDecodesToAnotherLength", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          BlockEdit e = DecodeBlockForEdit(*b);
          ASSERT_EQ(e.codec, 1);
          const uint32_t raw = e.raw_size;
          e.raw += "extra bytes";
          *b = EncodeBlockFromEdit(e);
          PatchBlockHeader32(b, lf::kBlkRawSize, raw);
        });
      },
      C::kDataLoss, "");
  add(
      "TruncatedZstdFrame", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditBlock(i, R().S1(), 1, [](std::string* b) {
          BlockEdit e = DecodeBlockForEdit(*b);
          ASSERT_EQ(e.codec, 1);
          std::string payload = b->substr(lf::kBlockHeaderSize);
          payload.resize(payload.size() - 4);
          b->resize(lf::kBlockHeaderSize);
          *b += payload;
          EncodeFixed32(b->data() + lf::kBlkPayloadCrc,
                        crc32c::Mask(crc32c::Value(payload)));
          PatchBlockHeader32(b, lf::kBlkStoredSize,
                             static_cast<uint32_t>(payload.size()));
        });
      },
      C::kDataLoss, "");
  // --- Records inside a block (payload re-encoded, every CRC valid).
  add(
      "UnknownRecordType", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditRaw(i, R().S1(), 1, [](BlockEdit* e) { e->raw[0] = 7; });
      },
      C::kDataLoss, "unknown record type 7");
  add(
      "RecordLsnNotDense", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditRaw(i, R().S1(), 1, [](BlockEdit* e) { e->raw[1] = 1; });
      },
      C::kDataLoss, "LSN is not dense");
  add(
      "BytesAfterTheLastRecord", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditRaw(i, R().L(), 1, [](BlockEdit* e) { e->raw += "junk"; });
      },
      C::kDataLoss, "bytes after the last record");
  add(
      "MutationLength2e64m1", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditLastBlock(i, R().L(), [](std::string* b) {
          ReplaceWithOneRecord(
              b, TxnRecordWithMutationBytes("\x01\x01k\x01v", ~uint64_t{0}, 1));
        });
      },
      C::kDataLoss, "mutations extend past the block");
  add(
      "KeyLength2e64m1", Base::kLog, Check::kLog, L,
      [](Image* i) {
        std::string m("\x01", 1);
        PutVarint64(&m, ~uint64_t{0});
        m += "kv";
        EditLastBlock(i, R().L(), [&](std::string* b) {
          ReplaceWithOneRecord(b, TxnRecordWithMutationBytes(m, m.size(), 1));
        });
      },
      C::kDataLoss, "bad key length");
  add(
      "KeyLength2e32m1", Base::kLog, Check::kLog, L,
      [](Image* i) {
        std::string m("\x01", 1);
        PutVarint64(&m, 0xffffffffu);
        m += "kv";
        EditLastBlock(i, R().L(), [&](std::string* b) {
          ReplaceWithOneRecord(b, TxnRecordWithMutationBytes(m, m.size(), 1));
        });
      },
      C::kDataLoss, "bad key length");
  add(
      "ValueLength2e31", Base::kLog, Check::kLog, L,
      [](Image* i) {
        std::string m("\x01\x01k", 3);
        PutVarint64(&m, 1u << 31);
        m += "v";
        EditLastBlock(i, R().L(), [&](std::string* b) {
          ReplaceWithOneRecord(b, TxnRecordWithMutationBytes(m, m.size(), 1));
        });
      },
      C::kDataLoss, "bad value length");
  add(
      "UnknownMutationType", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditLastBlock(i, R().L(), [](std::string* b) {
          ReplaceWithOneRecord(
              b, TxnRecordWithMutationBytes("\x09\x01k\x01v", 5, 1));
        });
      },
      C::kDataLoss, "bad type 9");
  add(
      "RestorePointNameLength0", Base::kLog, Check::kLog, L,
      [](Image* i) {
        EditLastBlock(i, R().L(), [](std::string* b) {
          ReplaceWithOneRecord(b, std::string("\x02\x00\x00\x00pad", 7));
        });
      },
      C::kDataLoss, "bad restore point name length");
  // --- Regions, truncation, trailing bytes.
  add(
      "ZeroFilledRegionInSealed", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        std::string& s = (*i)[R().S1()];
        std::fill(s.begin() + 200, s.begin() + 400, '\0');
      },
      C::kDataLoss, "");
  add(
      "ZeroFilledRegionMidLive", Base::kLog, Check::kLog, L,
      [](Image* i) {
        std::string& s = (*i)[R().L()];
        std::fill(s.begin() + lf::kSegmentHeaderSize + 10,
                  s.begin() + lf::kSegmentHeaderSize + 60, '\0');
      },
      C::kDataLoss, "");
  add(
      "SealedSegmentTruncated", Base::kLog, Check::kLog, S1,
      [](Image* i) { (*i)[R().S1()].pop_back(); }, C::kDataLoss, "");
  add(
      "SealedSegmentTrailingGarbage", Base::kLog, Check::kLog, S1,
      [](Image* i) { (*i)[R().S1()] += "garbage!"; }, C::kDataLoss, "");
  add(
      "LiveSegmentTrailingGarbageStrict", Base::kLog, Check::kLogStrict, L,
      [](Image* i) { (*i)[R().L()] += std::string(70, 'g'); }, C::kDataLoss,
      "torn tails are not allowed");
  add(
      "TornTailInOlderLiveSegment", Base::kLog, Check::kLog,
      [] {
        TimelineId t;
        Lsn first;
        bool sealed;
        ParseSegmentObjectName(R().S1(), &t, &first, &sealed);
        return SegmentObjectName(t, first, false);
      },
      [](Image* i) {
        // S1 published under its live name with its footer cut off: a live
        // segment that is not the newest may not have a torn tail.
        std::string data = (*i)[R().S1()];
        i->erase(R().S1());
        data.resize(data.size() - 30);
        TimelineId t;
        Lsn first;
        bool sealed;
        ParseSegmentObjectName(R().S1(), &t, &first, &sealed);
        (*i)[SegmentObjectName(t, first, false)] = data;
      },
      C::kDataLoss, "not the newest segment");
  // --- Footer.
  add(
      "FooterChecksumMismatch", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        std::string& s = (*i)[R().S1()];
        s[s.size() - lf::kTrailerSize - 20] ^= 1;
      },
      C::kDataLoss, "footer checksum mismatch");
  add(
      "FooterLength2e32m1", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        std::string& s = (*i)[R().S1()];
        EncodeFixed32(s.data() + s.size() - lf::kTrailerSize, 0xffffffffu);
      },
      C::kDataLoss, "bad footer length");
  add(
      "FooterLength0", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        std::string& s = (*i)[R().S1()];
        EncodeFixed32(s.data() + s.size() - lf::kTrailerSize, 0);
      },
      C::kDataLoss, "bad footer length");
  add(
      "FooterIndexEntryInconsistent", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditSegment(
            i, R().S1(), [](SegmentParts*) {},
            [](SegmentInfo* info) { info->blocks[1].offset += 1; });
      },
      C::kDataLoss, "");
  add(
      "FooterLastLsnWrong", Base::kLog, Check::kLog, S1,
      [](Image* i) {
        EditSegment(
            i, R().S1(), [](SegmentParts*) {},
            [](SegmentInfo* info) { info->last_lsn += 1; });
      },
      C::kDataLoss, "");
  // --- Snapshots.
  add(
      "SnapshotBadHeaderMagic", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { (*i)[R().snap.name][1] ^= 1; }, C::kDataLoss, "");
  add(
      "SnapshotBadFooterMagic", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { (*i)[R().snap.name].back() ^= 1; }, C::kDataLoss, "");
  add(
      "SnapshotUnknownVersion", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        std::string& s = (*i)[R().snap.name];
        EncodeFixed32(s.data() + 8, 3);  // 2 is valid since v2.
        FixSnapshotHeaderCrc(&s);
      },
      C::kDataLoss, "version");
  add(
      "SnapshotDigestMismatch", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        std::string& s = (*i)[R().snap.name];
        char* f = s.data() + s.size() - sf::kFooterSize;
        EncodeFixed64(f + 32, DecodeFixed64(f + 32) + 1);
        FixSnapshotFooterCrc(&s);
      },
      C::kDataLoss, "digest");
  add(
      "SnapshotFooterLsnMismatch", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        std::string& s = (*i)[R().snap.name];
        char* f = s.data() + s.size() - sf::kFooterSize;
        EncodeFixed64(f, DecodeFixed64(f) + 1);
        FixSnapshotFooterCrc(&s);
      },
      C::kDataLoss, "");
  add(
      "SnapshotRenamedToAnotherLsn", Base::kSnapshot, Check::kSnapshot,
      [] { return SnapshotObjectName(1, 8); },
      [](Image* i) {
        std::string data = (*i)[R().snap.name];
        i->erase(R().snap.name);
        (*i)[SnapshotObjectName(1, 8)] = data;
      },
      C::kDataLoss, "");
  add(
      "SnapshotPairCountMismatch", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        std::string& s = (*i)[R().snap.name];
        char* f = s.data() + s.size() - sf::kFooterSize;
        EncodeFixed64(f + 24, DecodeFixed64(f + 24) + 1);
        FixSnapshotFooterCrc(&s);
      },
      C::kDataLoss, "");
  add(
      "SnapshotBlockChecksumMismatch", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { (*i)[R().snap.name][sf::kHeaderSize + 20] ^= 1; },
      C::kDataLoss, "");
  add(
      "SnapshotBlockCompressedLength2e31", Base::kSnapshot, Check::kSnapshot,
      SN,
      [](Image* i) { PatchSnapshotBlock(&(*i)[R().snap.name], 4, 1u << 31); },
      C::kDataLoss, "");
  add(
      "SnapshotBlockRawLength2e32m1", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        PatchSnapshotBlock(&(*i)[R().snap.name], 8, 0xffffffffu);
      },
      C::kDataLoss, "");
  add(
      "SnapshotBlockRawLength0", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { PatchSnapshotBlock(&(*i)[R().snap.name], 8, 0); },
      C::kDataLoss, "");
  add(
      "SnapshotBlockPairCount0", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { PatchSnapshotBlock(&(*i)[R().snap.name], 12, 0); },
      C::kDataLoss, "");
  add(
      "SnapshotIndexChecksumMismatch", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) {
        std::string& s = (*i)[R().snap.name];
        s[s.size() - sf::kFooterSize - 3] ^= 1;
      },
      C::kDataLoss, "");
  add(
      "SnapshotTruncated", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { (*i)[R().snap.name].resize(150); }, C::kDataLoss, "");
  add(
      "SnapshotTrailingGarbage", Base::kSnapshot, Check::kSnapshot, SN,
      [](Image* i) { (*i)[R().snap.name] += "trailing"; }, C::kDataLoss, "");
  // --- Catalog.
  add(
      "StrayTemporaryObject", Base::kLog, Check::kCatalog,
      [] { return std::string("log/00000001-00000000000000ff.seg.tmp"); },
      [](Image* i) {
        (*i)["log/00000001-00000000000000ff.seg.tmp"] = "half-written";
      },
      C::kAborted, "stray temporary object");
  add(
      "CatalogDamagedSegment", Base::kLog, Check::kCatalog, S1,
      [](Image* i) { (*i)[R().S1()][0] ^= 1; }, C::kDataLoss, "magic");
  // --- Restore.
  add(
      "RestoreSnapshotDigestMismatch", Base::kRepo, Check::kRestore,
      [] { return R().repo_snap; },
      [](Image* i) {
        std::string& s = (*i)[R().repo_snap];
        char* f = s.data() + s.size() - sf::kFooterSize;
        EncodeFixed64(f + 32, DecodeFixed64(f + 32) + 1);
        FixSnapshotFooterCrc(&s);
      },
      C::kUnknown, "");
  add(
      "RestoreDamagedBlockInNeededSegment", Base::kRepo, Check::kRestore,
      [] { return R().repo_last_seg; },
      [](Image* i) {
        (*i)[R().repo_last_seg][lf::kSegmentHeaderSize + 70] ^= 1;
      },
      C::kDataLoss, "checksum mismatch");
  // The newest sealed segment damaged where the catalog reads it (its footer
  // index), so the catalog drops it: "latest" must not end silently before
  // it (this used to restore the log minus that segment, reporting success).
  add(
      "RestoreLatestWithDamagedNewestSegmentFails", Base::kRepo,
      Check::kRestore, [] { return R().repo_last_seg; },
      [](Image* i) {
        std::string& s = (*i)[R().repo_last_seg];
        s[s.size() - lf::kTrailerSize - 20] ^= 1;
      },
      C::kDataLoss, "damaged or unreadable");
  // The same segment's header damaged: the catalog cannot even place its
  // end, only its first LSN (from the name).
  add(
      "RestoreLatestWithUnreadableNewestSegmentHeaderFails", Base::kRepo,
      Check::kRestore, [] { return R().repo_last_seg; },
      [](Image* i) { (*i)[R().repo_last_seg][lf::kHdrFirstLsn] ^= 4; },
      C::kDataLoss, "segment header checksum mismatch");
  return v;
}

absl::Status RunCheck(const Scenario& sc, const Image& img) {
  auto s = Materialize(img);
  switch (sc.check) {
    case Check::kLog:
    case Check::kLogStrict: {
      LogReadout got = ReadLog(s.get(), sc.check == Check::kLog);
      if (!got.status.ok()) return got.status;
      if (got.records != R().log.records) {
        return absl::InternalError(
            absl::StrCat("no error but ", got.records.size(), " records of ",
                         R().log.records.size(), got.torn ? " (torn)" : ""));
      }
      return absl::OkStatus();
    }
    case Check::kSnapshot: {
      // The intact image of a renaming scenario holds the original name.
      const std::string name =
          img.count(sc.object()) ? sc.object() : R().snap.name;
      SnapshotReadout got = ReadSnapshot(s.get(), name);
      if (!got.status.ok()) return got.status;
      if (got.pairs != R().snap.pairs) {
        return absl::InternalError("no error but different pairs");
      }
      return absl::OkStatus();
    }
    case Check::kCatalog: {
      auto catalog = Catalog::Open(s.get());
      if (!catalog.ok()) return catalog.status();
      for (const CatalogProblem& p : (*catalog)->problems()) {
        if (p.object == sc.object()) {
          return absl::Status(p.code, p.object + ": " + p.message);
        }
      }
      return absl::OkStatus();
    }
    case Check::kRestore: {
      auto catalog = Catalog::Open(s.get());
      if (!catalog.ok()) return catalog.status();
      auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
      if (!plan.ok()) return plan.status();
      auto target = NewMemoryTarget();
      auto result = Restore(s.get(), *plan, target.get(), {});
      if (!result.ok()) return result.status();
      auto d = target->Digest();
      if (!d.ok()) return d.status();
      if (!(*d == R().repo_digest)) {
        return absl::InternalError("restore succeeded with a wrong state " +
                                   d->ToString());
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unreachable");
}

const Image& BaseImage(Base b) {
  switch (b) {
    case Base::kLog:
      return R().log.image;
    case Base::kSnapshot:
      return R().snap.image;
    case Base::kRepo:
      return R().repo;
  }
  std::abort();
}

class ScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(ScenarioTest, PassesIntactThenFailsExactly) {
  const Scenario& sc = GetParam();
  const Image& base = BaseImage(sc.base);
  Figures().Add("scenarios", 1);
  absl::Status intact = RunCheck(sc, base);
  ASSERT_TRUE(intact.ok()) << "intact input fails: " << intact;
  Figures().Add("intact_passed", 1);
  Image damaged = base;
  sc.mutate(&damaged);
  ASSERT_NE(damaged, base) << "the surgery changed nothing";
  absl::Status got = RunCheck(sc, damaged);
  ASSERT_FALSE(got.ok()) << "damage not detected";
  bool ok = true;
  if (sc.code != absl::StatusCode::kUnknown) {
    EXPECT_EQ(got.code(), sc.code) << got;
    ok &= got.code() == sc.code;
  } else {
    EXPECT_NE(got.code(), absl::StatusCode::kInternal) << got;
    ok &= got.code() != absl::StatusCode::kInternal;
  }
  const std::string msg(got.message());
  EXPECT_NE(msg.find(sc.substring), std::string::npos) << got;
  EXPECT_NE(msg.find(sc.object()), std::string::npos)
      << "the message does not name " << sc.object() << ": " << got;
  ok &= msg.find(sc.substring) != std::string::npos &&
        msg.find(sc.object()) != std::string::npos;
  Figures().Add(ok ? "detected_as_specified" : "not_as_specified", 1);
  std::printf("SCENARIO %s: %s\n", sc.name.c_str(), got.ToString().c_str());
}

INSTANTIATE_TEST_SUITE_P(Corruption, ScenarioTest,
                         ::testing::ValuesIn(AllScenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           return info.param.name;
                         });

TEST(ScenarioCount, AtLeastForty) { EXPECT_GE(AllScenarios().size(), 40u); }

// A path that is a directory where a segment file should be (the portable
// stand-in for an unreadable file: this suite may run as root, for whom
// chmod 000 changes nothing).
TEST(UnreadableObject, DirectoryWhereASegmentShouldBe) {
  wayback::testing::TempDir dir;
  auto local = OpenLocalStorage(dir.path(), true);
  ASSERT_TRUE(local.ok()) << local.status();
  for (const auto& [name, data] : R().log.image) {
    ASSERT_TRUE((*local)->WriteAll(name, data).ok()) << name;
  }
  LogReadout intact = ReadLog(local->get());
  ASSERT_TRUE(intact.status.ok()) << intact.status;
  ASSERT_EQ(intact.records, R().log.records);
  const std::string path = dir.path() + "/" + R().S1();
  ASSERT_TRUE(std::filesystem::remove(path));
  std::filesystem::create_directory(path);
  LogReadout got = ReadLog(local->get());
  // The listing does not show a directory, so the reader sees a hole where
  // S1 was: an error naming its neighbours.
  EXPECT_FALSE(got.status.ok());
  EXPECT_NE(std::string(got.status.message()).find(R().S0()), std::string::npos)
      << got.status;
  EXPECT_LT(got.records.size(), R().log.records.size());
  // Opened by name, the directory is an error naming it.
  auto info = ReadSegmentInfo(local->get(), R().S1());
  EXPECT_FALSE(info.ok());
  EXPECT_NE(std::string(info.status().message()).find(R().S1()),
            std::string::npos)
      << info.status();
  std::printf("SCENARIO DirectoryOpenedByName: %s\n",
              info.status().ToString().c_str());
  Figures().Add("unreadable_object_detected", got.status.ok() ? 0 : 1);
  std::printf("SCENARIO DirectoryWhereASegmentShouldBe: %s\n",
              got.status.ToString().c_str());
  if (::getuid() != 0) {
    // Not root: a file without read permission must be an error, too.
    std::filesystem::remove(path);
    std::ofstream(path) << R().log.image.at(R().S1());
    std::filesystem::permissions(path, std::filesystem::perms::none);
    LogReadout denied = ReadLog(local->get());
    EXPECT_FALSE(denied.status.ok());
  }
}

// The newest (live) segment replaced by a directory. Object names are
// '/'-separated and a directory is only a prefix, so to the storage the live
// segment is simply absent, which no reader can tell from a log whose newest
// segment has not been started yet: a known limitation (only a manifest or a
// marker written at seal time could reveal it). What must hold: the records
// returned are an exact prefix, and no error is invented.
TEST(UnreadableObject, DirectoryWhereTheLiveSegmentShouldBe) {
  wayback::testing::TempDir dir;
  auto local = OpenLocalStorage(dir.path(), true);
  ASSERT_TRUE(local.ok()) << local.status();
  for (const auto& [name, data] : R().log.image) {
    ASSERT_TRUE((*local)->WriteAll(name, data).ok()) << name;
  }
  const std::string path = dir.path() + "/" + R().L();
  ASSERT_TRUE(std::filesystem::remove(path));
  std::filesystem::create_directory(path);
  LogReadout got = ReadLog(local->get());
  std::printf(
      "SCENARIO DirectoryWhereTheLiveSegmentShouldBe: %s, %zu of %zu "
      "records\n",
      got.status.ToString().c_str(), got.records.size(),
      R().log.records.size());
  ASSERT_TRUE(got.status.ok()) << got.status;
  ASSERT_LE(got.records.size(), R().log.records.size());
  EXPECT_TRUE(std::equal(got.records.begin(), got.records.end(),
                         R().log.records.begin()));
  Figures().Set(
      "limitation_vanished_live_segment_records_lost",
      static_cast<int64_t>(R().log.records.size() - got.records.size()));
}

}  // namespace
}  // namespace wayback::reliability
