// ZeRO-1's sharded checkpoints (trainer/checkpoint/checkpoint_shards.h): every rank's shard plus a
// manifest written last; a resume at another rank count reads the slices it needs from
// the shards that hold them; a damaged, truncated, missing or foreign shard, or a save
// killed before its manifest, falls back to the previous checkpoint.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "trainer/checkpoint/checkpoint.h"

namespace {

namespace fs = std::filesystem;
using namespace trn::native;

CheckpointIdentity identity() {
  ModelShape s;
  s.vocab_size = 16, s.hidden_size = 16, s.intermediate_size = 24, s.num_layers = 1;
  s.num_heads = 4, s.num_kv_heads = 2, s.seq_length = 8;
  return CheckpointIdentity::of(s);
}

TrainState state_for(const CheckpointIdentity& id, int step, float base) {
  TrainState s{step, std::vector<float>(id.parameters), std::vector<float>(id.parameters),
               std::vector<float>(id.parameters), 8LL * step};
  for (size_t i = 0; i < id.parameters; ++i) s.params[i] = base + i, s.m[i] = -base - i, s.v[i] = base + 2 * i;
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ShardedCheckpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trn-shards-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    if (locked_.lock) locked_ = {};  // released before its folder goes
    fs::remove_all(dir_);
    fs::remove_all(dir() + "-experiment");
  }
  std::string dir() const { return dir_.string(); }
  // The experiment lock that prepare_checkpoint_dir takes as proof (in a folder of its own).
  const ExperimentLock& held() {
    if (!locked_.lock) locked_ = lock_experiment(dir() + "-experiment");
    EXPECT_TRUE(locked_.problems.empty()) << locked_.problems.at(0).str();
    return *locked_.lock;
  }
  LockedExperiment locked_;
  // What the ranks of a ZeRO-1 run do at a save: each its shard, then rank 0 the manifest.
  void save(const TrainState& st, int ranks, long long keep = 2, bool manifest = true) {
    std::vector<ShardRecord> records(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      const Shard s = shard_of(id_.parameters, ranks, r);
      ASSERT_EQ(save_shard(dir(), st.step, r, ranks, s, st.params.data(), st.m.data() + s.begin,
                           st.v.data() + s.begin, &records[static_cast<size_t>(r)]),
                "");
    }
    if (manifest) {
      ASSERT_EQ(save_manifest(dir(), id_, st.step, st.consumed_samples, records, keep), "");
    }
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  CheckpointIdentity id_ = identity();
  fs::path dir_;
};

TEST_F(ShardedCheckpoints, EveryRankCountReadsBackItsSliceOfTheSameState) {
  const TrainState saved = state_for(id_, 5, 1);
  save(saved, 4);
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-5.bin", "checkpoint-5.shard-0-of-4.bin",
                                               "checkpoint-5.shard-1-of-4.bin", "checkpoint-5.shard-2-of-4.bin",
                                               "checkpoint-5.shard-3-of-4.bin"}));
  const std::string manifest = dir() + "/checkpoint-5.bin";
  for (int world : {1, 2, 3, 4, 7}) {
    for (int rank = 0; rank < world; ++rank) {
      const Shard slice = shard_of(id_.parameters, world, rank);
      TrainState got;
      trn::Problem problem;
      ASSERT_TRUE(read_checkpoint(manifest, id_, rank == 0, slice, &got, &problem)) << problem.str();
      EXPECT_EQ(got.step, 5);
      EXPECT_EQ(got.consumed_samples, 40);
      EXPECT_EQ(got.params, rank == 0 ? saved.params : std::vector<float>()) << world;
      EXPECT_EQ(got.m, std::vector<float>(saved.m.begin() + slice.begin, saved.m.begin() + slice.begin + slice.size));
      EXPECT_EQ(got.v, std::vector<float>(saved.v.begin() + slice.begin, saved.v.begin() + slice.begin + slice.size));
    }
  }
  // A single file (format 2) cut to a slice the same way.
  fs::remove_all(dir_);
  ASSERT_EQ(save_checkpoint(dir(), id_, saved, 2), "");
  TrainState got;
  trn::Problem problem;
  const Shard slice = shard_of(id_.parameters, 3, 1);
  ASSERT_TRUE(read_checkpoint(manifest, id_, false, slice, &got, &problem)) << problem.str();
  EXPECT_TRUE(got.params.empty());
  EXPECT_EQ(got.m, std::vector<float>(saved.m.begin() + slice.begin, saved.m.begin() + slice.begin + slice.size));
}

