// Placeholder until the log layer has sources.
namespace wayback { void LogLayerPlaceholder() {} }
