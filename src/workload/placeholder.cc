// Placeholder until the workload layer has sources.
namespace wayback { void WorkloadLayerPlaceholder() {} }
