#include "launcher/plan/plan_output.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace trn {

std::string plan_to_json(const Plan& p) {
  // ordered_json: keys in the order a reader expects (config first, env and hosts last).
  using J = nlohmann::ordered_json;
  J j = {{"config", p.config_path}, {"instance", p.instance},
         {"instance_rule", p.instance_rule}, {"platform", to_string(p.platform)}, {"lnc", p.lnc},
         {"nodes", p.nodes}, {"node_rank", p.node_rank}, {"procs_per_node", p.procs_per_node},
         {"world_size", p.world_size}, {"tp", p.tp}, {"pp", p.pp}, {"vpp", p.vpp}, {"cp", p.cp}, {"ep", p.ep},
         {"dp", p.dp}, {"micro_batch_size", p.micro_batch_size}, {"global_batch_size", p.global_batch_size},
         {"num_microbatches", p.num_microbatches}};
  j.update(J{{"launch_kind", to_string(p.launch_kind)}, {"launch_pattern", to_string(p.launch_pattern)},
             {"rank", p.task_rank}, {"local_rank", p.local_rank}, {"master_host", p.master_host},
             {"master_addr", p.master_addr}, {"master_port", p.master_port}, {"root_comm_port", p.root_comm_port},
             {"root_comm_source", to_string(p.root_comm_source)}});
  j.update(J{{"backend", to_string(p.backend)}, {"compile", p.compile}, {"job_id", p.job_id},
             {"restart_count", p.restart_count}, {"log_dir", p.log_dir}, {"effective_config", p.effective_config},
             {"cache_dir", p.cache.dir}, {"cache_dir_source", p.cache.dir_source}, {"command", p.command},
             {"env", p.env}, {"hosts", p.hosts.expand()}, {"warnings", p.warnings}});
  // Invalid UTF-8 (a path or variable in another encoding) is replaced, never fatal.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string plan_to_table(const Plan& p) {
  char buf[512];
  std::string t;
  auto row = [&](const char* k, const std::string& v) {
    std::snprintf(buf, sizeof buf, "%-18s %s\n", k, v.c_str());
    t += buf;
  };
  row("config", p.config_path);
  row("instance", p.instance + " (" + to_string(p.platform) + ", LNC " + std::to_string(p.lnc) + "), chosen by " +
                      p.instance_rule);
  row("launch", std::string(to_string(p.launch_kind)) + ", " + to_string(p.launch_pattern));
  row("nodes", std::to_string(p.nodes) + " x " + std::to_string(p.procs_per_node) + " procs = world " +
                   std::to_string(p.world_size));
  row("this task", "node " + std::to_string(p.node_rank) + ", rank " + std::to_string(p.task_rank) + ", local " +
                       std::to_string(p.local_rank));
  row("parallelism", "TP " + std::to_string(p.tp) + "  PP " + std::to_string(p.pp) + "  CP " + std::to_string(p.cp) +
                         "  EP " + std::to_string(p.ep) + "  DP " + std::to_string(p.dp));
  row("batches", "MBS " + std::to_string(p.micro_batch_size) + "  GBS " + std::to_string(p.global_batch_size) +
                     "  microbatches " + std::to_string(p.num_microbatches));
  row("master", (p.master_addr.empty() ? std::string("(first node of the allocation)") : p.master_addr) +
                    (p.master_host.empty() || p.master_host == p.master_addr ? "" : " (" + p.master_host + ")") +
                    " port " + std::to_string(p.master_port));
  row("root comm port", std::to_string(p.root_comm_port) + " (" + to_string(p.root_comm_source) + ")");
  row("job / restart", p.job_id + " / " + std::to_string(p.restart_count));
  row("log dir", p.log_dir);
  row("compile cache", p.cache.dir + " (" + p.cache.dir_source + ")");
  if (p.cache.node_local_default && p.nodes > 1)
    row("  warning", "node-local: the compile and train jobs of a multi-node run share nothing; set cache_root in "
                     "the site file (or launch.cache_dir in the config) to a shared filesystem");
  for (const auto& w : p.warnings) row("  warning", w);
  row("backend", std::string(to_string(p.backend)) + (p.compile ? " (COMPILE=1)" : " (COMPILE=0)"));
  std::string cmd;
  for (const auto& a : p.command) cmd += (cmd.empty() ? "" : " ") + a;
  row("command", cmd);
  t += "env\n";
  for (const auto& [k, v] : p.env) t += "  " + k + "=" + v + "\n";
  return t;
}

}  // namespace trn
