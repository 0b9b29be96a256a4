// Placeholder until the snapshot layer has sources.
namespace wayback { void SnapshotLayerPlaceholder() {} }
