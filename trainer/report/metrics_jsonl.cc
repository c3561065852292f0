#include "trainer/report/metrics_jsonl.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>

namespace trn::native {

std::string metrics_json(const StepMetrics& m, bool train, double wall_time) {
  nlohmann::ordered_json j;
  j["step"] = m.step;
  if (train) {
    j["epoch"] = m.epoch;
    j["consumed_samples"] = m.consumed_samples;
    j["reduced_train_loss"] = m.reduced_train_loss;
    j["loss"] = m.loss;
    j["lr"] = m.lr;
    j["grad_norm"] = m.grad_norm;
    j["parameter_norm"] = m.parameter_norm;
    j["throughput"] = m.seq_per_s;
    j["tokens_per_sec"] = m.tokens_per_s;
    j["elapsed_s"] = m.elapsed_s;
  }
  if (!std::isnan(m.val_loss)) j["val_loss"] = m.val_loss;
  j["wall_time"] = wall_time;
  return j.dump();
}

std::string restart_json(const RestartRecord& r, double wall_time) {
  nlohmann::ordered_json j;
  j["restart"] = r.restart;
  j["reason"] = r.reason;
  j["nodes"] = r.nodes;
  j["resumed_from_step"] = r.resumed_from_step;
  j["wall_time"] = wall_time;
  return j.dump();
}

static double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void MetricsJsonl::add_restart(const RestartRecord& r) {
  if (file_.is_open()) file_.append(restart_json(r, now_s()) + "\n", r.resumed_from_step);
}

void MetricsJsonl::add(const StepMetrics& m, bool train) {
  if (!file_.is_open()) return;
  file_.append(metrics_json(m, train, now_s()) + "\n", m.step);
}

}  // namespace trn::native
