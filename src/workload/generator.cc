// Copyright 2026 The Wayback Authors.
//
// The clinical workload generator. Determinism matters more than realism:
// everything random comes from one std::mt19937_64 (whose output sequence the
// C++ standard fixes) through distributions written here, because the
// standard library's distributions may differ between implementations.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "src/workload/workload.h"

namespace wayback {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kHour = 3600 * kSecond;
constexpr int64_t kDay = 24 * kHour;

// Relative activity by hour of day (UTC), before normalisation: quiet nights,
// a morning ramp, busy wards from 08:00 to 18:00, a quieter evening.
constexpr double kHourProfile[24] = {
    0.15, 0.15, 0.15, 0.15, 0.15, 0.2, 0.5, 1.0, 1.8, 1.8, 1.8, 1.8,
    1.6,  1.8,  1.8,  1.8,  1.8,  1.8, 1.3, 1.0, 0.7, 0.5, 0.3, 0.2};

constexpr const char* kWords[] = {
    "patient",  "stable",    "reports",    "mild",     "pain",       "no",
    "acute",    "distress",  "afebrile",   "vitals",   "within",     "normal",
    "limits",   "continue",  "current",    "plan",     "follow",     "up",
    "in",       "clinic",    "tolerating", "diet",     "ambulating", "with",
    "assist",   "wound",     "clean",      "dry",      "intact",     "labs",
    "reviewed", "discussed", "family",     "at",       "bedside",    "awaiting",
    "imaging",  "consult",   "cardiology", "reassess", "morning",    "the"};

struct Observation {
  uint16_t encounter;
  uint16_t id;
};

struct Patient {
  uint32_t id = 0;
  uint16_t encounters = 0;        // Encounter ids 1..encounters exist.
  uint16_t next_observation = 1;  // Per patient, across encounters.
  uint16_t next_medication = 1;
  std::vector<Observation> observations;  // Live observations.
  std::vector<uint16_t> medications;      // Live medication orders.
};

}  // namespace

struct WorkloadGenerator::State {
  explicit State(const WorkloadOptions& o)
      : options(o), rng(o.seed), now(o.start_time) {
    double sum = 0;
    for (double h : kHourProfile) sum += h;
    profile_norm = 24.0 / sum;
    end = o.start_time + absl::ToInt64Nanoseconds(o.duration);
    next_batch = NextBatchAfter(o.start_time);
  }

  // --- Distributions (portable, see the top of the file). ---
  double Uniform() {  // [0, 1)
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng() % n; }
  bool Chance(double p) { return Uniform() < p; }
  // Rank in [1, n] with P(rank = k) ~ k^-s (continuous inverse CDF).
  uint64_t ZipfRank(uint64_t n) {
    double u = Uniform();
    double s = options.zipf_exponent;
    double x;
    if (std::abs(s - 1.0) < 1e-9) {
      x = std::exp(u * std::log(static_cast<double>(n) + 1.0));
    } else {
      double a = std::pow(static_cast<double>(n) + 1.0, 1.0 - s);
      x = std::pow((a - 1.0) * u + 1.0, 1.0 / (1.0 - s));
    }
    uint64_t k = static_cast<uint64_t>(x);
    return std::clamp<uint64_t>(k, 1, n);
  }

  // --- The simulated clock. ---
  CommitTime NextBatchAfter(CommitTime t) const {
    if (options.nightly_batch_hour < 0) return INT64_MAX;
    CommitTime day = t - ((t % kDay) + kDay) % kDay;
    CommitTime b = day + options.nightly_batch_hour * kHour;
    return b > t ? b : b + kDay;
  }
  double RateAt(CommitTime t) const {
    int64_t in_day = ((t % kDay) + kDay) % kDay;
    int hour = static_cast<int>(in_day / kHour);
    // 1970-01-01 was a Thursday: day index 2 and 3 (mod 7) are Sat and Sun.
    int64_t weekday = ((t / kDay) % 7 + 7) % 7;
    double weekend = (weekday == 2 || weekday == 3) ? 0.6 : 1.0;
    return options.rate * kHourProfile[hour] * profile_norm * weekend;
  }
  // Commit times are strictly increasing.
  CommitTime Tick(CommitTime t) {
    now = std::max(t, last_time + 1);
    last_time = now;
    return now;
  }

