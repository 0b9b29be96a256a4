// Copyright 2026 The Wayback Authors.

#include "tests/reliability/reliability_util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "src/log/segment.h"
#include "src/log/segment_format.h"
#include "src/storage/repository_format.h"
#include "src/util/coding.h"
#include "src/util/compression.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/clock.h"
#include "wayback/repository_identity.h"
#include "wayback/status.h"

#ifndef WAYBACK_DEFAULT_RESULTS_DIR
#define WAYBACK_DEFAULT_RESULTS_DIR "results"
#endif

namespace wayback::reliability {

namespace lf = ::wayback::log_format;

bool FullMode() {
  const char* f = std::getenv("WAYBACK_FULL");
  return f != nullptr && std::string(f) == "1";
}

int64_t EnvInt(const char* name, int64_t def) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return def;
  return std::strtoll(v, nullptr, 10);
}

std::string ResultsDir() {
  const char* d = std::getenv("WAYBACK_RESULTS_DIR");
  std::string dir =
      (d != nullptr && *d != '\0') ? d : WAYBACK_DEFAULT_RESULTS_DIR;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return dir;
}

void Results::Set(const std::string& key, int64_t value) {
  ints_[key] = value;
  Set(key, std::to_string(value));
}

void Results::Set(const std::string& key, const std::string& value) {
  for (auto& [k, v] : fields_) {
    if (k == key) {
      v = value;
      return;
    }
  }
  fields_.emplace_back(key, value);
}

void Results::Add(const std::string& key, int64_t delta) {
  Set(key, Get(key) + delta);
}

int64_t Results::Get(const std::string& key) const {
  auto it = ints_.find(key);
  return it == ints_.end() ? 0 : it->second;
}

std::string Results::Write() const {
  // Numbers go out bare, strings quoted (they never hold quotes: keys and
  // values are ours).
  std::string json = "{\n  \"family\": \"" + family_ +
                     "\",\n  \"full\": " + (FullMode() ? "true" : "false");
  std::string line = "RESULT " + family_;
  for (const auto& [k, v] : fields_) {
    const bool num = ints_.count(k) > 0;
    json += ",\n  \"" + k + "\": " + (num ? v : "\"" + v + "\"");
    line += " " + k + "=" + v;
  }
  json += "\n}\n";
  const std::string path = ResultsDir() + "/" + family_ + ".json";
  std::ofstream(path) << json;
  std::printf("%s -> %s\n", line.c_str(), path.c_str());
  std::fflush(stdout);
  return path;
}

// ---------------------------------------------------------------------------

absl::StatusOr<Image> Capture(Storage* storage) {
  Image image;
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, storage->List(""));
  for (const ObjectInfo& o : objects) {
    absl::StatusOr<std::string> data = storage->ReadAll(o.name);
    if (!data.ok()) return data.status();
    image[o.name] = *std::move(data);
  }
  return image;
}

std::unique_ptr<Storage> Materialize(const Image& image) {
  std::unique_ptr<Storage> s = NewMemoryStorage();
  for (const auto& [name, data] : image) {
    absl::Status st = s->WriteAll(name, data);
    if (!st.ok()) {
      std::fprintf(stderr, "Materialize %s: %s\n", name.c_str(),
                   st.ToString().c_str());
      std::abort();
    }
  }
  return s;
}

Rec Own(const LogRecord& r) {
  Rec o;
  o.type = r.type;
  o.lsn = r.lsn;
  o.commit_time = r.commit_time;
  o.txid = r.txid;
  o.name = std::string(r.restore_point_name);
  if (r.type == RecordType::kTransaction)
    o.mutations = r.ToTransaction().mutations;
  return o;
}

Transaction MakeTxn(uint64_t seed, uint64_t index) {
  std::mt19937_64 rng(seed * 1000003u + index * 7919u + 1);
  Transaction t;
  if (rng() % 2) t.txid = rng() % 1000000;
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    std::string key(rng() % 10, '\0');
    for (char& c : key) c = static_cast<char>(rng());
    if (rng() % 5 == 0) {
      t.Delete(key);
    } else {
      std::string v(rng() % 4 == 0 ? 0 : rng() % 120, '\0');
      const bool random = rng() % 2;
      for (char& c : v) c = random ? static_cast<char>(rng()) : 'v';
      t.Put(key, v);
    }
  }
  return t;
}

