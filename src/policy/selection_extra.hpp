// Further VM selections (which VMs leave a hot host), registered by register_extra_selections():
//  min-utilisation: the VMs with the least CPU demand relative to the host's CPU capacity first
//                   (CloudSim's minimum utilisation, Beloglazov & Buyya 2012).
//  random:          a random order drawn from CounterRng(seed, round, host) (CloudSim's random
//                   choice), reproducible for the same seed and round.
//  volume:          Sandpiper's volume 1/(1-cpu)·1/(1-mem)·1/(1-net) of the VM's demand as
//                   fractions of its host's capacity (each clamped to [0, 0.99]), largest first
//                   (Wood et al., NSDI 2007).
//  volume-to-size:  Sandpiper's volume / memory to copy (MiB), largest first.
//  max-correlation: the VM whose CPU history correlates most (Pearson) with the summed CPU of
//                   the other VMs on the host first, recomputed after each pick (CloudSim's
//                   maximum correlation). Without history for a VM its correlation is 0; without
//                   any history the order of min-migration-time.
//  holistic:        the cheapest set of VMs whose departure clears the excess in every dimension,
//                   cost = estimated migration seconds (memory to copy without a cost model):
//                   exact branch and bound up to `exact_max_vms` candidates, else greedy by cost
//                   per unit of excess cleared, then dropping what is not needed.
// Every select() returns VMs not in `exclude`, in move order, whose departure brings the host
// within its limit; empty when none does. Thread-safety: const and stateless after construction.
// Determinism: ties break by VM id; randomness comes only from the counter-based generator.
#pragma once

#include "src/policy/policy.hpp"
#include "src/policy/selection.hpp"

namespace fp::policy {

class MinUtilisationSelection final : public VmSelectionPolicy {
  public:
    std::string_view name() const override { return "min-utilisation"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;
};

class RandomSelection final : public VmSelectionPolicy {
  public:
    std::string_view name() const override { return "random"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;
};

enum class VolumeOrder { kVolume, kVolumeToSize };

class VolumeSelection final : public VmSelectionPolicy {
  public:
    explicit VolumeSelection(VolumeOrder order) : order_(order) {}
    std::string_view name() const override {
        return order_ == VolumeOrder::kVolume ? "volume" : "volume-to-size";
    }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;

  private:
    VolumeOrder order_;
};

class MaxCorrelationSelection final : public VmSelectionPolicy {
  public:
    std::string_view name() const override { return "max-correlation"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;

  private:
    MinMigrationTimeSelection fallback_;
};

class HolisticSelection final : public VmSelectionPolicy {
  public:
    explicit HolisticSelection(int32_t exact_max_vms) : exact_max_vms_(exact_max_vms) {}
    std::string_view name() const override { return "holistic"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;

  private:
    int32_t exact_max_vms_;
};

// The volume of a demand as fractions of a capacity, each fraction clamped to [0, 0.99].
double sandpiper_volume(const model::Resources& demand, const model::Resources& capacity);

}  // namespace fp::policy