  // --- Values. ---
  std::string Time(CommitTime t) const {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixNanos(t),
                            absl::UTCTimeZone());
  }
  // A size with density proportional to s^-value_size_exponent between the
  // bounds (inverse CDF of the truncated power law; log-uniform at 1).
  size_t TargetSize() {
    double lo_size =
        static_cast<double>(std::max<size_t>(1, options.min_value_size));
    double hi_size = static_cast<double>(
        std::max(options.max_value_size, options.min_value_size));
    double a = options.value_size_exponent;
    if (std::abs(a - 1.0) < 1e-9) {
      double lo = std::log(lo_size);
      double hi = std::log(hi_size);
      return static_cast<size_t>(std::exp(lo + (hi - lo) * Uniform()));
    }
    double lo = std::pow(lo_size, 1.0 - a);
    double hi = std::pow(hi_size, 1.0 - a);
    return static_cast<size_t>(
        std::pow(lo + (hi - lo) * Uniform(), 1.0 / (1.0 - a)));
  }
  // Closes `json` (an object missing its last '}') with a "note" of words so
  // that the value has the target size (clamped to the bounds).
  std::string Finish(std::string json) {
    size_t target = std::clamp(TargetSize(), options.min_value_size,
                               options.max_value_size);
    json += ",\"note\":\"";
    const size_t min_len = json.size();
    while (json.size() + 2 < target) {  // 2: the closing "}
      json += kWords[Below(std::size(kWords))];
      json += ' ';
    }
    if (json.size() + 2 > target) {
      json.resize(std::max(min_len, target - 2));
    }
    json += "\"}";
    return json;
  }
  std::string PatientKey(const Patient& p) const {
    return absl::StrFormat("patient/%09u", p.id);
  }
  std::string PatientValue(const Patient& p, int version) {
    static constexpr const char* kSex[] = {"female", "male"};
    return Finish(absl::StrFormat(
        "{\"resourceType\":\"Patient\",\"id\":\"%09u\",\"version\":%d,"
        "\"birthDate\":\"%04d-%02d-%02d\",\"sex\":\"%s\",\"ward\":\"W%02d\","
        "\"updated\":\"%s\"",
        p.id, version, 1930 + static_cast<int>(Below(90)),
        1 + static_cast<int>(Below(12)), 1 + static_cast<int>(Below(28)),
        kSex[Below(2)], static_cast<int>(Below(40)), Time(now)));
  }
  std::string EncounterKey(const Patient& p, int e) const {
    return absl::StrFormat("patient/%09u/encounter/%04d", p.id, e);
  }
  std::string EncounterValue(const Patient& p, int e, const char* status) {
    static constexpr const char* kClass[] = {"inpatient", "outpatient",
                                             "emergency"};
    return Finish(absl::StrFormat(
        "{\"resourceType\":\"Encounter\",\"id\":\"%04d\",\"patient\":\"%09u\","
        "\"class\":\"%s\",\"status\":\"%s\",\"period\":\"%s\"",
        e, p.id, kClass[Below(3)], status, Time(now)));
  }
  std::string ObservationKey(const Patient& p, Observation o) const {
    return absl::StrFormat("patient/%09u/encounter/%04d/observation/%04d", p.id,
                           o.encounter, o.id);
  }
  std::string ObservationValue(const Patient& p, Observation o,
                               const char* status) {
    struct Code {
      const char* loinc;
      const char* display;
      const char* unit;
      int lo, hi;
    };
    static constexpr Code kCodes[] = {
        {"8867-4", "Heart rate", "/min", 45, 140},
        {"8310-5", "Body temperature", "Cel", 35, 41},
        {"8480-6", "Systolic BP", "mm[Hg]", 85, 190},
        {"2339-0", "Glucose", "mg/dL", 60, 300},
        {"59408-5", "SpO2", "%", 82, 100}};
    const Code& c = kCodes[Below(std::size(kCodes))];
    return Finish(absl::StrFormat(
        "{\"resourceType\":\"Observation\",\"id\":\"%04d\",\"patient\":"
        "\"%09u\",\"encounter\":\"%04d\",\"status\":\"%s\",\"code\":\"%s\","
        "\"display\":\"%s\",\"value\":%d,\"unit\":\"%s\",\"effective\":\"%s\"",
        o.id, p.id, o.encounter, status, c.loinc, c.display,
        c.lo + static_cast<int>(Below(c.hi - c.lo + 1)), c.unit, Time(now)));
  }
  std::string MedicationKey(const Patient& p, int m) const {
    return absl::StrFormat("patient/%09u/medication/%04d", p.id, m);
  }
  std::string MedicationValue(const Patient& p, int m, const char* status) {
    static constexpr const char* kDrugs[] = {
        "amoxicillin 500 mg", "metformin 850 mg", "heparin 5000 IU",
        "paracetamol 1 g",    "furosemide 40 mg", "insulin glargine 20 IU"};
    return Finish(absl::StrFormat(
        "{\"resourceType\":\"MedicationRequest\",\"id\":\"%04d\",\"patient\":"
        "\"%09u\",\"status\":\"%s\",\"medication\":\"%s\",\"frequency\":"
        "\"q%dh\",\"authored\":\"%s\"",
        m, p.id, status, kDrugs[Below(std::size(kDrugs))],
        4 * (1 + static_cast<int>(Below(6))), Time(now)));
  }

  // --- Transactions. ---
  Patient& Admit(Transaction* t) {
    Patient p;
    p.id = static_cast<uint32_t>(patients.size() + 1);
    p.encounters = 1;
    patients.push_back(p);
    Patient& q = patients.back();
    t->Put(PatientKey(q), PatientValue(q, 1));
    t->Put(EncounterKey(q, 1), EncounterValue(q, 1, "in-progress"));
    return q;
  }
  // Half of the activity follows a Zipf law over patients in admission order
  // (a stable hot set: long stays), half over recency (new admissions are
  // busy).
  Patient& PickPatient() {
    uint64_t n = patients.size();
    uint64_t rank = ZipfRank(n);
    return Chance(0.5) ? patients[rank - 1] : patients[n - rank];
  }
  void AddObservations(Patient& p, Transaction* t, int count) {
    if (p.encounters == 0) p.encounters = 1;
    for (int i = 0; i < count; ++i) {
      Observation o{p.encounters, p.next_observation++};
      p.observations.push_back(o);
      t->Put(ObservationKey(p, o), ObservationValue(p, o, "final"));
    }
  }
  void AddMedication(Patient& p, Transaction* t) {
    int m = p.next_medication++;
    p.medications.push_back(static_cast<uint16_t>(m));
    t->Put(MedicationKey(p, m), MedicationValue(p, m, "active"));
  }
  // Deletes an observation entered in error or a discontinued order. False if
  // the patient has neither.
  bool DeleteOne(Patient& p, Transaction* t) {
    bool obs = !p.observations.empty();
    bool med = !p.medications.empty();
    if (!obs && !med) return false;
    if (obs && (!med || Chance(0.6))) {
      size_t i = Below(p.observations.size());
      t->Delete(ObservationKey(p, p.observations[i]));
      p.observations.erase(p.observations.begin() + static_cast<long>(i));
    } else {
      size_t i = Below(p.medications.size());
      t->Delete(MedicationKey(p, p.medications[i]));
      p.medications.erase(p.medications.begin() + static_cast<long>(i));
    }
    return true;
  }
  void Update(Patient& p, Transaction* t) {
    double u = Uniform();
    if (u < 0.3) {
      t->Put(PatientKey(p), PatientValue(p, 2 + static_cast<int>(Below(20))));
    } else if (u < 0.6 || p.observations.empty()) {
      if (p.encounters == 0) p.encounters = 1;
      int e = 1 + static_cast<int>(Below(p.encounters));
      t->Put(EncounterKey(p, e),
             EncounterValue(p, e, Chance(0.5) ? "in-progress" : "finished"));
    } else {
      Observation o = p.observations[Below(p.observations.size())];
      t->Put(ObservationKey(p, o), ObservationValue(p, o, "amended"));
    }
  }
  Transaction Regular() {
    Transaction t;
    if (admitted < options.initial_patients || patients.empty()) {
      ++admitted;
      Admit(&t);
      return t;
    }
    double u = Uniform();
    if (u < options.delete_fraction) {
      // Look for a patient with something to delete; rarely, nobody has.
      for (int tries = 0; tries < 16; ++tries) {
        if (DeleteOne(PickPatient(), &t)) return t;
      }
      AddObservations(PickPatient(), &t, 1);
      return t;
    }
    if (options.in_place_update_fraction > 0 &&
        Chance(options.in_place_update_fraction)) {
      Update(PickPatient(), &t);
      return t;
    }
    u = (u - options.delete_fraction) / (1.0 - options.delete_fraction);
    if (u < 0.06) {
      Patient& p = Admit(&t);
      AddObservations(p, &t, 1 + static_cast<int>(Below(3)));
    } else if (u < 0.16) {
      Patient& p = PickPatient();
      if (p.encounters < 9999) ++p.encounters;
      t.Put(EncounterKey(p, p.encounters),
            EncounterValue(p, p.encounters, "in-progress"));
      t.Put(PatientKey(p), PatientValue(p, 2 + static_cast<int>(Below(20))));
    } else if (u < 0.55) {
      AddObservations(PickPatient(), &t, 1 + static_cast<int>(Below(4)));
    } else if (u < 0.72) {
      AddMedication(PickPatient(), &t);
    } else {
      Update(PickPatient(), &t);
    }
    return t;
  }
  // A nightly batch transaction: reconciles up to 8 medication orders of
  // several patients (updates), or files a lab import when there are none.
  // The same key may appear twice in one transaction; the later put wins.
  Transaction Batch() {
    Transaction t;
    int n = 1 + static_cast<int>(Below(8));
    for (int i = 0; i < n; ++i) {
      Patient& p = PickPatient();
      if (p.medications.empty()) {
        AddObservations(p, &t, 1);
      } else {
        int m = p.medications[Below(p.medications.size())];
        t.Put(MedicationKey(p, m), MedicationValue(p, m, "active"));
      }
    }
    return t;
  }

  WorkloadOptions options;
  std::mt19937_64 rng;
  CommitTime now;
  CommitTime last_time = INT64_MIN;
  CommitTime end;
  CommitTime next_batch;
  double profile_norm = 1;
  uint64_t admitted = 0;
  uint64_t transactions = 0;
  std::vector<Patient> patients;
  std::deque<WorkloadEvent> pending;
  bool done = false;
};

