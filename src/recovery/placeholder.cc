// Placeholder until the recovery layer has sources.
namespace wayback { void RecoveryLayerPlaceholder() {} }
