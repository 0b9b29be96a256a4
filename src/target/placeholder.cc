// Placeholder until the target layer has sources.
namespace wayback { void TargetLayerPlaceholder() {} }