WorkloadGenerator::WorkloadGenerator(const WorkloadOptions& options)
    : state_(std::make_unique<State>(options)) {}
WorkloadGenerator::~WorkloadGenerator() = default;

const WorkloadOptions& WorkloadGenerator::options() const {
  return state_->options;
}

bool WorkloadGenerator::Next(WorkloadEvent* event) {
  State& s = *state_;
  if (s.pending.empty() && !s.done) {
    // The next regular arrival (a Poisson process whose rate follows the
    // hour of day), unless a nightly batch comes first.
    double rate = std::max(1e-9, s.RateAt(s.now));
    double gap_s = -std::log(1.0 - s.Uniform()) / rate;
    CommitTime arrival = s.now + static_cast<int64_t>(gap_s * 1e9);
    if (s.next_batch <= arrival && s.next_batch < s.end) {
      CommitTime b = s.next_batch;
      s.next_batch += kDay;
      WorkloadEvent rp;
      rp.kind = WorkloadEvent::Kind::kRestorePoint;
      rp.commit_time = s.Tick(b);
      rp.restore_point =
          absl::StrCat("before-nightly-batch-",
                       absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(b),
                                        absl::UTCTimeZone()));
      s.pending.push_back(std::move(rp));
      for (int i = 0; i < s.options.nightly_batch_transactions; ++i) {
        WorkloadEvent e;
        e.commit_time =
            s.Tick(b + int64_t{i + 1} * 20'000'000);  // 50 per second.
        e.txn = s.Batch();
        s.pending.push_back(std::move(e));
      }
    } else if (arrival < s.end) {
      WorkloadEvent e;
      e.commit_time = s.Tick(arrival);
      e.txn = s.Regular();
      s.pending.push_back(std::move(e));
    } else {
      s.done = true;
    }
  }
  if (s.pending.empty()) return false;
  WorkloadEvent& e = s.pending.front();
  if (e.kind == WorkloadEvent::Kind::kTransaction) {
    if (s.options.max_transactions != 0 &&
        s.transactions >= s.options.max_transactions) {
      s.pending.clear();
      s.done = true;
      return false;
    }
    ++s.transactions;
    e.txn.txid = s.transactions;
    e.txn.commit_time = e.commit_time;
  }
  *event = std::move(e);
  s.pending.pop_front();
  return true;
}

}  // namespace wayback