Transaction Tagged(uint64_t seed, int who, int seq) {
  Transaction t = MakeTxn(seed + who * 7777, seq);
  t.mutations.insert(
      t.mutations.begin(),
      Mutation{MutationType::kPut, absl::StrCat("tag/", who, "/", seq), "v"});
  return t;
}

uint64_t TxnHash(const Transaction& txn) {
  // FNV-1a over an unambiguous encoding.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view s) {
    for (char c : s) {
      h ^= static_cast<uint8_t>(c);
      h *= 1099511628211ull;
    }
    h ^= s.size();
    h *= 1099511628211ull;
  };
  mix(txn.txid ? std::to_string(*txn.txid) : "-");
  for (const Mutation& m : txn.mutations) {
    mix(std::string(1, static_cast<char>(m.type)));
    mix(m.key);
    mix(m.value);
  }
  return h;
}

absl::StatusOr<ReferenceLog> BuildReferenceLog(const ReferenceOptions& o) {
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  ManualClock clock(1'700'000'000'000'000'000);
  LogWriterOptions wo;
  wo.durability = Durability::kBuffered;
  wo.timeline = o.timeline;
  wo.block_size = o.block_size;
  wo.segment_max_bytes = o.segment_max_bytes;
  wo.segment_max_age = absl::Hours(1000);
  wo.clock = &clock;
  wo.format_version = o.format_version;
  if (o.format_version == log_format::kFormatVersion2) {
    RepositoryIdentity id;
    id.id = "00112233445566778899aabbccddeeff";
    WAYBACK_RETURN_IF_ERROR(
        storage->WriteAll(kIdentityObjectName, repository_format::Encode(id)));
  }
  ReferenceLog ref;
  {
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<LogWriter> w,
                             LogWriter::Open(storage.get(), wo));
    for (int i = 0; i < o.transactions; ++i) {
      clock.Advance(1000 + (i % 3) * 10);
      Rec r;
      if (i % 17 == 16) {
        r.type = RecordType::kRestorePoint;
        r.name = absl::StrCat("rp-", i);
        WAYBACK_ASSIGN_OR_RETURN(r.lsn, w->AppendRestorePoint(r.name));
      } else {
        Transaction t = MakeTxn(o.seed, i);
        if (o.format_version == log_format::kFormatVersion2 && i % 4 != 1) {
          t.source_position = 1000 + 3 * static_cast<uint64_t>(i);
        }
        r.txid = t.txid;
        r.mutations = t.mutations;
        WAYBACK_ASSIGN_OR_RETURN(r.lsn, w->Append(t));
      }
      r.commit_time = clock.NowNanos();
      ref.records.push_back(std::move(r));
    }
    WAYBACK_RETURN_IF_ERROR(w->Sync());
    if (o.leave_live) {
      // Capture before Close() seals the live segment.
      WAYBACK_ASSIGN_OR_RETURN(ref.image, Capture(storage.get()));
    } else {
      WAYBACK_RETURN_IF_ERROR(w->Close());
    }
  }
  if (!o.leave_live) {
    WAYBACK_ASSIGN_OR_RETURN(ref.image, Capture(storage.get()));
  }
  for (const auto& [name, data] : ref.image) {
    TimelineId t;
    Lsn first;
    bool sealed;
    if (!ParseSegmentObjectName(name, &t, &first, &sealed)) continue;
    if (sealed) {
      ref.sealed.push_back(name);
    } else {
      ref.live = name;
    }
  }
  // The image is sorted by name, and names sort in LSN order.
  return ref;
}

LogReadout ReadLog(Storage* storage, bool allow_torn_tail,
                   TimelineId timeline) {
  LogReadout out;
  LogReaderOptions ro;
  ro.timeline = timeline;
  ro.allow_torn_tail = allow_torn_tail;
  absl::StatusOr<std::unique_ptr<LogReader>> r = LogReader::Open(storage, ro);
  if (!r.ok()) {
    out.status = r.status();
    return out;
  }
  while (true) {
    absl::StatusOr<const LogRecord*> rec = (*r)->Next();
    if (!rec.ok()) {
      out.status = rec.status();
      return out;
    }
    if (*rec == nullptr) break;
    out.records.push_back(Own(**rec));
  }
  out.torn = (*r)->torn_tail();
  return out;
}

