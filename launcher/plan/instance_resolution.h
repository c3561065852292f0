// Which instance type this plan is for, decided by the first of these rules that
// answers (documented in man/trn-train.1, INSTANCE TYPE), never a silent default:
//   1. --instance / launch.instance (the user said so; the site file's `instance`
//      does NOT count here: it is rule 3's fallback);
//   2. the node itself (common/node_instance.h): its DMI / device instance_type when the
//      catalog knows it; else its Neuron sysfs shape (devices x cores per device x
//      NeuronCore version) when exactly one catalog type has it (a Trn3 server whose
//      EC2 name we do not know); a shape several types share (trn2.48xlarge and
//      trn2u.48xlarge) is left to rule 3, else reported with the fix;
//   3. the site file: partitions[the partition], else its `instance`; the partition is
//      SLURM_JOB_PARTITION inside a job, else launch.partition (what submit asks for);
//   4. the config: trainer.lnc set, or trainer.devices 64/128 -> trn2.48xlarge;
//      trainer.devices 32 -> trn1.32xlarge (when rule 2 found several candidates, only
//      one of them: trn1 vs trn1n).
// Otherwise one Problem that lists the four ways.
#pragma once

#include <string>

#include "common/config/training.h"
#include "common/config/site_file.h"
#include "common/node_instance.h"
#include "common/problem.h"
#include "launcher/plan/instance_catalog.h"

namespace trn {

struct InstanceChoice {
  std::string name;  // catalog name, "" when unresolved (a Problem was added)
  std::string rule;  // how it was chosen, e.g. "node (/sys/class/dmi/id/product_name)"
};

struct InstanceFacts {
  std::string configured;  // --instance / launch.instance ("" = not given)
  NodeInstanceFacts node;  // read on the node (plan_inputs.cc)
  const config::SiteConfig* site = nullptr;
  std::string partition;   // SLURM_JOB_PARTITION, else launch.partition
  const config::TrainingConfig* training = nullptr;  // trainer.lnc / trainer.devices
};

InstanceChoice resolve_instance(const InstanceFacts& facts, const InstanceCatalog& catalog, Problems* problems);

}  // namespace trn