TEST_F(ShardedCheckpoints, ARankOpensOnlyTheShardsThatHoldItsSlice) {
  save(state_for(id_, 5, 1), 4);
  fs::remove(dir_ / "checkpoint-5.shard-3-of-4.bin");
  TrainState got;
  trn::Problem problem;
  const std::string manifest = dir() + "/checkpoint-5.bin";
  EXPECT_TRUE(read_checkpoint(manifest, id_, false, shard_of(id_.parameters, 2, 0), &got, &problem))
      << problem.str();
  EXPECT_FALSE(read_checkpoint(manifest, id_, false, shard_of(id_.parameters, 2, 1), &got, &problem));
  EXPECT_EQ(problem.key, dir() + "/checkpoint-5.shard-3-of-4.bin");
  EXPECT_NE(problem.fix.find("missing"), std::string::npos) << problem.str();
}

TEST_F(ShardedCheckpoints, ATruncatedDamagedOrForeignShardFallsBackToThePreviousCheckpoint) {
  const auto damage = [&](const char* how) {
    fs::remove_all(dir_);
    save(state_for(id_, 5, 1), 4);
    save(state_for(id_, 9, 2), 4);
    const fs::path shard = dir_ / "checkpoint-9.shard-2-of-4.bin";
    if (std::string(how) == "truncated") fs::resize_file(shard, fs::file_size(shard) - 4);
    if (std::string(how) == "flipped") {
      std::string bytes = slurp(shard);
      bytes[bytes.size() - 5] ^= 1;
      std::ofstream(shard, std::ios::binary) << bytes;
    }
    if (std::string(how) == "foreign") fs::copy_file(dir_ / "checkpoint-5.shard-2-of-4.bin", shard,
                                                     fs::copy_options::overwrite_existing);
    TrainState got = state_for(id_, 0, 0);
    const ResumeResult r = resume_checkpoint(dir(), id_, &got);
    EXPECT_EQ(r.kind, ResumeResult::kLoaded) << how;
    EXPECT_EQ(r.path, dir() + "/checkpoint-5.bin") << how;
    EXPECT_EQ(got.params, state_for(id_, 5, 1).params) << how;
    EXPECT_TRUE(fs::exists(dir_ / "checkpoint-9.bin.refused")) << how;  // the manifest set aside, not the shard
    EXPECT_TRUE(fs::exists(shard)) << how;
    return r.refused.size() == 1 ? r.refused[0] : trn::Problem{};
  };
  trn::Problem p = damage("truncated");
  EXPECT_EQ(p.key, dir() + "/checkpoint-9.shard-2-of-4.bin");
  EXPECT_NE(p.fix.find("truncated"), std::string::npos) << p.str();
  EXPECT_EQ(damage("flipped").value, "(checksum mismatch)");
  p = damage("foreign");
  EXPECT_EQ(p.value, "(header not the one the manifest names)") << p.str();
  // The shards of the refused checkpoint stay beside it for inspection.
  std::vector<std::string> removed;
  ASSERT_TRUE(prepare_checkpoint_dir(dir(), held(), 1000, &removed, &p)) << p.str();
  EXPECT_TRUE(removed.empty());
}

TEST_F(ShardedCheckpoints, ASaveKilledBeforeItsManifestLeavesThePreviousOneAndItsShardsAreRemoved) {
  save(state_for(id_, 5, 1), 4);
  save(state_for(id_, 10, 2), 4, 2, /*manifest=*/false);
  TrainState got = state_for(id_, 0, 0);
  const ResumeResult r = resume_checkpoint(dir(), id_, &got);
  ASSERT_EQ(r.kind, ResumeResult::kLoaded);
  EXPECT_TRUE(r.refused.empty());
  EXPECT_EQ(got.step, 5);
  std::vector<std::string> removed;
  trn::Problem problem;
  ASSERT_TRUE(prepare_checkpoint_dir(dir(), held(), 1000, &removed, &problem)) << problem.str();
  EXPECT_EQ(removed.size(), 4u);
  EXPECT_EQ(names().size(), 5u);  // step 5's manifest and shards
  for (const std::string& name : names()) EXPECT_EQ(name.rfind("checkpoint-5.", 0), 0u) << name;
}