absl::StatusOr<ReferenceSnapshot> BuildReferenceSnapshot(uint64_t seed,
                                                         int pairs,
                                                         size_t block_size,
                                                         Lsn lsn) {
  ReferenceSnapshot ref;
  std::mt19937_64 rng(seed);
  std::map<std::string, std::string> kv;
  while (static_cast<int>(kv.size()) < pairs) {
    std::string key = absl::StrCat("patient/", rng() % 100000, "/obs");
    std::string value(rng() % 60, 'x');
    for (char& c : value) c = static_cast<char>('a' + rng() % 26);
    kv[key] = value;
  }
  ref.pairs.assign(kv.begin(), kv.end());
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  SnapshotWriterOptions so;
  so.lsn = lsn;
  so.commit_time = 1'700'000'000'000'000'000;
  so.block_size = block_size;
  size_t i = 0;
  WAYBACK_ASSIGN_OR_RETURN(
      ref.info, WriteSnapshot(storage.get(), so,
                              [&](std::string_view* k, std::string_view* v) {
                                if (i == ref.pairs.size()) return false;
                                *k = ref.pairs[i].first;
                                *v = ref.pairs[i].second;
                                ++i;
                                return true;
                              }));
  ref.name = ref.info.name;
  WAYBACK_ASSIGN_OR_RETURN(ref.image, Capture(storage.get()));
  return ref;
}

SnapshotReadout ReadSnapshot(Storage* storage, const std::string& name) {
  SnapshotReadout out;
  absl::StatusOr<std::unique_ptr<SnapshotReader>> r =
      SnapshotReader::Open(storage, name);
  if (!r.ok()) {
    out.status = r.status();
    return out;
  }
  std::unique_ptr<SnapshotIterator> it = (*r)->NewIterator();
  std::string_view k, v;
  while (it->Next(&k, &v))
    out.pairs.emplace_back(std::string(k), std::string(v));
  out.status = it->status();
  if (out.status.ok()) out.status = (*r)->Verify();
  return out;
}

bool NamesObjectAndOffset(const absl::Status& s, const std::string& object) {
  const std::string m(s.message());
  return m.find(object) != std::string::npos &&
         m.find(" at offset ") != std::string::npos;
}

bool NamesLsn(const absl::Status& s) {
  const std::string m(s.message());
  return m.find("(lsn ") != std::string::npos ||
         m.find("LSN ") != std::string::npos;
}

// ---------------------------------------------------------------------------

absl::StatusOr<SegmentParts> SplitSegment(const Image& image,
                                          const std::string& name) {
  auto it = image.find(name);
  if (it == image.end()) return absl::NotFoundError(name);
  std::unique_ptr<Storage> s = Materialize(image);
  SegmentParts parts;
  WAYBACK_ASSIGN_OR_RETURN(parts.info, ReadSegmentInfo(s.get(), name));
  parts.sealed = parts.info.sealed;
  const std::string& data = it->second;
  parts.header = data.substr(0, lf::kSegmentHeaderSize);
  for (const BlockInfo& b : parts.info.blocks) {
    parts.blocks.push_back(data.substr(b.offset, b.stored_size));
  }
  return parts;
}

std::string JoinSegment(const SegmentParts& parts,
                        const std::function<void(SegmentInfo*)>& tweak_footer) {
  std::string out = parts.header;
  SegmentInfo info = parts.info;
  info.blocks.clear();
  for (const std::string& b : parts.blocks) {
    BlockInfo bi;
    bi.offset = out.size();
    bi.stored_size = static_cast<uint32_t>(b.size());
    if (b.size() >= lf::kBlockHeaderSize) {
      const char* p = b.data();
      bi.raw_size = DecodeFixed32(p + lf::kBlkRawSize);
      bi.record_count = DecodeFixed32(p + lf::kBlkRecordCount);
      bi.first_lsn = DecodeFixed64(p + lf::kBlkFirstLsn);
      bi.last_lsn = DecodeFixed64(p + lf::kBlkLastLsn);
      bi.first_commit_time =
          static_cast<CommitTime>(DecodeFixed64(p + lf::kBlkFirstTime));
      bi.last_commit_time =
          static_cast<CommitTime>(DecodeFixed64(p + lf::kBlkLastTime));
    }
    info.blocks.push_back(bi);
    out += b;
  }
  if (parts.sealed && !info.blocks.empty()) {
    info.last_lsn = info.blocks.back().last_lsn;
    info.first_commit_time = info.blocks.front().first_commit_time;
    info.last_commit_time = info.blocks.back().last_commit_time;
    if (tweak_footer) tweak_footer(&info);
    lf::EncodeFooter(info, &out);
  }
  return out;
}

