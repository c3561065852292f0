#include "trainer/mpi/input_verdict.h"

#include <mpi.h>

#include "common/process_identity.h"
#include "trainer/mpi/zero1_collectives.h"

namespace trn::native {
namespace {
constexpr const char* kTool = "trn-train-native";
}  // namespace

bool refused_together(const Mpi& mpi, const Problems& mine, CheckedBy who) {
  const bool spoke = who == CheckedBy::kEachRank || mpi.rank == 0;
  if (!allreduce_max(spoke && !mine.empty())) return false;
  if (who == CheckedBy::kRank0) {  // rank 0 spoke for all: no rank to name
    if (mpi.rank == 0) report_problems(kTool, mine);
    return true;
  }
  // Only now the texts: a verdict that passes costs one all-reduce of an int.
  const std::vector<std::string> texts = gather_text(rank_problems_text({ProcessIdentity::self().host, mine}));
  if (mpi.rank != 0) return true;
  std::vector<RankProblems> ranks(texts.size());
  for (size_t r = 0; r < texts.size(); ++r)
    if (!parse_rank_problems(texts[r], &ranks[r]))
      ranks[r].problems = {{"rank " + std::to_string(r), "(its problems could not be read)", "see its own output"}};
  report_problems(kTool, verdict_problems(ranks));
  return true;
}

[[noreturn]] void stop_all(const Mpi& mpi, const Problem& problem) {
  std::vector<RankProblems> ranks(static_cast<size_t>(mpi.world));
  ranks[static_cast<size_t>(mpi.rank)] = {ProcessIdentity::self().host, {problem}};
  report_problems(kTool, verdict_problems(ranks));
  MPI_Abort(MPI_COMM_WORLD, 2);
  std::_Exit(2);  // MPI_Abort does not return; should it, this rank still stops
}

}  // namespace trn::native