TEST_F(ShardedCheckpoints, SaveTopKPrunesManifestsWithTheirShardsAndSingleFilesAlike) {
  save(state_for(id_, 5, 1), 4);
  ASSERT_EQ(save_checkpoint(dir(), id_, state_for(id_, 10, 1), 2), "");  // a plain run went on from it
  save(state_for(id_, 15, 1), 2);
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-10.bin", "checkpoint-15.bin",
                                               "checkpoint-15.shard-0-of-2.bin", "checkpoint-15.shard-1-of-2.bin"}));
}

TEST_F(ShardedCheckpoints, AManifestIsPublishedOnlyWhenEveryShardIsThere) {
  std::vector<ShardRecord> records(2);
  const TrainState st = state_for(id_, 5, 1);
  const Shard s = shard_of(id_.parameters, 2, 0);
  ASSERT_EQ(save_shard(dir(), 5, 0, 2, s, st.params.data(), st.m.data(), st.v.data(), &records[0]), "");
  records[1] = records[0];
  records[1].range = shard_of(id_.parameters, 2, 1);
  const std::string err = save_manifest(dir(), id_, 5, 40, records, 2);
  EXPECT_NE(err.find("checkpoint-5.shard-1-of-2.bin (written by rank 1) is not here"), std::string::npos) << err;
  EXPECT_NE(err.find("on a filesystem all nodes share"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "checkpoint-5.bin"));
}

TEST(CheckpointManifest, ReadsWhatIsWrittenAndRefusesEveryTruncationAndDamage) {
  Manifest m;
  m.header.step = 40, m.header.identity = identity(), m.header.consumed_samples = 320;
  for (int r = 0; r < 3; ++r)
    m.shards.push_back({shard_of(m.header.identity.parameters, 3, r), {std::string(64, 'a'), std::string(64, 'b'),
                                                                      std::string(64, 'c')}});
  const std::string text = manifest_text(m);
  Manifest got;
  trn::Problem problem;
  ASSERT_TRUE(read_manifest_text(text, &got, &problem)) << problem.str();
  EXPECT_EQ(got.header.step, 40);
  EXPECT_EQ(got.header.consumed_samples, 320);
  ASSERT_EQ(got.shards.size(), 3u);
  EXPECT_EQ(got.shards[2].range.begin, m.shards[2].range.begin);
  EXPECT_EQ(got.shards[1].sha256[2], std::string(64, 'c'));
  for (size_t n = 0; n < text.size(); ++n) EXPECT_FALSE(read_manifest_text(text.substr(0, n), &got, &problem)) << n;
  EXPECT_FALSE(read_manifest_text(text + "x", &got, &problem));
  auto damaged = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    const bool refused = !read_manifest_text(t, &got, &problem);
    EXPECT_EQ(problem.key, "checkpoint manifest");
    return refused;
  };
  const std::string begin1 = "shard.1=" + std::to_string(m.shards[1].range.begin);
  EXPECT_TRUE(damaged("ranks=3", "ranks=2"));           // a shard line too many
  EXPECT_TRUE(damaged("ranks=3", "ranks=4"));           // one missing
  EXPECT_TRUE(damaged("ranks=3", "ranks=0"));
  EXPECT_TRUE(damaged("ranks=3", "ranks=4000000000"));  // no allocation by a count
  EXPECT_TRUE(damaged(begin1, begin1 + "1"));            // a gap
  EXPECT_TRUE(damaged(begin1, "shard.1=0"));             // an overlap
  EXPECT_TRUE(damaged("shard.2=", "shard.7="));
  EXPECT_TRUE(damaged("shard.0=0 ", "shard.0=-0 "));
  EXPECT_TRUE(damaged(std::string(64, 'b'), std::string(63, 'b')));
  EXPECT_TRUE(damaged(std::string(64, 'c') + "\nshard.1", std::string(64, 'c') + " extra\nshard.1"));
  EXPECT_TRUE(damaged("parameters=", "parameters=1"));  // the shards no longer cover them
  EXPECT_TRUE(damaged("step=40\n", "step=40\nstep=41\n"));
  EXPECT_TRUE(damaged("trn-train native checkpoint 3 manifest", "trn-train native checkpoint 2"));
}

}  // namespace