BlockEdit DecodeBlockForEdit(const std::string& block) {
  BlockEdit e;
  const char* p = block.data();
  e.stored_size = DecodeFixed32(p + lf::kBlkStoredSize);
  e.raw_size = DecodeFixed32(p + lf::kBlkRawSize);
  e.record_count = DecodeFixed32(p + lf::kBlkRecordCount);
  e.first_lsn = DecodeFixed64(p + lf::kBlkFirstLsn);
  e.last_lsn = DecodeFixed64(p + lf::kBlkLastLsn);
  e.first_time = static_cast<CommitTime>(DecodeFixed64(p + lf::kBlkFirstTime));
  e.last_time = static_cast<CommitTime>(DecodeFixed64(p + lf::kBlkLastTime));
  e.codec = static_cast<uint8_t>(p[lf::kBlkCodec]);
  std::string_view payload(block.data() + lf::kBlockHeaderSize,
                           block.size() - lf::kBlockHeaderSize);
  if (e.codec == static_cast<uint8_t>(lf::Codec::kNone)) {
    e.raw = std::string(payload);
  } else {
    e.raw.resize(e.raw_size);
    ZstdDecompressor d;
    absl::Status s = d.Decompress(payload, e.raw.data(), e.raw_size);
    if (!s.ok()) {
      std::fprintf(stderr, "DecodeBlockForEdit: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
  return e;
}

std::string EncodeBlockFromEdit(const BlockEdit& e, bool keep_sizes) {
  std::string payload;
  if (e.codec == static_cast<uint8_t>(lf::Codec::kNone)) {
    payload = e.raw;
  } else {
    ZstdCompressor c(3);
    absl::Status s = c.Compress(e.raw, &payload);
    if (!s.ok()) std::abort();
  }
  lf::BlockHeader h;
  h.stored_size =
      keep_sizes ? e.stored_size : static_cast<uint32_t>(payload.size());
  h.raw_size = keep_sizes ? e.raw_size : static_cast<uint32_t>(e.raw.size());
  h.record_count = e.record_count;
  h.first_lsn = e.first_lsn;
  h.last_lsn = e.last_lsn;
  h.first_commit_time = e.first_time;
  h.last_commit_time = e.last_time;
  h.payload_crc = crc32c::Mask(crc32c::Value(payload));
  h.codec = static_cast<lf::Codec>(e.codec);
  std::string out(lf::kBlockHeaderSize, '\0');
  lf::EncodeBlockHeader(h, out.data());
  return out + payload;
}

namespace {
void FixBlockHeaderCrc(std::string* block) {
  EncodeFixed32(
      block->data() + lf::kBlkHeaderCrc,
      crc32c::Mask(crc32c::Value(block->data() + 4, lf::kBlockHeaderSize - 4)));
}
}  // namespace

void PatchBlockHeader32(std::string* block, size_t field_offset, uint32_t v) {
  EncodeFixed32(block->data() + field_offset, v);
  FixBlockHeaderCrc(block);
}

void PatchBlockHeader64(std::string* block, size_t field_offset, uint64_t v) {
  EncodeFixed64(block->data() + field_offset, v);
  FixBlockHeaderCrc(block);
}

void FixSegmentHeaderCrc(std::string* header) {
  EncodeFixed32(header->data() + lf::kHdrCrc,
                crc32c::Mask(crc32c::Value(header->data(), lf::kHdrCrc)));
}

}  // namespace wayback::reliability
