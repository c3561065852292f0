// The one verdict on input before training (issue 18): every check that one rank can
// fail while another passes (its config file, its dataset, its node's memory, the
// experiment folder, the kernels) ends here, so that no rank stops alone while the
// others wait in their next collective until the job's time limit. All ranks call it
// at the same point; each brings its own problems (none: it passed). When any rank has
// one, rank 0 prints them all and every rank refuses.
#pragma once

#include <string>
#include <vector>

#include "common/problem.h"
#include "trainer/mpi/mpi_world.h"

namespace trn::native {

// Who made the check: each rank its own, or rank 0 on behalf of all (the checkpoint
// folder, the experiment lock: the other ranks bring no problems, and rank 0's are the run's).
enum class CheckedBy { kEachRank, kRank0 };

// All ranks, collectively. True on every rank when any rank has a problem; rank 0 prints
// them (verdict_problems) in the error style of all tools.
bool refused_together(const Mpi& mpi, const Problems& mine, CheckedBy who = CheckedBy::kEachRank);

// A problem one rank meets mid-run (its dataset changed under it: a .bin that shrank,
// an id past the vocabulary), where the other ranks are already on their way to the
// next collective and no verdict can be agreed: this rank prints it, named by its rank
// and node, and ends the whole job (MPI_Abort, exit status 2), so that no rank waits
// for it until the time limit.
[[noreturn]] void stop_all(const Mpi& mpi, const Problem& problem);

// One rank's side of the verdict.
struct RankProblems {
  std::string node;   // its host (SLURMD_NODENAME, else the host name)
  Problems problems;  // empty: it passed
};
// Pure, what refused_together prints, given every rank's problems in rank order: a
// problem that every rank has (a config all read alike) once as it is; any other once,
// its key prefixed with the ranks and nodes that have it: "rank 1 on node-b: ", "ranks
// 0-3, 6 on node-a, node-c: ".
Problems verdict_problems(const std::vector<RankProblems>& ranks);

// The text a rank's problems travel in between ranks (JSON), and back; false on text
// that is not such a record (never from a peer of this build).
std::string rank_problems_text(const RankProblems& r);
bool parse_rank_problems(const std::string& text, RankProblems* out);

}  // namespace trn::native
